package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.nn.Conv2d;
import java.util.Locale;

/**
 * The encoder of a reel-vae-2d autoencoder on the CPU: videos {@code [B, 3, T, H, W]} with
 * pixels in {@code [−1, 1]} (H and W multiples of {@link AutoencoderConfig#downsample()}
 * {@code f}) to the normalised latent the transformer sees, {@code [B, C, T, H/f, W/f]},
 * each frame encoded on its own, line for line with tools/reel/autoencoder.md:
 * <pre>
 * h = encoder.conv_in(x)
 * for ℓ = 0 .. L−1:
 *     h = Res_{encoder.levels.ℓ.blocks.j}(h)                 j = 0 .. encoder_blocks−1
 *     h = encoder.levels.ℓ.down(h), stride 2                  ℓ < L−1
 * mean = encoder.conv_out(SiLU(GN_{encoder.norm_out}(h)))[0 .. C−1]
 * u = (mean − latent_mean) / latent_std                      per channel
 * </pre>
 * The posterior's log-variance (conv_out's other C outputs) is not computed: encoding for
 * the transformer (video-to-video) takes the mean. Buffers, threads and closing as in
 * {@link VideoDecoder}.
 */
public final class VideoEncoder implements AutoCloseable {
    private final Autoencoder autoencoder;
    private final AutoencoderConfig config;
    private final ImageOps ops;
    private final Conv2d convIn, convOut;
    private final Conv2d[] down;                 // [level], null at the last
    private final ImageOps.ResBlock[][] blocks;  // [level][j]
    private final ImageOps.Norm normOut;
    private final Tensor scale, shift;           // 1/std and -mean/std, [C]
    private final String[] levelNames;
    private AutoencoderWorkspace workspace;
    private boolean closed;

    VideoEncoder(Autoencoder autoencoder) {
        this.autoencoder = autoencoder;
        this.config = autoencoder.config();
        this.ops = new ImageOps(Device.CPU, config);
        int levels = config.levels();
        convIn = autoencoder.conv("encoder.conv_in", 1);
        convOut = autoencoder.conv("encoder.conv_out", 1).firstOutputs(config.latentChannels());
        down = new Conv2d[levels];
        blocks = new ImageOps.ResBlock[levels][config.encoderBlocks()];
        levelNames = new String[levels];
        for (int l = 0; l < levels; l++) {
            for (int j = 0; j < config.encoderBlocks(); j++) {
                blocks[l][j] = ImageOps.ResBlock.of(autoencoder, "encoder.levels." + l + ".blocks." + j);
            }
            down[l] = l + 1 < levels ? autoencoder.conv("encoder.levels." + l + ".down", 2) : null;
            levelNames[l] = "encoder.level" + l;
        }
        normOut = ImageOps.Norm.of(autoencoder, "encoder.norm_out");
        double[] m = config.latentMean(), s = config.latentStd(), inv = new double[m.length], off = new double[m.length];
        for (int c = 0; c < m.length; c++) {
            inv[c] = 1 / s[c];
            off[c] = -m[c] / s[c];
        }
        scale = LatentStatistics.vector(inv);
        shift = LatentStatistics.vector(off);
    }

    public AutoencoderConfig config() {
        return config;
    }

    /** The latent of {@code frames [B, 3, T, H, W]}, a new F32 tensor {@code [B, C, T, H/f, W/f]}. */
    public Tensor encode(Tensor frames) {
        long[] d = framesShape(frames);
        int f = config.downsample();
        Tensor latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(d[0], config.latentChannels(), d[2], d[3] / f,
                d[4] / f));
        try {
            encode(frames, latent);
            return latent;
        } catch (RuntimeException | Error e) {
            latent.close();
            throw e;
        }
    }

    /**
     * Encodes {@code frames [B, 3, T, H, W]} into {@code latent [B, C, T, H/f, W/f]}, both F32
     * CPU tensors of exactly those shapes that do not overlap.
     */
    public void encode(Tensor frames, Tensor latent) {
        encode(frames, latent, ReelDit.Probe.NONE);
    }

    synchronized void encode(Tensor frames, Tensor latent, ReelDit.Probe probe) {
        requireOpen();
        long[] d = framesShape(frames);
        long batch = d[0], t = d[2], height = d[3], width = d[4];
        int f = config.downsample();
        Shape want = Shape.of(batch, config.latentChannels(), t, height / f, width / f);
        LatentStatistics.requireTensor("latent", latent);
        if (!latent.shape().equals(want)) {
            throw new IllegalArgumentException("latent has shape " + latent.shape() + "; frames " + frames.shape()
                    + " encode to " + want);
        }
        if (latent.overlaps(frames)) {
            throw new IllegalArgumentException("frames and latent overlap");
        }
        AutoencoderWorkspace ws = workspace(t, height, width);
        long videoSize = frames.numel() / batch, latentSize = want.numel() / batch;
        for (long b = 0; b < batch; b++) {
            forward(ws, t, height, width, frames.address() + 4 * b * videoSize, latent.address() + 4 * b * latentSize,
                    probe);
        }
    }

    /** One video: {@code x [3, T, H, W]} to {@code u [C, T, H/f, W/f]}. */
    private void forward(AutoencoderWorkspace ws, long t, long h, long w, long x, long u, ReelDit.Probe probe) {
        int levels = config.levels();
        long g = ws.s0, next = ws.s1;
        ops.conv(convIn, ws, t, h, w, x, g, false);
        for (int l = 0; l < levels; l++) {
            long width = config.width(l);
            for (ImageOps.ResBlock block : blocks[l]) {
                ops.res(block, ws, width, t, h, w, g);
            }
            if (l + 1 < levels) {
                ops.conv(down[l], ws, t, h, w, g, next, false);
                long swap = g;
                g = next;
                next = swap;
                h /= 2;
                w /= 2;
            }
            probe.at(levelNames[l], g, config.width(Math.min(l + 1, levels - 1)) * t * h * w);
        }
        long c = config.latentChannels(), count = t * h * w;
        ops.normSilu(normOut, config.width(levels - 1), t, h * w, g, ws.a);
        ops.conv(convOut, ws, t, h, w, ws.a, u, false);
        probe.at("mean", u, c * count);
        ops.channelAffine(c, count, u, scale.address(), shift.address(), u);
    }

    private long[] framesShape(Tensor frames) {
        LatentStatistics.requireTensor("frames", frames);
        int f = config.downsample();
        Shape s = frames.shape();
        if (s.rank() != 5 || s.dim(1) != config.imageChannels() || s.dim(3) % f != 0 || s.dim(4) % f != 0) {
            throw new IllegalArgumentException("frames must be [B, " + config.imageChannels() + ", T, H, W] with H and W "
                    + "multiples of " + f + ", got " + s);
        }
        return s.dims();
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
                        "encoding videos of %d frames of %dx%d needs about %.1f GiB, more than the limit of %d GiB; "
                                + "encode fewer frames at a time", frames, height, width, bytes / (1024.0 * 1024 * 1024),
                        ModelConfig.MAX_FORWARD_BYTES >> 30));
            }
            workspace = new AutoencoderWorkspace(ops.device, config, frames, height, width);
        }
        return workspace;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this VideoEncoder is closed");
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
        scale.close();
        shift.close();
    }

    @Override
    public String toString() {
        return "VideoEncoder(" + config + ")";
    }
}
