package dev.reel.nn;

import static dev.reel.nn.RowLayout.requireAddress;
import static dev.reel.nn.RowLayout.requireApart;
import static dev.reel.nn.RowLayout.requireDevice;
import static dev.reel.nn.RowLayout.requireEps;
import static dev.reel.nn.RowLayout.requireRows;
import static dev.reel.nn.RowLayout.requireSize;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.ffi.ReelNative;

/**
 * The layers of a convolutional autoencoder other than matrix products, on fp32 memory the
 * caller owns: GroupNorm with an activation, the patch matrix of a convolution (im2col), a
 * per-channel scale and shift, and nearest 2x upsampling. {@link Conv2d} puts im2col, the
 * bias and an OpenBLAS product together into a convolution. The exact arithmetic of each
 * call is in {@code reel.h} ("image layers").
 *
 * <p>An image is a plane of {@code height × width} contiguous elements; where the planes
 * of images and channels lie is given by element strides, so that both the usual
 * {@code [N, C, H, W]} layout and the channel-major {@code [C, N, H, W]} one (a video
 * {@code [C, T, H, W]} read as T images) are accepted. Addresses, devices and streams as in
 * {@link Layers}; a caller's mistake is an {@link IllegalArgumentException} naming the
 * argument before any native call, a failure below a {@link ReelException}. The calls reuse
 * one parameter struct per thread and allocate nothing.
 */
public final class ImageLayers {
    private static final int F32 = DType.F32.code();

    private static final ThreadLocal<ReelNative.GroupNormParams> GROUP_NORM =
            ThreadLocal.withInitial(ReelNative.GroupNormParams::new);
    private static final ThreadLocal<ReelNative.Im2colParams> IM2COL = ThreadLocal.withInitial(ReelNative.Im2colParams::new);
    private static final ThreadLocal<ReelNative.ChannelAffineParams> AFFINE =
            ThreadLocal.withInitial(ReelNative.ChannelAffineParams::new);

    private ImageLayers() {}

    /** The output size of a convolution (kernel 1 or 3, padding (kernel − 1)/2) of {@code size} at {@code stride}. */
    public static long outputSize(long size, int stride) {
        return (size - 1) / stride + 1;
    }

    /**
     * GroupNorm of {@code batch} images of {@code channels} channels in {@code groups}
     * contiguous groups, each (image, channel) a plane of {@code spatial} contiguous elements
     * at {@code x + 4*(n*xBatchStride + c*xChannelStride)} (out likewise), then
     * {@code act(y*weight[c] + bias[c])} (weight, bias 0: 1, 0). In place allowed (out == x
     * with the same strides); otherwise out shares nothing with x's span.
     */
    public static void groupNorm(Device device, long stream, long batch, long channels, long groups, long spatial,
            long x, long xBatchStride, long xChannelStride, long out, long outBatchStride, long outChannelStride,
            long weight, long bias, float eps, Activation act) {
        requireDevice(device);
        if (act == null) {
            throw new IllegalArgumentException("act is null");
        }
        requireSize("batch", batch, 0);
        requireSize("channels", channels, 1);
        requireSize("groups", groups, 1);
        requireSize("spatial", spatial, 1);
        if (channels % groups != 0) {
            throw new IllegalArgumentException("groups " + groups + " does not divide channels " + channels);
        }
        requireStride("xBatchStride", xBatchStride);
        requireStride("xChannelStride", xChannelStride);
        requireStride("outBatchStride", outBatchStride);
        requireStride("outChannelStride", outChannelStride);
        requireEps(eps);
        if (batch == 0) {
            return;
        }
        requireAddress("x", x);
        requireAddress("out", out);
        long xSpan = span("x", batch, xBatchStride, channels, xChannelStride, spatial);
        long outSpan = span("out", batch, outBatchStride, channels, outChannelStride, spatial);
        if (!distinct(batch, outBatchStride, channels, outChannelStride, spatial)) {
            throw new IllegalArgumentException("the out strides map two elements to one address");
        }
        boolean inPlace = out == x && outBatchStride == xBatchStride && outChannelStride == xChannelStride;
        if (!inPlace) {
            requireApart("out", out, 1, outSpan, outSpan, "x", x, 1, xSpan, xSpan, false);
        }
        requireApart("out", out, 1, outSpan, outSpan, "weight", weight, 1, channels, channels, false);
        requireApart("out", out, 1, outSpan, outSpan, "bias", bias, 1, channels, channels, false);
        ReelNative.GroupNormParams p = GROUP_NORM.get();
        p.dtype(F32).act(act.code()).batch(batch).channels(channels).groups(groups).spatial(spatial)
                .x_batch_stride(xBatchStride).x_channel_stride(xChannelStride).out_batch_stride(outBatchStride)
                .out_channel_stride(outChannelStride).eps(eps);
        ReelException.check(ReelNative.reel_group_norm(device.ordinal(), stream, p, x, weight, bias, out));
    }

    /**
     * Output rows {@code [rowBegin, rowEnd)} (numbered {@code f*Ho + i} over {@code frames}
     * images) of a {@code kernel × kernel} convolution at {@code stride} as the columns of its
     * patch matrix: {@code channels·kernel²} rows, {@code patchesStride} elements apart, of
     * {@code (rowEnd − rowBegin)·Wo} columns; row {@code (c·k + u)·k + v}, column
     * {@code (r − rowBegin)·Wo + j} holds {@code x[c, f, s·i + u − pad, s·j + v − pad]} (0
     * outside the image). Element (c, f, y, x) of the input is at
     * {@code x + 4*(c*channelStride + f*frameStride + y*width + x)}. patches must not overlap x.
     */
    public static void im2col(Device device, long stream, long channels, long frames, long height, long width,
            int kernel, int stride, long x, long channelStride, long frameStride, long rowBegin, long rowEnd,
            long patches, long patchesStride) {
        requireDevice(device);
        if (kernel != 1 && kernel != 3) {
            throw new IllegalArgumentException("kernel must be 1 or 3, got " + kernel);
        }
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        requireSize("channels", channels, 1);
        requireSize("frames", frames, 1);
        requireSize("height", height, 1);
        requireSize("width", width, 1);
        requireStride("channelStride", channelStride);
        requireStride("frameStride", frameStride);
        long plane = product40("height*width", height, width);
        long wo = outputSize(width, stride);
        long rows = product40("frames*output height", frames, outputSize(height, stride));
        if (rowBegin < 0 || rowBegin > rowEnd || rowEnd > rows) {
            throw new IllegalArgumentException("rows [" + rowBegin + ", " + rowEnd + ") are not within the " + rows
                    + " output rows");
        }
        if (rowBegin == rowEnd) {
            return;
        }
        long columns = product40("the patch matrix's columns", rowEnd - rowBegin, wo);
        requireAddress("x", x);
        long xSpan = span("x", channels, channelStride, frames, frameStride, plane);
        long taps = channels * kernel * kernel;
        requireRows("patches", patches, taps, columns, "patchesStride", patchesStride);
        requireApart("patches", patches, taps, columns, patchesStride, "x", x, 1, xSpan, xSpan, false);
        ReelNative.Im2colParams p = IM2COL.get();
        p.dtype(F32).kernel(kernel).stride(stride).channels(channels).frames(frames).height(height).width(width)
                .channel_stride(channelStride).frame_stride(frameStride).row_begin(rowBegin).row_end(rowEnd)
                .patches_stride(patchesStride);
        ReelException.check(ReelNative.reel_im2col(device.ordinal(), stream, p, x, patches));
    }

    /**
     * {@code out[c*outStride + k] = x[c*xStride + k]*scale[c] + shift[c]} (one rounding) for
     * {@code k < count}; scale 0: 1, shift 0: 0, x 0: 0 (out = shift; xStride ignored). A
     * convolution's bias, a bias added onto a residual, and the latent normalisation. In place
     * allowed (out == x, same stride).
     */
    public static void channelAffine(Device device, long stream, long channels, long count, long x, long xStride,
            long scale, long shift, long out, long outStride) {
        requireDevice(device);
        requireSize("channels", channels, 0);
        requireSize("count", count, 1);
        if (channels == 0) {
            return;
        }
        requireRows("out", out, channels, count, "outStride", outStride);
        if (x != 0) {
            requireRows("x", x, channels, count, "xStride", xStride);
            requireApart("out", out, channels, count, outStride, "x", x, channels, count, xStride, true);
        }
        requireApart("out", out, channels, count, outStride, "scale", scale, 1, channels, channels, false);
        requireApart("out", out, channels, count, outStride, "shift", shift, 1, channels, channels, false);
        ReelNative.ChannelAffineParams p = AFFINE.get();
        p.dtype(F32).channels(channels).count(count).x_stride(x != 0 ? xStride : count).out_stride(outStride);
        ReelException.check(ReelNative.reel_channel_affine(device.ordinal(), stream, p, x, scale, shift, out));
    }

    /** {@code x [planes, H, W]} to {@code out [planes, 2H, 2W]}, both contiguous: {@code out[p, i, j] = x[p, i/2, j/2]}. */
    public static void upsampleNearest2x(Device device, long stream, long planes, long height, long width, long x,
            long out) {
        requireDevice(device);
        requireSize("planes", planes, 1);
        requireSize("height", height, 1);
        requireSize("width", width, 1);
        long count;
        try {
            count = Math.multiplyExact(Math.multiplyExact(planes, height), width);
        } catch (ArithmeticException e) {
            count = Long.MAX_VALUE;
        }
        if (count > RowLayout.MAX_EXTENT / RowLayout.ELEMENT / 4) {
            throw new IllegalArgumentException("the output exceeds 2^62 bytes");
        }
        requireAddress("x", x);
        requireAddress("out", out);
        requireApart("out", out, 1, 4 * count, 4 * count, "x", x, 1, count, count, false);
        ReelException.check(ReelNative.reel_upsample_nearest2x(device.ordinal(), stream, F32, planes, height, width, x,
                out));
    }

    private static void requireStride(String name, long stride) {
        if (stride < 0 || stride > RowLayout.MAX_SIZE) {
            throw new IllegalArgumentException(name + " must be in [0, 2^40], got " + stride);
        }
    }

    private static long product40(String what, long a, long b) {
        if (a > RowLayout.MAX_SIZE / b) {
            throw new IllegalArgumentException(what + " exceeds 2^40");
        }
        return a * b;
    }

    /** Elements from the first to one past the last of {@code outer × inner} planes; at most 2^62 bytes. */
    private static long span(String name, long outer, long outerStride, long inner, long innerStride, long plane) {
        // each term is below 2^80 in the worst case: compute in double first to refuse it
        double elements = (double) (outer - 1) * outerStride + (double) (inner - 1) * innerStride + plane;
        if (elements * RowLayout.ELEMENT > RowLayout.MAX_EXTENT) {
            throw new IllegalArgumentException("the extent of " + name + " exceeds 2^62 bytes");
        }
        return (outer - 1) * outerStride + (inner - 1) * innerStride + plane;
    }

    /** Whether two strided axes over contiguous planes give every element its own address. */
    private static boolean distinct(long aSize, long aStride, long bSize, long bStride, long plane) {
        long smallSize = aStride <= bStride ? aSize : bSize, smallStride = Math.min(aStride, bStride);
        long bigSize = aStride <= bStride ? bSize : aSize, bigStride = Math.max(aStride, bStride);
        long reach = plane;
        if (smallSize > 1) {
            if (smallStride < reach) {
                return false;
            }
            reach = smallStride * (smallSize - 1) + reach;
        }
        return bigSize <= 1 || bigStride >= reach;
    }
}
