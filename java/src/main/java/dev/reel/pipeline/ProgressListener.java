package dev.reel.pipeline;

/** Receives progress on the generating thread; it should return quickly. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = p -> {};

    void onProgress(Progress progress);
}
