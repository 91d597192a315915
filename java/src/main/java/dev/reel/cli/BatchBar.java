package dev.reel.cli;

import dev.reel.pipeline.BatchListener;
import dev.reel.pipeline.BatchProgress;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * The progress of {@code reel batch} on stderr: one bar over the whole batch with
 * counts and ETA, redrawn in place on a terminal (at most ten times a second),
 * else one line every few seconds as rows become known, so logs stay short.
 */
final class BatchBar implements BatchListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long LOG_NANOS = 5_000_000_000L;

    private final PrintWriter err;
    private final boolean quiet;
    private final boolean terminal;
    private long lastDraw;
    private int lastDone = -1;
    private boolean barShown;

    BatchBar(PrintWriter err, boolean quiet) {
        this(err, quiet, System.console() != null);
    }

    BatchBar(PrintWriter err, boolean quiet, boolean terminal) {
        this.err = err;
        this.quiet = quiet;
        this.terminal = terminal;
    }

    @Override
    public void onProgress(BatchProgress p) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        boolean last = p.done() == p.total();
        if (terminal) {
            if (!last && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            err.print("\r" + line(p) + " ");
            barShown = true;
        } else {
            if (p.done() == lastDone || (!last && lastDone >= 0 && now - lastDraw < LOG_NANOS)) {
                return;
            }
            err.println(line(p));
            lastDone = p.done();
        }
        lastDraw = now;
        err.flush();
    }

    static String line(BatchProgress p) {
        int width = 30, filled = (int) Math.round(p.fraction() * width);
        return String.format(Locale.ROOT, "  [%s%s] %d/%d videos  %d ok  %d skipped  %d failed  %s  ETA %s",
                "#".repeat(filled), " ".repeat(width - filled), p.done(), p.total(), p.ok(), p.skipped(), p.failed(),
                clock(p.elapsed()), p.eta() == null ? "?" : clock(p.eta()));
    }

    static String clock(Duration d) {
        long s = Math.round(d.toMillis() / 1000.0);
        return s < 60 ? s + " s" : s < 3600 ? String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    void done() {
        if (barShown) {
            err.println();
            barShown = false;
        }
        err.flush();
    }
}
