package dev.reel.nn;

import dev.reel.Device;

/**
 * A 2D convolution's weights where it runs (fp32 on the CPU; on a CUDA device W bf16 and
 * b fp32), addressed, not owned: {@code W [out, in, k, k]}
 * and {@code b [out]} (PyTorch's layout; b may be 0), kernel {@code k} 1 or 3 with zero
 * padding {@code (k − 1)/2}, stride 1 or 2, and its forward: a cross-correlation,
 * {@code y[o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[c, s·i + u − pad, s·j + v − pad]}
 * (tools/reel/autoencoder.md), over {@code frames} images at once.
 *
 * <p>The forward is libreel's im2col of a band of output rows into a patch buffer, the
 * bias set (or added) on those output columns by {@link ImageLayers#channelAffine}, and
 * {@link Gemm#multiply} of {@code W [out, in·k²]} with the patches onto them, band after
 * band, so that the patch buffer stays a few megabytes whatever the video's size. The output
 * is channel-major: output channel {@code o}, image {@code f}, pixel {@code (i, j)} at
 * {@code y + 4*(o*yChannelStride + (f*Ho + i)*Wo + j)} — a video {@code [O, T, Ho, Wo]}.
 * A 1×1 convolution at stride 1 of images that lie one after another reads the input as
 * its own patch matrix.
 */
public record Conv2d(String name, long in, long out, int kernel, int stride, long weight, long bias) {
    public Conv2d {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException(name + ": channels must be >= 1, got [" + out + ", " + in + "]");
        }
        if (kernel != 1 && kernel != 3) {
            throw new IllegalArgumentException(name + ": kernel must be 1 or 3, got " + kernel);
        }
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException(name + ": stride must be 1 or 2, got " + stride);
        }
        if (weight == 0) {
            throw new IllegalArgumentException(name + ": weight address is null (0)");
        }
    }

    /** Rows of the patch matrix: {@code in·k²}. */
    public long taps() {
        return in * kernel * kernel;
    }

    /** The same convolution with only its first {@code outputs} output channels (the leading rows of W and b). */
    public Conv2d firstOutputs(long outputs) {
        if (outputs < 1 || outputs > out) {
            throw new IllegalArgumentException(name + ": outputs must be in [1, " + out + "], got " + outputs);
        }
        return new Conv2d(name, in, outputs, kernel, stride, weight, bias);
    }

    /** The smallest patch buffer, in elements, that a forward on images of this width needs: one output row. */
    public long minPatchElements(long width) {
        return taps() * ImageLayers.outputSize(width, stride);
    }

    /**
     * {@code y = conv(x)}, or {@code y += conv(x)} when accumulating (a residual), over
     * {@code frames} images of {@code height × width}: input channel c of image f at
     * {@code x + 4*(c*xChannelStride + f*xFrameStride)}, output as in the class comment with
     * rows {@code yChannelStride} apart ({@code >= frames·Ho·Wo}). {@code patches} is scratch
     * of {@code patchElements} fp32 elements, at least {@link #minPatchElements}; the more,
     * the fewer bands. y must not overlap x or the patches.
     */
    public void forward(Gemm gemm, Device device, long frames, long height, long width, long x, long xChannelStride,
            long xFrameStride, long y, long yChannelStride, boolean accumulate, long patches, long patchElements) {
        forward(gemm, device, 0L, frames, height, width, x, xChannelStride, xFrameStride, y, yChannelStride, accumulate,
                patches, patchElements, 0L);
    }

    /**
     * {@link #forward} queued on {@code stream}. On a CUDA device W is bf16 device memory
     * (the bias fp32), and {@code patches16} is a second scratch of {@code patchElements}
     * bf16 elements: each band's fp32 patches are converted into it for cuBLASLt (and the
     * 1×1 shortcut that reads x as its own patches is not taken). On the CPU the stream and
     * {@code patches16} are ignored.
     */
    public void forward(Gemm gemm, Device device, long stream, long frames, long height, long width, long x,
            long xChannelStride, long xFrameStride, long y, long yChannelStride, boolean accumulate, long patches,
            long patchElements, long patches16) {
        boolean cuda = device.isCuda();
        if (cuda && patches16 == 0) {
            throw new IllegalArgumentException(name + ": a convolution on " + device + " needs the bf16 patch scratch");
        }
        long ho = ImageLayers.outputSize(height, stride), wo = ImageLayers.outputSize(width, stride);
        long rows = frames * ho, taps = taps();
        if (yChannelStride < rows * wo) {
            throw new IllegalArgumentException(name + ": yChannelStride must be >= " + rows * wo + ", got " + yChannelStride);
        }
        boolean direct = !cuda && kernel == 1 && stride == 1 && xFrameStride == height * width;
        long band = direct ? rows : patchElements / (taps * wo);
        if (band < 1) {
            throw new IllegalArgumentException(name + ": a patch buffer of " + patchElements + " elements is smaller than"
                    + " one output row (" + taps * wo + ")");
        }
        for (long r0 = 0; r0 < rows; r0 += band) {
            long r1 = Math.min(rows, r0 + band), columns = (r1 - r0) * wo;
            long yBand = y + 4 * r0 * wo;
            if (bias != 0) {
                ImageLayers.channelAffine(device, stream, out, columns, accumulate ? yBand : 0, yChannelStride, 0, bias,
                        yBand, yChannelStride);
            }
            long b = x + 4 * r0 * wo, bStride = xChannelStride;
            if (!direct) {
                ImageLayers.im2col(device, stream, in, frames, height, width, kernel, stride, x, xChannelStride,
                        xFrameStride, r0, r1, patches, columns);
                b = patches;
                bStride = columns;
            }
            if (cuda) {
                dev.reel.ReelException.check(dev.reel.ffi.ReelNative.reel_convert(device.ordinal(), stream, patches16,
                        dev.reel.DType.BF16.code(), patches, dev.reel.DType.F32.code(), taps * columns));
                b = patches16;
            }
            gemm.multiply(device, stream, out, columns, taps, weight, taps, b, bStride, yBand, yChannelStride,
                    accumulate || bias != 0);
        }
    }
}
