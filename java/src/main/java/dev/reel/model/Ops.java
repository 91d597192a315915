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
 * {@link Gemm} products and libreel's layer kernels and attention. Every kernel
 * call of a forward and of prompt encoding goes through here, so that
 * {@code -Dreel.profile=true} can time them by kind ({@link OpTimes}). One
 * instance per model and thread of use; it holds no buffers.
 */
final class Ops {
    static final float EPS = 1e-6f;

    /** A constant, so that with profiling off the timing code is compiled away. */
    static final boolean PROFILE = Boolean.getBoolean("reel.profile");

    private static final int GEMM = 0, ATTENTION = 1, OTHER = 2;

    final Device device;
    private final Gemm gemm = new Gemm();
    private final long[] nanos = new long[3];
    private final long[] calls = new long[3];
    private double gemmFlops;

    Ops(Device device) {
        this.device = device;
    }

    /** Byte address of element {@code elements} of an fp32 buffer at {@code base}. */
    static long at(long base, long elements) {
        return base + 4 * elements;
    }

    private static long start() {
        return PROFILE ? System.nanoTime() : 0L;
    }

    private void stop(int kind, long start) {
        if (PROFILE) {
            nanos[kind] += System.nanoTime() - start;
            calls[kind]++;
        }
    }

    OpTimes times() {
        return new OpTimes(nanos[GEMM], calls[GEMM], gemmFlops, nanos[ATTENTION], calls[ATTENTION], nanos[OTHER],
                calls[OTHER]);
    }

    void resetTimes() {
        java.util.Arrays.fill(nanos, 0L);
        java.util.Arrays.fill(calls, 0L);
        gemmFlops = 0;
    }

    /** {@code y = x · Wᵀ} (no bias: it folds into the next pass). */
    void linear(Linear l, long rows, long x, long y) {
        long t = start();
        gemm.linear(device, rows, l.in(), l.out(), x, l.in(), l.weight(), y, l.out(), false);
        if (PROFILE) {
            gemmFlops += 2.0 * rows * l.in() * l.out();
            stop(GEMM, t);
        }
    }

    /** {@code x = act(x + bias)} in place over dense rows. */
    void bias(long rows, long dim, long x, long bias, Activation act) {
        biasAct(rows, dim, x, x, bias, 1, act);
    }

    /** {@code out = act(x + bias)} over dense rows, the bias a table of {@code biasRows} rows repeated (0: none). */
    void biasAct(long rows, long dim, long x, long out, long bias, long biasRows, Activation act) {
        long t = start();
        Layers.biasAct(device, 0L, rows, dim, x, dim, out, dim, bias, biasRows, act);
        stop(OTHER, t);
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
        long t = start();
        Layers.layerNorm(device, 0L, rows, dim, x, dim, out, dim, weight, bias, shift, scale, rowsPerGroup, modStride, EPS);
        stop(OTHER, t);
    }

    /** Per-head RMSNorm in place: rows of {@code heads × d} values, {@code stride} elements apart. */
    void rmsNorm(long rows, long heads, long d, long x, long stride, long weight) {
        long t = start();
        Layers.rmsNorm(device, 0L, rows, heads, d, x, stride, x, stride, weight, EPS);
        stop(OTHER, t);
    }

    /** {@code x += gate ⊙ (y + bias)} over dense rows; gate and bias may be 0 (none). */
    void residual(long rows, long dim, long x, long y, long bias, long gate, long rowsPerGroup, long gateStride) {
        long t = start();
        Layers.residual(device, 0L, rows, dim, x, dim, y, dim, bias, gate, rowsPerGroup, gateStride);
        stop(OTHER, t);
    }

    /** Video {@code [R, C, T, H, W]} to patch tokens {@code [R, N, P]}. */
    void patchify(Sizes s, long rows, long video, long tokens) {
        long t = start();
        Layers.patchify(device, 0L, rows, s.channels, s.frames, s.height, s.width, s.pt, s.ph, s.pw, video, tokens);
        stop(OTHER, t);
    }

    /** Patch tokens {@code [R, N, P]} back to video {@code [R, C, T, H, W]}. */
    void unpatchify(Sizes s, long rows, long tokens, long video) {
        long t = start();
        Layers.unpatchify(device, 0L, rows, s.channels, s.frames, s.height, s.width, s.pt, s.ph, s.pw, tokens, video);
        stop(OTHER, t);
    }

    /** Sinusoidal embeddings {@code [R, dim]} of the fp32 timesteps at host address {@code times}. */
    void timestepEmbedding(long rows, long dim, double scale, long times, long out) {
        long t = start();
        Layers.timestepEmbedding(device, 0L, rows, dim, scale, times, out);
        stop(OTHER, t);
    }

    /** Token plus position embeddings, scaled: {@code out [rows, dim]} from int64 ids. */
    void embedding(long rows, long dim, long ids, long table, long vocab, long pos, long positions, float scale,
                   long out) {
        long t = start();
        Layers.embedding(device, 0L, rows, dim, ids, table, vocab, pos, positions, scale, out);
        stop(OTHER, t);
    }

    /** Mean over each row's first {@code lengths[r]} of {@code len} vectors. */
    void maskedMean(long rows, long len, long dim, long x, long lengths, long out) {
        long t = start();
        Layers.maskedMean(device, 0L, rows, len, dim, x, lengths, out);
        stop(OTHER, t);
    }

    void attention(ReelNative.AttentionParams params, long q, long k, long v, long o) {
        long t = start();
        ReelException.check(ReelNative.reel_attention_forward(device.ordinal(), 0L, params, q, k, v, o, 0L));
        stop(ATTENTION, t);
    }
}
