package dev.reel.pipeline;

import java.time.Duration;

/**
 * Progress of a whole batch: {@code done} of {@code total} rows of the results
 * table are known ({@code ok + skipped + failed}); {@code fraction} in [0, 1] also
 * counts the batched forward in flight by its steps; {@code eta} is the time the
 * videos still to make will take at the pace so far (null until there is a pace).
 */
public record BatchProgress(int done, int total, int ok, int skipped, int failed, double fraction, Duration elapsed,
                            Duration eta, String detail) {}
