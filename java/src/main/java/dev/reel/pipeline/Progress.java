package dev.reel.pipeline;

import java.time.Duration;

/**
 * One progress report. {@code step}/{@code steps} count sampler evaluations over the
 * whole request (every batch), so {@code eta} is the remaining time of the request
 * at the pace so far; {@code batch}/{@code batches} say which batched forward runs.
 */
public record Progress(Phase phase, int step, int steps, int batch, int batches, Duration elapsed, Duration eta,
                       String detail) {
    /** Done fraction in [0, 1] of the sampling work. */
    public double fraction() {
        return steps == 0 ? 1 : (double) step / steps;
    }
}
