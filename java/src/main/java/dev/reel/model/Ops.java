package dev.reel.model;

import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.ffi.ReelNative;
import dev.reel.nn.Activation;
import dev.reel.nn.Gemm;
import dev.reel.nn.Layers;
import dev.reel.nn.Linear;

/**
 * The operations of the reel-dit forward on one device, on raw fp32 addresses:
 * {@link Gemm} products and libreel's layer kernels and attention. One instance per
 * model and thread of use; it holds no buffers.
 */
final class Ops {
    static final float EPS = 1e-6f;

    final Device device;
    private final Gemm gemm = new Gemm();

    Ops(Device device) {
        this.device = device;
    }

    /** Byte address of element {@code elements} of an fp32 buffer at {@code base}. */
    static long at(long base, long elements) {
        return base + 4 * elements;
    }

    /** {@code y = x · Wᵀ} (no bias: it folds into the next pass). */
    void linear(Linear l, long rows, long x, long y) {
        gemm.linear(device, rows, l.in(), l.out(), x, l.in(), l.weight(), y, l.out(), false);
    }

    /** {@code x = act(x + bias)} in place over dense rows. */
    void bias(long rows, long dim, long x, long bias, Activation act) {
        Layers.biasAct(device, 0L, rows, dim, x, dim, x, dim, bias, 1, act);
    }

    /** {@code y = x · Wᵀ + b}, then the activation. */
    void linearBias(Linear l, long rows, long x, long y, Activation act) {
        linear(l, rows, x, y);
        bias(rows, l.out(), y, l.bias(), act);
    }

    /**
     * LayerNorm of dense rows, with optional affine parameters and adaLN modulation
     * {@code ·(1 + scale) + shift}, whose vectors are per group of rows (a sample) at
     * {@code modStride} elements apart.
     */
    void layerNorm(long rows, long dim, long x, long out, long weight, long bias, long shift, long scale,
                   long rowsPerGroup, long modStride) {
        Layers.layerNorm(device, 0L, rows, dim, x, dim, out, dim, weight, bias, shift, scale, rowsPerGroup, modStride, EPS);
    }

    /** Per-head RMSNorm in place: rows of {@code heads × d} values, {@code stride} elements apart. */
    void rmsNorm(long rows, long heads, long d, long x, long stride, long weight) {
        Layers.rmsNorm(device, 0L, rows, heads, d, x, stride, x, stride, weight, EPS);
    }

    /** {@code x += gate ⊙ (y + bias)} over dense rows; gate and bias may be 0 (none). */
    void residual(long rows, long dim, long x, long y, long bias, long gate, long rowsPerGroup, long gateStride) {
        Layers.residual(device, 0L, rows, dim, x, dim, y, dim, bias, gate, rowsPerGroup, gateStride);
    }

    void attention(ReelNative.AttentionParams params, long q, long k, long v, long o) {
        ReelException.check(ReelNative.reel_attention_forward(device.ordinal(), 0L, params, q, k, v, o, 0L));
    }
}
