package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.nn.Conv2d;
import java.util.Locale;

/**
 * The decoder of a reel-vae-2d autoencoder on the CPU or a CUDA device: normalised latents
 * {@code [B, C, T, h, w]} (what the transformer denoises) to frames
 * {@code [B, 3, T, f·h, f·w]}, {@code f} = {@link AutoencoderConfig#downsample()}, each frame
 * decoded on its own, line for line with tools/reel/autoencoder.md:
 * <pre>
 * z = u · latent_std + latent_mean                          per channel
 * g = decoder.conv_in(z)
 * for ℓ = L−1 down to 0:
 *     g = Res_{decoder.levels.ℓ.blocks.j}(g)                 j = 0 .. decoder_blocks−1
 *     g = decoder.levels.ℓ.up(Up(g))                          ℓ > 0
 * y = decoder.conv_out(SiLU(GN_{decoder.norm_out}(g)))
 * </pre>
 * The output is the network's {@code y}, nominally in {@code [−1, 1]} and not clamped; a
 * pixel is {@code clamp((y + 1)/2, 0, 1)}.
 *
 * <p>All T frames of a video go through each layer together (a video {@code [C, T, H, W]}
 * is read as T images); the videos of a batch go one after another through buffers planned
 * once per (frames, height, width), so a steady-state decode allocates no memory. Decodes of
 * one decoder are serialised; use one per thread to run them concurrently. Closing frees
 * the buffers; the weights belong to the {@link Autoencoder}.
 *
 * <p>On a CUDA device ({@code Autoencoder.decoder(device, stream)}, what {@link VideoModel}
 * uses on CUDA) latent and frames are device tensors, every kernel is queued on the stream,
 * the convolutions' products go through cuBLASLt on bf16 copies of the weights and of each
 * band of patches, and the layer kernels run in fp32.
 */
public final class VideoDecoder implements AutoCloseable {
    private final Autoencoder autoencoder;
    private final AutoencoderConfig config;
    private final ImageOps ops;
    private final Conv2d convIn, convOut;
    private final Conv2d[] up;                 // [level], null at level 0
    private final ImageOps.ResBlock[][] blocks; // [level][j]
    private final ImageOps.Norm normOut;
    private final Tensor mean, std;            // [C]
    private final String[] levelNames;
    private AutoencoderWorkspace workspace;
    private boolean closed;

    VideoDecoder(Autoencoder autoencoder) {
        this(autoencoder, Device.CPU, 0L);
    }

    VideoDecoder(Autoencoder autoencoder, Device device, long stream) {
        this.autoencoder = autoencoder;
        this.config = autoencoder.config();
        this.ops = new ImageOps(device, stream, config);
        int levels = config.levels();
        convIn = autoencoder.conv("decoder.conv_in", 1, device);
        convOut = autoencoder.conv("decoder.conv_out", 1, device);
        up = new Conv2d[levels];
        blocks = new ImageOps.ResBlock[levels][config.decoderBlocks()];
        levelNames = new String[levels];
        for (int l = 0; l < levels; l++) {
            for (int j = 0; j < config.decoderBlocks(); j++) {
                blocks[l][j] = ImageOps.ResBlock.of(autoencoder, "decoder.levels." + l + ".blocks." + j, device);
            }
            up[l] = l > 0 ? autoencoder.conv("decoder.levels." + l + ".up", 1, device) : null;
            levelNames[l] = "decoder.level" + l;
        }
        normOut = ImageOps.Norm.of(autoencoder, "decoder.norm_out", device);
        mean = onDevice(LatentStatistics.vector(config.latentMean()), device);
        std = onDevice(LatentStatistics.vector(config.latentStd()), device);
    }

    /** The CPU vector itself, or its device copy (the CPU one freed). */
    private static Tensor onDevice(Tensor cpu, Device device) {
        if (!device.isCuda()) {
            return cpu;
        }
        try (cpu) {
            return Buffers.upload(device, cpu.address(), cpu.numel(), DType.F32);
        }
    }

    /** Where this decoder runs. */
    public Device device() {
        return ops.device;
    }

    public AutoencoderConfig config() {
        return config;
    }

    /** The frames of {@code latent [B, C, T, h, w]}, a new F32 tensor {@code [B, 3, T, f·h, f·w]}. */
    public Tensor decode(Tensor latent) {
        long[] d = latentShape(latent);
        int f = config.downsample();
        Tensor frames = Tensor.allocate(ops.device, DType.F32, Shape.of(d[0], config.imageChannels(), d[2], f * d[3],
                f * d[4]));
        try {
            decode(latent, frames);
            return frames;
        } catch (RuntimeException | Error e) {
            frames.close();
            throw e;
        }
    }

    /**
     * Decodes {@code latent [B, C, T, h, w]} into {@code frames [B, 3, T, f·h, f·w]}, both F32
     * tensors where the decoder runs, of exactly those shapes, that do not overlap.
     */
    public void decode(Tensor latent, Tensor frames) {
        decode(latent, frames, ReelDit.Probe.NONE);
    }

    synchronized void decode(Tensor latent, Tensor frames, ReelDit.Probe probe) {
        requireOpen();
        long[] d = latentShape(latent);
        long batch = d[0], t = d[2], h = d[3], w = d[4];
        int f = config.downsample();
        Shape want = Shape.of(batch, config.imageChannels(), t, f * h, f * w);
        LatentStatistics.requireTensor("frames", frames, ops.device);
        if (!frames.shape().equals(want)) {
            throw new IllegalArgumentException("frames has shape " + frames.shape() + "; the latent " + latent.shape()
                    + " decodes to " + want);
        }
        if (latent.overlaps(frames)) {
            throw new IllegalArgumentException("latent and frames overlap");
        }
        AutoencoderWorkspace ws = workspace(t, f * h, f * w);
        long latentSize = config.latentChannels() * t * h * w, videoSize = want.numel() / batch;
        for (long b = 0; b < batch; b++) {
            forward(ws, t, h, w, latent.address() + 4 * b * latentSize, frames.address() + 4 * b * videoSize, probe);
        }
    }

    /** One video: {@code u [C, T, h, w]} to {@code out [3, T, f·h, f·w]}. */
    private void forward(AutoencoderWorkspace ws, long t, long h, long w, long u, long out, ReelDit.Probe probe) {
        int levels = config.levels();
        long g = ws.s0;
        ops.channelAffine(config.latentChannels(), t * h * w, u, std.address(), mean.address(), ws.z);
        ops.conv(convIn, ws, t, h, w, ws.z, g, false);
        probe.at("decoder.conv_in", g, config.width(levels - 1) * t * h * w);
        for (int l = levels - 1; l >= 0; l--) {
            long width = config.width(l);
            for (ImageOps.ResBlock block : blocks[l]) {
                ops.res(block, ws, width, t, h, w, g);
            }
            if (l > 0) {
                ops.upsample(width * t, h, w, g, ws.a);
                h *= 2;
                w *= 2;
                ops.conv(up[l], ws, t, h, w, ws.a, g, false);
            }
            probe.at(levelNames[l], g, config.width(Math.max(l - 1, 0)) * t * h * w);
        }
        ops.normSilu(normOut, config.width(0), t, h * w, g, ws.a);
        ops.conv(convOut, ws, t, h, w, ws.a, out, false);
    }

    private long[] latentShape(Tensor latent) {
        LatentStatistics.requireTensor("latent", latent, ops.device);
        if (latent.shape().rank() != 5 || latent.shape().dim(1) != config.latentChannels()) {
            throw new IllegalArgumentException("latent must be [B, " + config.latentChannels() + ", T, h, w], got "
                    + latent.shape());
        }
        return latent.shape().dims();
    }

    private AutoencoderWorkspace workspace(long frames, long height, long width) {
        if (workspace == null || !workspace.fits(frames, height, width)) {
            if (workspace != null) {
                workspace.close();
                workspace = null;
            }
            long bytes = AutoencoderWorkspace.Plan.of(config, frames, height, width).bytes();
            if (bytes > ModelConfig.MAX_FORWARD_BYTES) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "decoding videos of %d frames of %dx%d needs about %.1f GiB, more than the limit of %d GiB; "
                                + "decode fewer frames at a time", frames, height, width, bytes / (1024.0 * 1024 * 1024),
                        ModelConfig.MAX_FORWARD_BYTES >> 30));
            }
            workspace = new AutoencoderWorkspace(ops.device, config, frames, height, width);
        }
        return workspace;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this VideoDecoder is closed");
        }
        autoencoder.requireOpen();
    }

    /** Frees the buffers (not the weights, which are the autoencoder's). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (workspace != null) {
            workspace.close();
        }
        mean.close();
        std.close();
        ops.close();
    }

    @Override
    public String toString() {
        return "VideoDecoder(" + config + ")";
    }
}
