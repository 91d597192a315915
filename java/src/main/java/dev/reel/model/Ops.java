package dev.reel.model;

import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Tensor;
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
 * instance per model and thread of use.
 *
 * <p>On the CPU it holds no buffers. On a CUDA device every call is queued on
 * {@link #stream}; activations stay fp32 for the layer kernels, and where cuBLASLt or
 * the attention kernel needs bf16 (GEMM inputs; q, k, v and o) this class converts
 * them with {@code reel_convert} into one scratch buffer of its own, which grows on
 * the first forward of a larger batch and is reused after, so a steady-state forward
 * allocates nothing. GEMM weights are bf16 on the device ({@link Weights}).
 */
final class Ops implements AutoCloseable {
    static final float EPS = 1e-6f;

    /** A constant, so that with profiling off the timing code is compiled away. */
    static final boolean PROFILE = Boolean.getBoolean("reel.profile");

    private static final int GEMM = 0, ATTENTION = 1, OTHER = 2;

    private static final int F32 = dev.reel.DType.F32.code(), BF16 = dev.reel.DType.BF16.code();
    /** Scratch regions start at multiples of this many bytes (cuBLASLt's and the attention kernel's liking). */
    private static final long ALIGN = 256;

    final Device device;
    /** The CUDA stream every call is queued on; 0 on the CPU. */
    final long stream;
    private final Gemm gemm = new Gemm();
    private final long[] nanos = new long[3];
    private final long[] calls = new long[3];
    private double gemmFlops;
    private Tensor scratch;            // CUDA: bf16 copies of GEMM and attention operands
    private final long[] spanStart = new long[3], spanEnd = new long[3];
    private final int[] spanOf = new int[3];

    Ops(Device device) {
        this(device, 0L);
    }

    Ops(Device device, long stream) {
        this.device = device;
        this.stream = stream;
    }

    /** The storage dtype of the attention calls: fp32 on the CPU, bf16 on CUDA (which stores bf16 or fp16). */
    dev.reel.DType attentionDtype() {
        return device.isCuda() ? dev.reel.DType.BF16 : dev.reel.DType.F32;
    }

    /** The scratch buffer with at least {@code bytes}, grown (the old one freed) when too small. */
    private long scratch(long bytes) {
        if (scratch == null || scratch.byteSize() < bytes) {
            if (scratch != null) {
                scratch.close();
                scratch = null;
            }
            // a little headroom, so that a slightly larger call does not reallocate
            long grown = Math.max(bytes, bytes + bytes / 8) / ALIGN * ALIGN + ALIGN;
            try (dev.reel.Scope mine = dev.reel.Scope.open()) {
                scratch = mine.keep(Tensor.allocate(device, dev.reel.DType.BF16, dev.reel.Shape.of(grown / 2)));
            }
        }
        return scratch.address();
    }

    private static long roundUp(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    private void convert(long dst, int dstType, long src, int srcType, long count) {
        ReelException.check(ReelNative.reel_convert(device.ordinal(), stream, dst, dstType, src, srcType, count));
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
        if (device.isCuda()) {
            gemm.linearBias(device, stream, rows, l.in(), l.out(), bf16(x, rows * l.in()), l.in(), l.weight(), 0L, y,
                    l.out(), Activation.NONE);
        } else {
            gemm.linear(device, rows, l.in(), l.out(), x, l.in(), l.weight(), y, l.out(), false);
        }
        if (PROFILE) {
            gemmFlops += 2.0 * rows * l.in() * l.out();
            stop(GEMM, t);
        }
    }

    /** CUDA: a bf16 copy of {@code count} dense fp32 values at {@code x}, in the scratch buffer. */
    private long bf16(long x, long count) {
        long copy = scratch(2 * count);
        convert(copy, BF16, x, F32, count);
        return copy;
    }

    /** {@code x = act(x + bias)} in place over dense rows. */
    void bias(long rows, long dim, long x, long bias, Activation act) {
        biasAct(rows, dim, x, x, bias, 1, act);
    }

    /** {@code out = act(x + bias)} over dense rows, the bias a table of {@code biasRows} rows repeated (0: none). */
    void biasAct(long rows, long dim, long x, long out, long bias, long biasRows, Activation act) {
        long t = start();
        Layers.biasAct(device, stream, rows, dim, x, dim, out, dim, bias, biasRows, act);
        stop(OTHER, t);
    }

    /** {@code y = x · Wᵀ + b}, then the activation (on CUDA in cuBLASLt's epilogue where it has one). */
    void linearBias(Linear l, long rows, long x, long y, Activation act) {
        if (!device.isCuda()) {
            linear(l, rows, x, y);
            bias(rows, l.out(), y, l.bias(), act);
            return;
        }
        long t = start();
        gemm.linearBias(device, stream, rows, l.in(), l.out(), bf16(x, rows * l.in()), l.in(), l.weight(), l.bias(), y,
                l.out(), act);
        if (PROFILE) {
            gemmFlops += 2.0 * rows * l.in() * l.out();
            stop(GEMM, t);
        }
    }

    /**
     * LayerNorm of dense rows, with optional affine parameters and adaLN modulation
     * {@code ·(1 + scale) + shift}, whose vectors are per group of rows (a sample) at
     * {@code modStride} elements apart.
     */
    void layerNorm(long rows, long dim, long x, long out, long weight, long bias, long shift, long scale,
                   long rowsPerGroup, long modStride) {
        long t = start();
        Layers.layerNorm(device, stream, rows, dim, x, dim, out, dim, weight, bias, shift, scale, rowsPerGroup, modStride, EPS);
        stop(OTHER, t);
    }

    /** Per-head RMSNorm in place: rows of {@code heads × d} values, {@code stride} elements apart. */
    void rmsNorm(long rows, long heads, long d, long x, long stride, long weight) {
        long t = start();
        Layers.rmsNorm(device, stream, rows, heads, d, x, stride, x, stride, weight, EPS);
        stop(OTHER, t);
    }

    /** {@code x += gate ⊙ (y + bias)} over dense rows; gate and bias may be 0 (none). */
    void residual(long rows, long dim, long x, long y, long bias, long gate, long rowsPerGroup, long gateStride) {
        long t = start();
        Layers.residual(device, stream, rows, dim, x, dim, y, dim, bias, gate, rowsPerGroup, gateStride);
        stop(OTHER, t);
    }

    /** Video {@code [R, C, T, H, W]} to patch tokens {@code [R, N, P]}. */
    void patchify(Sizes s, long rows, long video, long tokens) {
        long t = start();
        Layers.patchify(device, stream, rows, s.channels, s.frames, s.height, s.width, s.pt, s.ph, s.pw, video, tokens);
        stop(OTHER, t);
    }

    /** Patch tokens {@code [R, N, P]} back to video {@code [R, C, T, H, W]}. */
    void unpatchify(Sizes s, long rows, long tokens, long video) {
        long t = start();
        Layers.unpatchify(device, stream, rows, s.channels, s.frames, s.height, s.width, s.pt, s.ph, s.pw, tokens, video);
        stop(OTHER, t);
    }

    /** Sinusoidal embeddings {@code [R, dim]} of the fp32 timesteps at {@code times} (where the call runs). */
    void timestepEmbedding(long rows, long dim, double scale, long times, long out) {
        long t = start();
        Layers.timestepEmbedding(device, stream, rows, dim, scale, times, out);
        stop(OTHER, t);
    }

    /** Token plus position embeddings, scaled: {@code out [rows, dim]} from int64 ids. */
    void embedding(long rows, long dim, long ids, long table, long vocab, long pos, long positions, float scale,
                   long out) {
        long t = start();
        Layers.embedding(device, stream, rows, dim, ids, table, vocab, pos, positions, scale, out);
        stop(OTHER, t);
    }

    /** Mean over each row's first {@code lengths[r]} of {@code len} vectors. */
    void maskedMean(long rows, long len, long dim, long x, long lengths, long out) {
        long t = start();
        Layers.maskedMean(device, stream, rows, len, dim, x, lengths, out);
        stop(OTHER, t);
    }

    /**
     * Attention of fp32 q, k, v into a dense fp32 o, as {@code params} (its dtype
     * {@link #attentionDtype}) describes them. On CUDA the spans of q, k and v are
     * converted to bf16 in the scratch (operands interleaved in one buffer, as q, k, v in
     * a packed qkv, are converted once), the kernel writes a bf16 o there, and o is
     * converted back.
     */
    void attention(ReelNative.AttentionParams params, long q, long k, long v, long o) {
        long t = start();
        if (!device.isCuda()) {
            ReelException.check(ReelNative.reel_attention_forward(device.ordinal(), 0L, params, q, k, v, o, 0L));
        } else {
            attentionBf16(params, q, k, v, o);
        }
        stop(ATTENTION, t);
    }

    private void attentionBf16(ReelNative.AttentionParams p, long q, long k, long v, long o) {
        long n = p.frames() * p.height() * p.width();
        long m = p.mode() == ReelNative.REEL_ATTENTION_CROSS ? p.context_len() : n;
        long heads = p.heads(), d = p.head_dim(), b = p.batch();
        long denseO = b * n * heads * d;
        if (p.o_stride_n() != heads * d || p.o_stride_h() != d || p.o_stride_b() != n * heads * d) {
            throw new IllegalStateException("the CUDA attention path converts a dense o [B, N, heads, d]; strides "
                    + p.o_stride_b() + ", " + p.o_stride_n() + ", " + p.o_stride_h() + " are not");
        }
        long[] at = {q, k, v};
        long[] extent = {
            span(b, n, heads, d, p.q_stride_b(), p.q_stride_n(), p.q_stride_h()),
            span(b, m, heads, d, p.k_stride_b(), p.k_stride_n(), p.k_stride_h()),
            span(b, m, heads, d, p.v_stride_b(), p.v_stride_n(), p.v_stride_h())};
        // spans of fp32 elements [start, end) as byte addresses; operands whose spans meet share one conversion
        int regions = 0;
        for (int i = 0; i < 3; i++) {
            long start = at[i], end = at[i] + 4 * extent[i];
            int joined = -1;
            for (int r = 0; r < regions; r++) {
                if (start < spanEnd[r] && spanStart[r] < end) {
                    spanStart[r] = Math.min(spanStart[r], start);
                    spanEnd[r] = Math.max(spanEnd[r], end);
                    joined = r;
                    break;
                }
            }
            if (joined < 0) {
                spanStart[regions] = start;
                spanEnd[regions] = end;
                joined = regions++;
            }
            spanOf[i] = joined;
        }
        for (int r = 0; r + 1 < regions; r++) {   // a later span may bridge two earlier ones
            for (int s = r + 1; s < regions; s++) {
                if (spanStart[s] < spanEnd[r] && spanStart[r] < spanEnd[s]) {
                    throw new IllegalStateException("attention operands overlap in a way the CUDA path does not convert");
                }
            }
        }
        long total = roundUp(2 * denseO);
        long[] offset = new long[regions];
        for (int r = 0; r < regions; r++) {
            offset[r] = total;
            total += roundUp((spanEnd[r] - spanStart[r]) / 2);
        }
        long base = scratch(total);
        for (int r = 0; r < regions; r++) {
            convert(base + offset[r], BF16, spanStart[r], F32, (spanEnd[r] - spanStart[r]) / 4);
        }
        long[] at16 = new long[3];
        for (int i = 0; i < 3; i++) {
            int r = spanOf[i];
            at16[i] = base + offset[r] + (at[i] - spanStart[r]) / 2;
        }
        ReelException.check(ReelNative.reel_attention_forward(device.ordinal(), stream, p, at16[0], at16[1], at16[2],
                base, 0L));
        convert(o, F32, base, BF16, denseO);
    }

    /** Elements from the first to one past the last of a [b, n, heads, d] operand with these strides. */
    private static long span(long b, long n, long heads, long d, long sb, long sn, long sh) {
        return (b - 1) * sb + (n - 1) * sn + (heads - 1) * sh + d;
    }

    @Override
    public void close() {
        gemm.close();
        if (scratch != null) {
            scratch.close();
            scratch = null;
        }
    }
}
