package dev.reel.model;

import dev.reel.Device;
import dev.reel.nn.Activation;
import dev.reel.nn.Conv2d;
import dev.reel.nn.Gemm;
import dev.reel.nn.ImageLayers;

/**
 * The operations of the reel-vae-2d forward on one device, on raw fp32 addresses of
 * channel-major videos {@code [C, T, H, W]} (each of the T frames an image): GroupNorm +
 * SiLU, convolutions through {@link Conv2d} (libreel's im2col, OpenBLAS), the residual block
 * of tools/reel/autoencoder.md. One instance per decoder or encoder; it holds no buffers
 * but the patch scratch it is given.
 */
final class ImageOps implements AutoCloseable {
    final Device device;
    final long stream;
    private final Gemm gemm = new Gemm();
    private final long groups;
    private final float eps;

    ImageOps(Device device, AutoencoderConfig config) {
        this(device, 0L, config);
    }

    /** On a CUDA device every call is queued on {@code stream}; convolution weights are then bf16 device memory. */
    ImageOps(Device device, long stream, AutoencoderConfig config) {
        this.device = device;
        this.stream = stream;
        this.groups = config.groups();
        this.eps = (float) config.eps();
    }

    /** A GroupNorm's (weight, bias). */
    record Norm(long weight, long bias) {
        static Norm of(Autoencoder ae, String prefix) {
            return of(ae, prefix, Device.CPU);
        }

        static Norm of(Autoencoder ae, String prefix, Device device) {
            return new Norm(ae.address(prefix + ".weight", device, dev.reel.DType.F32),
                    ae.address(prefix + ".bias", device, dev.reel.DType.F32));
        }
    }

    /** {@code Res(x) = x + conv2(SiLU(norm2(conv1(SiLU(norm1(x))))))}, the same width in and out. */
    record ResBlock(Norm norm1, Conv2d conv1, Norm norm2, Conv2d conv2) {
        static ResBlock of(Autoencoder ae, String prefix) {
            return of(ae, prefix, Device.CPU);
        }

        static ResBlock of(Autoencoder ae, String prefix, Device device) {
            return new ResBlock(Norm.of(ae, prefix + ".norm1", device), ae.conv(prefix + ".conv1", 1, device),
                    Norm.of(ae, prefix + ".norm2", device), ae.conv(prefix + ".conv2", 1, device));
        }
    }

    /** {@code out = SiLU(GN(x))} over a video of {@code channels × frames × height·width}, both dense. */
    void normSilu(Norm n, long channels, long frames, long spatial, long x, long out) {
        ImageLayers.groupNorm(device, stream, frames, channels, groups, spatial, x, spatial, frames * spatial, out, spatial,
                frames * spatial, n.weight(), n.bias(), eps, Activation.SILU);
    }

    /** {@code y = conv(x)} (or {@code y += conv(x)}) of dense videos {@code [C, T, H, W] → [O, T, Ho, Wo]}. */
    void conv(Conv2d c, AutoencoderWorkspace ws, long frames, long height, long width, long x, long y,
              boolean accumulate) {
        long plane = height * width;
        long outPlane = ImageLayers.outputSize(height, c.stride()) * ImageLayers.outputSize(width, c.stride());
        c.forward(gemm, device, stream, frames, height, width, x, frames * plane, plane, y, frames * outPlane,
                accumulate, ws.patches, ws.patchElements, ws.patches16);
    }

    /** One residual block in place on the stream {@code g [w, T, H, W]}; {@code ws.a} and {@code ws.h} are its scratch. */
    void res(ResBlock b, AutoencoderWorkspace ws, long width, long frames, long h, long w, long g) {
        long s = h * w;
        normSilu(b.norm1(), width, frames, s, g, ws.a);
        conv(b.conv1(), ws, frames, h, w, ws.a, ws.h, false);
        normSilu(b.norm2(), width, frames, s, ws.h, ws.a);
        conv(b.conv2(), ws, frames, h, w, ws.a, g, true);
    }

    /** {@code out[c, k] = x[c, k]·scale[c] + shift[c]} over {@code channels} rows of {@code count}. */
    void channelAffine(long channels, long count, long x, long scale, long shift, long out) {
        ImageLayers.channelAffine(device, stream, channels, count, x, count, scale, shift, out, count);
    }

    /** Frees the cuBLASLt handle a CUDA convolution made; nothing on the CPU. */
    @Override
    public void close() {
        gemm.close();
    }

    void upsample(long planes, long height, long width, long x, long out) {
        ImageLayers.upsampleNearest2x(device, stream, planes, height, width, x, out);
    }
}
