package dev.reel.attention;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import java.lang.ref.Reference;
import java.util.Locale;
import org.bytedeco.javacpp.LongPointer;

/**
 * Fused attention over the tokens of a video, {@code softmax(scale * Q K^T) V}
 * per sample and head, with an optional 3D rotary embedding applied to Q and K
 * as they are read. Tokens of a {@code T x H x W} video are stored t-major
 * ({@code n = (t*H + h)*W + w}); Q, K, V and the output are {@code [B, N, heads, d]}
 * (K and V are {@code [B, M, heads, d]} in {@link AttentionMode#CROSS}).
 *
 * <p>An instance is immutable and reusable; its {@code toString} reproduces it.
 *
 * <pre>{@code
 * SpacetimeAttention attention = SpacetimeAttention.builder()
 *         .mode(AttentionMode.WINDOW).video(16, 32, 32)
 *         .tiles(4, 8, 8).window(1, 1, 1)
 *         .rope(16, 24, 24)
 *         .build();
 * attention.forward(q, k, v, out);          // tensors [B, 16*32*32, heads, 64]
 * }</pre>
 *
 * <p>The CPU runs fp32 and bf16 storage, CUDA bf16 and fp16; head dims 32, 64,
 * 96 and 128; sums are fp32. Mistakes in the arguments are
 * {@link IllegalArgumentException}s raised before any native call; a failure
 * below (for example a CUDA backend without the kernel) is a {@link ReelException}.
 */
public final class SpacetimeAttention {
    private static final long[] HEAD_DIMS = {32, 64, 96, 128};

    private final AttentionMode mode;
    private final long frames;
    private final long height;
    private final long width;
    private final long[] tiles;   // WINDOW: tile size in tokens (t, h, w)
    private final long[] window;  // WINDOW: radius in tiles (t, h, w)
    private final int[] rope;     // channels (dt, dh, dw), null when off
    private final float ropeTheta;
    private final float[] ropeOffsets;
    private final float scale;    // 0: 1/sqrt(head dim)

    private SpacetimeAttention(Builder b) {
        this.mode = b.mode;
        this.frames = b.frames;
        this.height = b.height;
        this.width = b.width;
        this.tiles = b.tiles.clone();
        this.window = b.window == null ? new long[3] : b.window.clone();
        this.rope = b.rope == null ? null : b.rope.clone();
        this.ropeTheta = b.ropeTheta;
        this.ropeOffsets = b.ropeOffsets.clone();
        this.scale = b.scale;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether the kernels run this head dim (32, 64, 96 or 128). */
    public static boolean supportsHeadDim(long headDim) {
        for (long d : HEAD_DIMS) {
            if (d == headDim) {
                return true;
            }
        }
        return false;
    }

    public AttentionMode mode() {
        return mode;
    }

    /** Tokens per sample, {@code T*H*W}. */
    public long tokens() {
        return frames * height * width;
    }

    /** out = attention(q, k, v). */
    public void forward(Tensor q, Tensor k, Tensor v, Tensor out) {
        forward(q, k, v, out, null, null);
    }

    /** out = attention(q, k, v); lse (F32 {@code [B, heads, N]}, may be null) gets the natural row log-sum-exp. */
    public void forward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse) {
        forward(q, k, v, out, lse, null);
    }

    /**
     * out = attention(q, k, v), with per-sample valid context lengths for
     * {@link AttentionMode#CROSS} ({@code contextLengths[b]} in {@code [0, M]}; null:
     * all M). A query with no valid key gets 0 and an lse of negative infinity.
     */
    public void forward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, long[] contextLengths) {
        try {
            requireTensor(q, "q");
            requireTensor(k, "k");
            requireTensor(v, "v");
            requireTensor(out, "out");
            if (lse != null) {
                requireTensor(lse, "lse");
            }
            Device device = q.device();
            DType dtype = q.dtype();
            for (Object[] t : new Object[][] {{k, "k"}, {v, "v"}, {out, "out"}, {lse, "lse"}}) {
                Tensor tensor = (Tensor) t[0];
                if (tensor != null && !tensor.device().equals(device)) {
                    throw new IllegalArgumentException(t[1] + " is on " + tensor.device() + " but q is on " + device);
                }
            }
            requireDtype(device, dtype);
            for (Object[] t : new Object[][] {{k, "k"}, {v, "v"}, {out, "out"}}) {
                Tensor tensor = (Tensor) t[0];
                if (tensor.dtype() != dtype) {
                    throw new IllegalArgumentException(t[1] + " is " + tensor.dtype() + " but q is " + dtype);
                }
            }
            Shape qs = q.shape();
            if (qs.rank() != 4) {
                throw new IllegalArgumentException("q must be [B, N, heads, headDim], got shape " + qs);
            }
            long batch = qs.dim(0), heads = qs.dim(2), headDim = qs.dim(3);
            if (qs.dim(1) != tokens()) {
                throw new IllegalArgumentException("q has " + qs.dim(1) + " tokens but the video " + frames + "x"
                        + height + "x" + width + " has " + tokens());
            }
            if (batch < 1 || heads < 1) {
                throw new IllegalArgumentException("q must have at least one sample and one head, got shape " + qs);
            }
            long contextLength;
            if (mode == AttentionMode.CROSS) {
                Shape ks = k.shape();
                if (ks.rank() != 4 || ks.dim(0) != batch || ks.dim(2) != heads || ks.dim(3) != headDim || ks.dim(1) < 1) {
                    throw new IllegalArgumentException("k must be [B, M, heads, headDim] = [" + batch + ", M >= 1, "
                            + heads + ", " + headDim + "] for CROSS, got " + ks);
                }
                if (!v.shape().equals(ks)) {
                    throw new IllegalArgumentException("v has shape " + v.shape() + " but k has " + ks);
                }
                contextLength = ks.dim(1);
            } else {
                for (Object[] t : new Object[][] {{k, "k"}, {v, "v"}}) {
                    Tensor tensor = (Tensor) t[0];
                    if (!tensor.shape().equals(qs)) {
                        throw new IllegalArgumentException(t[1] + " has shape " + tensor.shape() + " but q has " + qs);
                    }
                }
                contextLength = 0;
            }
            if (!out.shape().equals(qs)) {
                throw new IllegalArgumentException("out has shape " + out.shape() + " but q has " + qs);
            }
            if (lse != null) {
                Shape expected = Shape.of(batch, heads, tokens());
                if (lse.dtype() != DType.F32 || !lse.shape().equals(expected)) {
                    throw new IllegalArgumentException("lse must be F32 " + expected + ", got " + lse.dtype() + lse.shape());
                }
            }
            requireHeadDim(headDim);
            for (Object[] t : new Object[][] {{q, "q"}, {k, "k"}, {v, "v"}}) {
                if (out.overlaps((Tensor) t[0])) {
                    throw new IllegalArgumentException("out overlaps the input " + t[1]);
                }
                if (lse != null && lse.overlaps((Tensor) t[0])) {
                    throw new IllegalArgumentException("lse overlaps the input " + t[1]);
                }
            }
            if (lse != null && lse.overlaps(out)) {
                throw new IllegalArgumentException("lse overlaps out");
            }
            requireContextLengths(contextLengths, batch, contextLength);
            AttentionOperand qo = AttentionOperand.contiguous(q.address(), tokens(), heads, headDim);
            AttentionOperand oo = AttentionOperand.contiguous(out.address(), tokens(), heads, headDim);
            long kvTokens = mode == AttentionMode.CROSS ? contextLength : tokens();
            AttentionOperand ko = AttentionOperand.contiguous(k.address(), kvTokens, heads, headDim);
            AttentionOperand vo = AttentionOperand.contiguous(v.address(), kvTokens, heads, headDim);
            run(device, dtype, batch, heads, headDim, qo, ko, vo, oo, contextLength, contextLengths,
                    lse == null ? 0L : lse.address(), 0L);
        } finally {
            Reference.reachabilityFence(q);
            Reference.reachabilityFence(k);
            Reference.reachabilityFence(v);
            Reference.reachabilityFence(out);
            Reference.reachabilityFence(lse);
        }
    }

    /**
     * The same on memory the caller owns: host memory for {@link Device#CPU}, device
     * memory for a CUDA device, where the work is queued on {@code cudaStream} (0:
     * the default stream) and not waited for. {@code contextLength} is M for
     * {@link AttentionMode#CROSS} (ignored otherwise) and {@code contextLengthsAddress}
     * points to {@code B} int64 valid lengths where the call runs (0: all M);
     * {@code lseAddress} is an F32 {@code [B, heads, N]} buffer or 0.
     */
    public void forward(Device device, DType dtype, long batch, long heads, long headDim, AttentionOperand q,
            AttentionOperand k, AttentionOperand v, AttentionOperand out, long contextLength,
            long contextLengthsAddress, long lseAddress, long cudaStream) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is null");
        }
        for (Object[] o : new Object[][] {{q, "q"}, {k, "k"}, {v, "v"}, {out, "out"}}) {
            if (o[0] == null) {
                throw new IllegalArgumentException(o[1] + " is null");
            }
        }
        if (batch < 1 || heads < 1) {
            throw new IllegalArgumentException("batch and heads must be >= 1, got " + batch + ", " + heads);
        }
        requireDtype(device, dtype);
        requireHeadDim(headDim);
        if (mode == AttentionMode.CROSS && contextLength < 1) {
            throw new IllegalArgumentException("contextLength must be >= 1 for CROSS, got " + contextLength);
        }
        ReelNative.AttentionParams p = params(dtype, batch, heads, headDim, q, k, v, out, contextLength);
        try (p) {
            p.context_lens(contextLengthsAddress);
            ReelException.check(ReelNative.reel_attention_forward(device.ordinal(), cudaStream, p, q.address(), k.address(),
                    v.address(), out.address(), lseAddress));
        }
    }

    private void run(Device device, DType dtype, long batch, long heads, long headDim, AttentionOperand q,
            AttentionOperand k, AttentionOperand v, AttentionOperand out, long contextLength, long[] contextLengths,
            long lseAddress, long cudaStream) {
        try (ReelNative.AttentionParams p = params(dtype, batch, heads, headDim, q, k, v, out, contextLength);
                LongPointer lengths = contextLengths == null ? null : new LongPointer(contextLengths)) {
            long lengthsAddress = 0;
            long[] deviceCopy = new long[1];
            if (lengths != null && device.isCuda()) {
                ReelException.check(ReelNative.reel_malloc(device.ordinal(), 8L * contextLengths.length, deviceCopy));
                lengthsAddress = deviceCopy[0];
                ReelException.check(ReelNative.reel_memcpy(lengthsAddress, lengths.address(), 8L * contextLengths.length,
                        ReelNative.REEL_COPY_HOST_TO_DEVICE, device.ordinal(), cudaStream));
            } else if (lengths != null) {
                lengthsAddress = lengths.address();
            }
            try {
                p.context_lens(lengthsAddress);
                ReelException.check(ReelNative.reel_attention_forward(device.ordinal(), cudaStream, p, q.address(), k.address(),
                        v.address(), out.address(), lseAddress));
            } finally {
                if (deviceCopy[0] != 0) {
                    ReelNative.reel_synchronize(device.ordinal(), cudaStream);
                    ReelNative.reel_free(device.ordinal(), deviceCopy[0]);
                }
            }
        }
    }

    private ReelNative.AttentionParams params(DType dtype, long batch, long heads, long headDim, AttentionOperand q,
            AttentionOperand k, AttentionOperand v, AttentionOperand out, long contextLength) {
        if (rope != null && rope[0] + rope[1] + rope[2] > headDim) {
            throw new IllegalArgumentException("rope sections (" + rope[0] + ", " + rope[1] + ", " + rope[2]
                    + ") need " + (rope[0] + rope[1] + rope[2]) + " channels but the head dim is " + headDim);
        }
        ReelNative.AttentionParams p = new ReelNative.AttentionParams();
        p.mode(mode.code()).dtype(dtype.code()).batch(batch).frames(frames).height(height).width(width).heads(heads)
                .head_dim(headDim);
        p.q_stride_b(q.strideBatch()).q_stride_n(q.strideToken()).q_stride_h(q.strideHead());
        p.k_stride_b(k.strideBatch()).k_stride_n(k.strideToken()).k_stride_h(k.strideHead());
        p.v_stride_b(v.strideBatch()).v_stride_n(v.strideToken()).v_stride_h(v.strideHead());
        p.o_stride_b(out.strideBatch()).o_stride_n(out.strideToken()).o_stride_h(out.strideHead());
        p.context_len(mode == AttentionMode.CROSS ? contextLength : 0).context_lens(0L);
        p.tile_t(tiles[0]).tile_h(tiles[1]).tile_w(tiles[2]);
        p.window_t(window[0]).window_h(window[1]).window_w(window[2]);
        p.rope(rope == null ? 0 : 1).rope_dt(rope == null ? 0 : rope[0]).rope_dh(rope == null ? 0 : rope[1])
                .rope_dw(rope == null ? 0 : rope[2]);
        p.rope_theta(ropeTheta).rope_t0(ropeOffsets[0]).rope_h0(ropeOffsets[1]).rope_w0(ropeOffsets[2]);
        p.scale(scale);
        return p;
    }

    private static void requireTensor(Tensor t, String name) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (t.isClosed()) {
            throw new IllegalArgumentException(name + " is closed: " + t);
        }
    }

    private static void requireDtype(Device device, DType dtype) {
        boolean ok = device.isCuda() ? dtype == DType.BF16 || dtype == DType.F16 : dtype == DType.F32 || dtype == DType.BF16;
        if (!ok) {
            throw new IllegalArgumentException("attention on " + (device.isCuda() ? "CUDA" : "the CPU") + " stores "
                    + (device.isCuda() ? "BF16 or F16" : "F32 or BF16") + ", not " + dtype);
        }
    }

    private static void requireHeadDim(long headDim) {
        if (!supportsHeadDim(headDim)) {
            throw new IllegalArgumentException("head dim " + headDim + " is not supported (32, 64, 96 or 128)");
        }
    }

    private void requireContextLengths(long[] lengths, long batch, long contextLength) {
        if (lengths == null) {
            return;
        }
        if (mode != AttentionMode.CROSS) {
            throw new IllegalArgumentException("contextLengths apply to CROSS only, the mode is " + mode);
        }
        if (lengths.length != batch) {
            throw new IllegalArgumentException("contextLengths has " + lengths.length + " entries for a batch of " + batch);
        }
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 0 || lengths[b] > contextLength) {
                throw new IllegalArgumentException("contextLengths[" + b + "] = " + lengths[b] + " is outside [0, "
                        + contextLength + "]");
            }
        }
    }


    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("SpacetimeAttention{mode=").append(mode).append(", video=").append(frames)
                .append('x').append(height).append('x').append(width);
        if (mode == AttentionMode.WINDOW) {
            s.append(", tiles=").append(tiles[0]).append('x').append(tiles[1]).append('x').append(tiles[2])
                    .append(", window=").append(window[0]).append('x').append(window[1]).append('x').append(window[2]);
        }
        if (rope != null) {
            s.append(String.format(Locale.ROOT, ", rope=(%d, %d, %d), theta=%s, offsets=(%s, %s, %s)", rope[0], rope[1],
                    rope[2], ropeTheta, ropeOffsets[0], ropeOffsets[1], ropeOffsets[2]));
        }
        s.append(", scale=").append(scale == 0f ? "1/sqrt(headDim)" : Float.toString(scale)).append('}');
        return s.toString();
    }

    /** Options with defaults: no RoPE, scale 1/sqrt(head dim), tiles of one token. */
    public static final class Builder {
        private AttentionMode mode;
        private long frames;
        private long height;
        private long width;
        private long[] tiles = {1, 1, 1};
        private long[] window;
        private int[] rope;
        private float ropeTheta = 10000f;
        private float[] ropeOffsets = {0f, 0f, 0f};
        private float scale;

        private Builder() {}

        public Builder mode(AttentionMode mode) {
            this.mode = mode;
            return this;
        }

        /** The video layout: {@code frames x height x width} tokens per sample, t-major. */
        public Builder video(long frames, long height, long width) {
            if (frames < 1 || height < 1 || width < 1) {
                throw new IllegalArgumentException("video must be at least 1x1x1 tokens, got " + frames + "x" + height
                        + "x" + width);
            }
            this.frames = frames;
            this.height = height;
            this.width = width;
            return this;
        }

        /** WINDOW: tile size in tokens along t, h, w (default 1x1x1: a token window). */
        public Builder tiles(long t, long h, long w) {
            if (t < 1 || h < 1 || w < 1) {
                throw new IllegalArgumentException("tiles must be at least 1x1x1, got " + t + "x" + h + "x" + w);
            }
            this.tiles = new long[] {t, h, w};
            return this;
        }

        /** WINDOW: a query tile sees the tiles within {@code ±t, ±h, ±w} tiles of it. */
        public Builder window(long t, long h, long w) {
            if (t < 0 || h < 0 || w < 0) {
                throw new IllegalArgumentException("window radii must be >= 0, got " + t + ", " + h + ", " + w);
            }
            this.window = new long[] {t, h, w};
            return this;
        }

        /** 3D rotary embedding on Q and K: the first {@code dt} channels by time, then {@code dh} by row, {@code dw} by column. */
        public Builder rope(int dt, int dh, int dw) {
            if (dt < 0 || dh < 0 || dw < 0 || dt % 2 != 0 || dh % 2 != 0 || dw % 2 != 0 || dt + dh + dw == 0) {
                throw new IllegalArgumentException("rope sections must be even, >= 0 and not all 0, got (" + dt + ", "
                        + dh + ", " + dw + ")");
            }
            this.rope = new int[] {dt, dh, dw};
            return this;
        }

        /** RoPE base θ (default 10000). */
        public Builder ropeTheta(float theta) {
            if (!(theta > 1f) || Float.isInfinite(theta)) {
                throw new IllegalArgumentException("ropeTheta must be finite and > 1, got " + theta);
            }
            this.ropeTheta = theta;
            return this;
        }

        /** RoPE positions are {@code t + t0, h + h0, w + w0} (default 0, 0, 0). */
        public Builder ropeOffsets(float t0, float h0, float w0) {
            if (!Float.isFinite(t0) || !Float.isFinite(h0) || !Float.isFinite(w0)) {
                throw new IllegalArgumentException("rope offsets must be finite, got " + t0 + ", " + h0 + ", " + w0);
            }
            this.ropeOffsets = new float[] {t0, h0, w0};
            return this;
        }

        /** Softmax scale (default 1/sqrt(head dim)). */
        public Builder scale(float scale) {
            if (!(scale > 0f) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException("scale must be finite and > 0, got " + scale);
            }
            this.scale = scale;
            return this;
        }

        public SpacetimeAttention build() {
            if (mode == null) {
                throw new IllegalArgumentException("mode is not set");
            }
            if (frames == 0) {
                throw new IllegalArgumentException("video(frames, height, width) is not set");
            }
            if (mode == AttentionMode.WINDOW) {
                if (window == null) {
                    throw new IllegalArgumentException("WINDOW needs window(t, h, w)");
                }
                long[] dims = {frames, height, width};
                String axes = "thw";
                for (int a = 0; a < 3; a++) {
                    if (tiles[a] > dims[a]) {
                        throw new IllegalArgumentException("tile " + tiles[a] + " along " + axes.charAt(a)
                                + " is larger than the video's " + dims[a] + " tokens");
                    }
                    long count = (dims[a] + tiles[a] - 1) / tiles[a];
                    if (window[a] >= count) {
                        throw new IllegalArgumentException("window " + window[a] + " along " + axes.charAt(a)
                                + " is larger than the video: " + count + " tiles, so at most " + (count - 1));
                    }
                }
            } else {
                if (window != null) {
                    throw new IllegalArgumentException("window(...) applies to WINDOW only, the mode is " + mode);
                }
            }
            if (mode == AttentionMode.CROSS && rope != null) {
                throw new IllegalArgumentException("rope applies to video tokens, not to CROSS attention's context");
            }
            return new SpacetimeAttention(this);
        }
    }
}
