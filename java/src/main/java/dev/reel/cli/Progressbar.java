package dev.reel.cli;

import dev.reel.pipeline.Phase;
import dev.reel.pipeline.Progress;
import dev.reel.pipeline.ProgressListener;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress on stderr: a bar redrawn in place when stderr is a terminal, else one
 * line per phase (and none per step), so that logs stay readable.
 */
final class Progressbar implements ProgressListener {
    private final PrintWriter err;
    private final boolean quiet;
    private final boolean terminal = System.console() != null;
    private Phase last;
    private boolean barShown;

    Progressbar(PrintWriter err, boolean quiet) {
        this.err = err;
        this.quiet = quiet;
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    @Override
    public void onProgress(Progress p) {
        if (quiet) {
            return;
        }
        if (p.phase() == Phase.STEP && terminal) {
            int width = 30, filled = (int) Math.round(p.fraction() * width);
            err.printf(Locale.ROOT, "\r  [%s%s] %d/%d steps  %.1f s  ETA %.1f s ", "#".repeat(filled),
                    " ".repeat(width - filled), p.step(), p.steps(), p.elapsed().toMillis() / 1000.0,
                    p.eta() == null ? 0.0 : p.eta().toMillis() / 1000.0);
            barShown = true;
            err.flush();
            return;
        }
        if (p.phase() == Phase.STEP) {
            if (last != Phase.STEP) {
                err.printf(Locale.ROOT, "sampling: %d model evaluations%n", p.steps());
            }
            last = p.phase();
            return;
        }
        endBar();
        if (p.phase() == Phase.DONE) {
            err.printf(Locale.ROOT, "sampled in %.2f s%n", p.elapsed().toMillis() / 1000.0);
        } else {
            err.printf(Locale.ROOT, "%s: %s%n", p.phase().name().toLowerCase(Locale.ROOT), p.detail());
        }
        last = p.phase();
        err.flush();
    }

    void done() {
        endBar();
        err.flush();
    }

    private void endBar() {
        if (barShown) {
            err.println();
            barShown = false;
        }
    }
}
