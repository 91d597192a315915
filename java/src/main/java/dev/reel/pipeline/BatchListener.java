package dev.reel.pipeline;

/** Receives a batch's progress on the thread that runs it; it should return quickly. */
@FunctionalInterface
public interface BatchListener {
    BatchListener NONE = p -> {};

    void onProgress(BatchProgress progress);
}
