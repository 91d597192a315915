package dev.reel.nn;

/**
 * A linear layer's weights in CPU memory: {@code W [out, in]} and {@code b [out]}
 * (PyTorch's layout), addressed, not owned. The product is {@link Gemm}'s; the bias
 * is left to the caller so that it folds into the next elementwise pass (an
 * activation, a residual), which saves one pass over the output.
 */
public record Linear(String name, long in, long out, long weight, long bias) {
    public Linear {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException(name + ": sizes must be >= 1, got [" + out + ", " + in + "]");
        }
        if (weight == 0) {
            throw new IllegalArgumentException(name + ": weight address is null (0)");
        }
    }

    /** {@code y[rows, out] = x[rows, in] · Wᵀ}, rows densely packed. */
    public void project(Gemm gemm, dev.reel.Device device, long rows, long x, long y) {
        gemm.linear(device, rows, in, out, x, in, weight, y, out, false);
    }
}
