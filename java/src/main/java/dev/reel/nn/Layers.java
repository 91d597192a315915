package dev.reel.nn;

import static dev.reel.nn.RowLayout.requireAddress;
import static dev.reel.nn.RowLayout.requireApart;
import static dev.reel.nn.RowLayout.requireDevice;
import static dev.reel.nn.RowLayout.requireDivides;
import static dev.reel.nn.RowLayout.requireEps;
import static dev.reel.nn.RowLayout.requireRows;
import static dev.reel.nn.RowLayout.requireSize;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.ffi.ReelNative;

/**
 * The model's layers other than matrix products, on fp32 memory the caller
 * owns, for the model runtime: LayerNorm with an affine and the adaLN
 * modulation, per-head RMSNorm, bias + activation, the gated residual,
 * patchify / unpatchify, the timestep and token embeddings and the masked mean.
 * The exact arithmetic of each is in {@code reel.h} ("model layers").
 *
 * <p>Addresses are host memory for {@link Device#CPU} and device memory for a
 * CUDA device, where the work is queued on {@code stream} (0: the default
 * stream); the CPU ignores {@code stream} and returns when the result is
 * written. An optional input is 0 for its neutral value (a weight or gate of 1,
 * a bias, shift or scale of 0). A matrix is {@code rows} rows of {@code dim}
 * contiguous elements, row {@code r} at {@code address + 4*r*stride} (strides
 * count elements). An output may be its input itself only where a method says
 * so (same address and stride); otherwise outputs share no element with any
 * input (interleaved column slices of one buffer are fine).
 *
 * <p>These methods are called about a hundred times per forward pass: they
 * reuse one parameter struct per thread and allocate nothing. A caller's
 * mistake is an {@link IllegalArgumentException} naming the argument, raised
 * before the native call; a failure below is a {@link ReelException} (the CUDA
 * backend answers {@link ReelException.Status#UNSUPPORTED} until its kernels
 * exist).
 */
public final class Layers {
    private static final int F32 = DType.F32.code();

    private static final ThreadLocal<ReelNative.NormParams> NORM = ThreadLocal.withInitial(ReelNative.NormParams::new);
    private static final ThreadLocal<ReelNative.RmsParams> RMS = ThreadLocal.withInitial(ReelNative.RmsParams::new);
    private static final ThreadLocal<ReelNative.BiasActParams> BIAS_ACT =
            ThreadLocal.withInitial(ReelNative.BiasActParams::new);
    private static final ThreadLocal<ReelNative.ResidualParams> RESIDUAL =
            ThreadLocal.withInitial(ReelNative.ResidualParams::new);
    private static final ThreadLocal<ReelNative.PatchParams> PATCH = ThreadLocal.withInitial(ReelNative.PatchParams::new);
    private static final ThreadLocal<ReelNative.EmbeddingParams> EMBEDDING =
            ThreadLocal.withInitial(ReelNative.EmbeddingParams::new);

    private Layers() {}

    /**
     * LayerNorm of each row over {@code dim}, then {@code y*weight + bias}, then
     * {@code y*(1 + scale) + shift} with the shift/scale row {@code r / rowsPerGroup},
     * {@code modStride} elements apart (slices of an adaLN output {@code [B, 6D]}:
     * {@code modStride = 6*D}, {@code rowsPerGroup} = tokens per sample). weight,
     * bias, shift, scale may each be 0; without shift and scale, rowsPerGroup and
     * modStride are ignored. In place allowed ({@code out == x}).
     */
    public static void layerNorm(Device device, long stream, long rows, long dim, long x, long xStride, long out,
            long outStride, long weight, long bias, long shift, long scale, long rowsPerGroup, long modStride,
            float eps) {
        requireDevice(device);
        requireSize("rows", rows, 0);
        requireSize("dim", dim, 1);
        requireEps(eps);
        boolean modulated = shift != 0 || scale != 0;
        if (modulated) {
            requireDivides("rowsPerGroup", rowsPerGroup, rows);
        }
        if (rows == 0) {
            return;
        }
        long groups = modulated ? rows / rowsPerGroup : 1;
        requireRows("out", out, rows, dim, "outStride", outStride);
        requireRows("x", x, rows, dim, "xStride", xStride);
        requireApart("out", out, rows, dim, outStride, "x", x, rows, dim, xStride, true);
        if (weight != 0) {
            requireApart("out", out, rows, dim, outStride, "weight", weight, 1, dim, dim, false);
        }
        if (bias != 0) {
            requireApart("out", out, rows, dim, outStride, "bias", bias, 1, dim, dim, false);
        }
        if (shift != 0) {
            requireRows("shift", shift, groups, dim, "modStride", modStride);
            requireApart("out", out, rows, dim, outStride, "shift", shift, groups, dim, modStride, false);
        }
        if (scale != 0) {
            requireRows("scale", scale, groups, dim, "modStride", modStride);
            requireApart("out", out, rows, dim, outStride, "scale", scale, groups, dim, modStride, false);
        }
        ReelNative.NormParams p = NORM.get();
        p.dtype(F32).rows(rows).dim(dim).x_stride(xStride).out_stride(outStride).rows_per_group(modulated ? rowsPerGroup : 1)
                .mod_stride(modulated ? modStride : dim).eps(eps);
        ReelException.check(ReelNative.reel_layer_norm(device.ordinal(), stream, p, x, weight, bias, shift, scale, out));
    }

    /**
     * RMSNorm over each of {@code heads} segments of {@code headDim} elements of a
     * row (element (r, h, c) at {@code x + 4*(r*xStride + h*headDim + c)}), times
     * {@code weight[c]} ({@code [headDim]}, shared by the heads; 0: 1). For QK-norm
     * inside a packed qkv buffer {@code [rows, 3, heads, d]}: x at the q or k third,
     * strides {@code 3*heads*d}. In place allowed ({@code out == x}).
     */
    public static void rmsNorm(Device device, long stream, long rows, long heads, long headDim, long x, long xStride,
            long out, long outStride, long weight, float eps) {
        requireDevice(device);
        requireSize("rows", rows, 0);
        requireSize("heads", heads, 1);
        requireSize("headDim", headDim, 1);
        requireEps(eps);
        if (heads > RowLayout.MAX_SIZE / headDim) {
            throw new IllegalArgumentException("heads*headDim exceeds 2^40");
        }
        if (rows == 0) {
            return;
        }
        long width = heads * headDim;
        requireRows("out", out, rows, width, "outStride", outStride);
        requireRows("x", x, rows, width, "xStride", xStride);
        requireApart("out", out, rows, width, outStride, "x", x, rows, width, xStride, true);
        requireApart("out", out, rows, width, outStride, "weight", weight, 1, headDim, headDim, false);
        ReelNative.RmsParams p = RMS.get();
        p.dtype(F32).rows(rows).heads(heads).head_dim(headDim).x_stride(xStride).out_stride(outStride).eps(eps);
        ReelException.check(ReelNative.reel_rms_norm(device.ordinal(), stream, p, x, weight, out));
    }

    /**
     * {@code out[r, c] = act(x[r, c] + bias[(r % biasRows)*dim + c])}: biasRows = 1
     * for a plain bias {@code [dim]}, N for a per-token table {@code [N, dim]}
     * added to every sample of N rows (biasRows divides rows; ignored when bias
     * is 0). In place allowed ({@code out == x}).
     */
    public static void biasAct(Device device, long stream, long rows, long dim, long x, long xStride, long out,
            long outStride, long bias, long biasRows, Activation act) {
        requireDevice(device);
        if (act == null) {
            throw new IllegalArgumentException("act is null");
        }
        requireSize("rows", rows, 0);
        requireSize("dim", dim, 1);
        if (bias != 0) {
            requireDivides("biasRows", biasRows, rows);
        }
        if (rows == 0) {
            return;
        }
        requireRows("out", out, rows, dim, "outStride", outStride);
        requireRows("x", x, rows, dim, "xStride", xStride);
        requireApart("out", out, rows, dim, outStride, "x", x, rows, dim, xStride, true);
        long tableRows = bias != 0 ? biasRows : 1;
        requireApart("out", out, rows, dim, outStride, "bias", bias, tableRows, dim, dim, false);
        ReelNative.BiasActParams p = BIAS_ACT.get();
        p.dtype(F32).act(act.code()).rows(rows).dim(dim).bias_rows(tableRows).x_stride(xStride).out_stride(outStride);
        ReelException.check(ReelNative.reel_bias_act(device.ordinal(), stream, p, x, bias, out));
    }

    /**
     * The gated residual, in place on x: {@code x[r, c] += gate[g*gateStride + c] *
     * (y[r, c] + bias[c])}, g = r / rowsPerGroup; gate 0: 1 (rowsPerGroup and
     * gateStride ignored), bias 0: 0. y may be x itself.
     */
    public static void residual(Device device, long stream, long rows, long dim, long x, long xStride, long y,
            long yStride, long bias, long gate, long rowsPerGroup, long gateStride) {
        requireDevice(device);
        requireSize("rows", rows, 0);
        requireSize("dim", dim, 1);
        if (gate != 0) {
            requireDivides("rowsPerGroup", rowsPerGroup, rows);
        }
        if (rows == 0) {
            return;
        }
        requireRows("x", x, rows, dim, "xStride", xStride);
        requireRows("y", y, rows, dim, "yStride", yStride);
        requireApart("x", x, rows, dim, xStride, "y", y, rows, dim, yStride, true);
        requireApart("x", x, rows, dim, xStride, "bias", bias, 1, dim, dim, false);
        long groups = gate != 0 ? rows / rowsPerGroup : 1;
        if (gate != 0) {
            requireRows("gate", gate, groups, dim, "gateStride", gateStride);
            requireApart("x", x, rows, dim, xStride, "gate", gate, groups, dim, gateStride, false);
        }
        ReelNative.ResidualParams p = RESIDUAL.get();
        p.dtype(F32).rows(rows).dim(dim).x_stride(xStride).y_stride(yStride).rows_per_group(gate != 0 ? rowsPerGroup : 1)
                .gate_stride(gate != 0 ? gateStride : dim);
        ReelException.check(ReelNative.reel_residual(device.ordinal(), stream, p, x, y, bias, gate));
    }

    /**
     * Video {@code [B, C, T, H, W]} to tokens {@code [B, N, P]} (both contiguous):
     * patches (pt, ph, pw) dividing (T, H, W), tokens t-major, {@code (c, dt, dh, dw)}
     * order inside a token, as in {@code tools/reel/architecture.md}. video and
     * tokens must not overlap.
     */
    public static void patchify(Device device, long stream, long batch, long channels, long frames, long height,
            long width, long patchT, long patchH, long patchW, long video, long tokens) {
        patch(device, stream, batch, channels, frames, height, width, patchT, patchH, patchW, video, tokens, true);
    }

    /** Tokens {@code [B, N, P]} back to the video {@code [B, C, T, H, W]}: the exact inverse of {@link #patchify}. */
    public static void unpatchify(Device device, long stream, long batch, long channels, long frames, long height,
            long width, long patchT, long patchH, long patchW, long tokens, long video) {
        patch(device, stream, batch, channels, frames, height, width, patchT, patchH, patchW, tokens, video, false);
    }

    private static void patch(Device device, long stream, long batch, long channels, long frames, long height,
            long width, long patchT, long patchH, long patchW, long src, long dst, boolean toTokens) {
        requireDevice(device);
        requireSize("batch", batch, 1);
        requireSize("channels", channels, 1);
        requireSize("frames", frames, 1);
        requireSize("height", height, 1);
        requireSize("width", width, 1);
        requireSize("patchT", patchT, 1);
        requireSize("patchH", patchH, 1);
        requireSize("patchW", patchW, 1);
        requirePatch("patchT", patchT, "frames", frames);
        requirePatch("patchH", patchH, "height", height);
        requirePatch("patchW", patchW, "width", width);
        long count;
        try {
            count = Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(batch, channels), Math.multiplyExact(frames,
                    height)), width);
        } catch (ArithmeticException e) {
            count = Long.MAX_VALUE;
        }
        if (count > RowLayout.MAX_EXTENT / RowLayout.ELEMENT) {
            throw new IllegalArgumentException("the video exceeds 2^62 bytes");
        }
        requireAddress(toTokens ? "video" : "tokens", src);
        requireAddress(toTokens ? "tokens" : "video", dst);
        requireApart(toTokens ? "tokens" : "video", dst, 1, count, count, toTokens ? "video" : "tokens", src, 1, count,
                count, false);
        ReelNative.PatchParams p = PATCH.get();
        p.dtype(F32).batch(batch).channels(channels).frames(frames).height(height).width(width).patch_t(patchT)
                .patch_h(patchH).patch_w(patchW);
        int device0 = device.ordinal();
        ReelException.check(toTokens ? ReelNative.reel_patchify(device0, stream, p, src, dst)
                : ReelNative.reel_unpatchify(device0, stream, p, src, dst));
    }

    private static void requirePatch(String name, long patch, String axis, long size) {
        if (size % patch != 0) {
            throw new IllegalArgumentException(name + " " + patch + " does not divide " + axis + " " + size);
        }
    }

    /**
     * The sinusoidal timestep embedding {@code out [batch, dim]} of {@code t [batch]}
     * (fp32 where the call runs): half = dim/2, {@code freq_j = exp(-ln(10000)*j/half)},
     * {@code arg = (scale*t)*freq_j}, cosines then sines, each step in float32 as
     * PyTorch computes it. dim is even; out must not overlap t.
     */
    public static void timestepEmbedding(Device device, long stream, long batch, long dim, double scale, long t,
            long out) {
        requireDevice(device);
        requireSize("batch", batch, 1);
        requireSize("dim", dim, 2);
        if (dim % 2 != 0) {
            throw new IllegalArgumentException("dim must be even, got " + dim);
        }
        if (!Double.isFinite(scale) || !Float.isFinite((float) scale)) {
            throw new IllegalArgumentException("scale is not a finite fp32 value: " + scale);
        }
        requireRows("out", out, batch, dim, "dim", dim);
        requireAddress("t", t);
        requireApart("out", out, batch, dim, dim, "t", t, 1, batch, batch, false);
        ReelException.check(ReelNative.reel_timestep_embedding(device.ordinal(), stream, F32, batch, dim, scale, t, out));
    }

    /**
     * Token embedding: {@code out[r, :] = table[ids[r], :]*scale + pos[r % positions, :]}
     * (one rounding), table {@code [vocab, dim]}, pos {@code [positions, dim]} (0: none;
     * positions divides rows), out {@code [rows, dim]}, ids {@code [rows]} int64 where
     * the call runs. The text encoder's {@code tok_embed[id]*sqrt(D) + pos_embed[position]}.
     *
     * @throws ReelException with status INVALID_ARGUMENT naming the row when an id
     *     is outside {@code [0, vocab)} (libreel reads the ids; nothing is written)
     */
    public static void embedding(Device device, long stream, long rows, long dim, long ids, long table, long vocab,
            long pos, long positions, float scale, long out) {
        requireDevice(device);
        requireSize("rows", rows, 0);
        requireSize("dim", dim, 1);
        requireSize("vocab", vocab, 1);
        if (pos != 0) {
            requireDivides("positions", positions, rows);
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        if (rows == 0) {
            return;
        }
        long posRows = pos != 0 ? positions : 1;
        requireRows("out", out, rows, dim, "dim", dim);
        requireRows("table", table, vocab, dim, "dim", dim);
        if (pos != 0) {
            requireRows("pos", pos, posRows, dim, "dim", dim);
        }
        requireAddress("ids", ids);
        requireApart("out", out, rows, dim, dim, "table", table, vocab, dim, dim, false);
        requireApart("out", out, rows, dim, dim, "pos", pos, posRows, dim, dim, false);
        requireApart("out", out, rows, dim, dim, "ids", ids, 1, 2 * rows, 2 * rows, false);  // int64: two fp32 widths
        ReelNative.EmbeddingParams p = EMBEDDING.get();
        p.dtype(F32).rows(rows).dim(dim).vocab(vocab).positions(posRows).scale(scale);
        ReelException.check(ReelNative.reel_embedding(device.ordinal(), stream, p, ids, table, pos, out));
    }

    /**
     * {@code out[b, :]} = the mean of rows {@code 0 .. lengths[b]-1} of sample b of
     * {@code x [batch, len, dim]}; out {@code [batch, dim]}, lengths {@code [batch]}
     * int64 where the call runs.
     *
     * @throws ReelException with status INVALID_ARGUMENT naming b when a length is
     *     outside {@code [1, len]} (libreel reads the lengths; nothing is written)
     */
    public static void maskedMean(Device device, long stream, long batch, long len, long dim, long x, long lengths,
            long out) {
        requireDevice(device);
        requireSize("batch", batch, 1);
        requireSize("len", len, 1);
        requireSize("dim", dim, 1);
        if (batch > RowLayout.MAX_SIZE / len) {
            throw new IllegalArgumentException("batch*len exceeds 2^40");
        }
        requireRows("x", x, batch * len, dim, "dim", dim);
        requireRows("out", out, batch, dim, "dim", dim);
        requireAddress("lengths", lengths);
        requireApart("out", out, batch, dim, dim, "x", x, batch * len, dim, dim, false);
        requireApart("out", out, batch, dim, dim, "lengths", lengths, 1, 2 * batch, 2 * batch, false);
        ReelException.check(ReelNative.reel_masked_mean(device.ordinal(), stream, F32, batch, len, dim, x, lengths, out));
    }
}
