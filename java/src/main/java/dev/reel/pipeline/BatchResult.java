package dev.reel.pipeline;

import java.util.List;
import java.util.Locale;

/**
 * One row of a batch's results table: one video, or one request that could not be
 * read.
 *
 * @param line            the request's 1-based line in the input
 * @param request         the {@code reel generate} line of the video (with
 *                        {@code --format}); for a request that cannot be read, its
 *                        text as written
 * @param seed            the video's seed; null for a request that cannot be read
 * @param path            where the file is (relative to the output folder for
 *                        {@code reel batch}); null when it failed
 * @param durationSeconds the video's length in seconds; null when it failed
 * @param elapsedSeconds  the time spent making it: its share of the batched
 *                        forwards plus its encoding; null when unknown
 * @param watermark       the payload of the file's invisible watermark, hex; null
 *                        while Reel writes none
 * @param status          ok (made now), skipped (already there), failed
 * @param error           why it failed; null otherwise
 */
public record BatchResult(long line, String request, Long seed, String path, Double durationSeconds,
                          Double elapsedSeconds, String watermark, Status status, String error) {
    /** The table's columns, in order, as its CSV header and JSON names spell them. */
    public static final List<String> COLUMNS = List.of("line", "request", "seed", "path", "duration_s", "elapsed_s",
            "watermark", "status", "error");

    public enum Status {
        /** Made by this run. */
        OK,
        /** Its file was already complete (a rerun, or the same video twice in one input); not made again. */
        SKIPPED,
        /** Not made: {@link BatchResult#error} says why. */
        FAILED;

        /** The lower-case word the table shows. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The status a table word names. */
        public static Status of(String label) {
            return valueOf(label.trim().toUpperCase(Locale.ROOT));
        }
    }

    public BatchResult {
        if (status == null) {
            throw new IllegalArgumentException("status is null");
        }
    }

    /** A failed row of an item. */
    static BatchResult failed(BatchItem item, String error) {
        return new BatchResult(item.source().line(), item.line(), item.seed(), null, null, null, null, Status.FAILED,
                error);
    }

    /** Whether the video is there: ok or skipped. */
    public boolean done() {
        return status != Status.FAILED;
    }
}
