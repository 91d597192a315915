package dev.reel.cli;

/** The exit codes of {@code reel}; documented in the README. */
final class ExitCodes {
    /** Done. */
    static final int OK = 0;
    /** A failure below the command line (a native or FFmpeg error). */
    static final int FAILED = 1;
    /** A usage mistake: unknown option or sampler, a word the model does not know, an impossible size or strength. */
    static final int USAGE = 2;
    /** The model folder is missing or malformed. */
    static final int MODEL = 3;
    /** An input or output path cannot be read or written. */
    static final int IO = 4;
    /** Interrupted before the end (Ctrl-C). */
    static final int CANCELLED = 130;

    private ExitCodes() {}
}
