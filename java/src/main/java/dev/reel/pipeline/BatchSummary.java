package dev.reel.pipeline;

import java.time.Duration;
import java.util.List;

/**
 * What a batch run did: its results table (input order; with {@code stopped}, only
 * the rows known when it stopped), the counts, and whether a stop request ended it
 * before every video was made.
 */
public record BatchSummary(List<BatchResult> results, int ok, int skipped, int failed, int notRun, boolean stopped,
                           Duration elapsed) {
    public BatchSummary {
        results = List.copyOf(results);
    }
}
