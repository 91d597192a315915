package dev.reel.model;

/**
 * Where a model's forwards spent their time, by kind of operation: the matrix
 * products (OpenBLAS, split over threads included), the attention calls, and
 * every other kernel (norms, activations, residuals, patching, embeddings).
 * Recorded only in a JVM started with {@code -Dreel.profile=true}; otherwise
 * nothing is timed (the check is a constant the JIT folds away) and every field is 0.
 * Times are wall-clock nanoseconds on the calling thread, summed over calls.
 *
 * @param gemmFlops floating-point operations of the products, 2 per multiply-add
 */
public record OpTimes(long gemmNanos, long gemmCalls, double gemmFlops, long attentionNanos, long attentionCalls,
                      long otherNanos, long otherCalls) {

    /** Whether this JVM records op times ({@code -Dreel.profile=true}). */
    public static boolean enabled() {
        return Ops.PROFILE;
    }

    public long totalNanos() {
        return gemmNanos + attentionNanos + otherNanos;
    }

    /** GFLOP/s of the products while they ran; NaN before any. */
    public double gemmGflops() {
        return gemmNanos == 0 ? Double.NaN : gemmFlops / gemmNanos;
    }
}
