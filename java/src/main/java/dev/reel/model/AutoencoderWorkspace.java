package dev.reel.model;

import dev.reel.Device;
import dev.reel.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The buffers of one video's pass through an autoencoder of frames {@code T × H × W} (the
 * full-resolution size), made once per size and reused, so that a steady-state encode or
 * decode allocates no memory. Videos of a batch go through one after another, so the
 * buffers are those of one video whatever the batch.
 */
final class AutoencoderWorkspace implements AutoCloseable {
    /**
     * Patch-matrix elements a convolution's band aims at: 1 MB, half of it per thread on two
     * cores, so that a band is still in cache when the product reads it. Measured on the
     * 2-core Xeon (16 frames of 128x128, trained weights, the machine shared): decode 0.42-0.47 s
     * at 64K-256K elements, 0.54 s at 512K, 0.61 s at 1M (fastest of 9 runs each).
     */
    static final long PATCH_BUDGET = 1L << 18;

    final long frames, height, width;
    final long s0, s1;        // the stream [w, T, H, W] at its level, and the encoder's next one
    final long a;             // GroupNorm + SiLU output, or the upsampled stream
    final long h;             // a residual block's conv1 output
    final long z;             // the decoder's unnormalised latent
    final long patches;
    final long patchElements;
    final long patches16;     // CUDA: the bf16 copy of a band of patches for cuBLASLt; 0 on the CPU
    private final List<Tensor> owned = new ArrayList<>();

    /** Elements of each buffer, for a video of {@code frames × height × width}. */
    record Plan(long stream, long a, long z, long patches) {
        static Plan of(AutoencoderConfig c, long frames, long height, long width) {
            long stream = 0, a = 0;
            int channels = Math.max(c.latentChannels(), c.imageChannels());
            for (int l = 0; l < c.levels(); l++) {
                long hl = height >> l, wl = width >> l;
                stream = Math.max(stream, (long) c.width(l) * frames * hl * wl);
                if (l > 0) {
                    a = Math.max(a, (long) c.width(l) * frames * (2 * hl) * (2 * wl));   // Up(g) before the up conv
                }
                channels = Math.max(channels, c.width(l));
            }
            // at least one output row of any convolution: 9 taps per input channel, rows of at most 2W
            long patches = Math.max(PATCH_BUDGET, 9L * channels * 2 * width);
            long latent = (long) c.latentChannels() * frames * (height >> (c.levels() - 1)) * (width >> (c.levels() - 1));
            return new Plan(stream, Math.max(a, stream), latent, patches);
        }

        long bytes() {
            return 4 * (3 * stream + a + z + patches);
        }
    }

    AutoencoderWorkspace(Device device, AutoencoderConfig config, long frames, long height, long width) {
        this.frames = frames;
        this.height = height;
        this.width = width;
        Plan p = Plan.of(config, frames, height, width);
        try {
            s0 = buffer(device, p.stream);
            s1 = buffer(device, p.stream);
            a = buffer(device, p.a);
            h = buffer(device, p.stream);
            z = buffer(device, p.z);
            patchElements = p.patches;
            patches = buffer(device, p.patches);
            patches16 = device.isCuda() ? buffer(device, dev.reel.DType.BF16, p.patches) : 0L;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    boolean fits(long frames, long height, long width) {
        return this.frames == frames && this.height == height && this.width == width;
    }

    private long buffer(Device device, long elements) {
        return buffer(device, dev.reel.DType.F32, elements);
    }

    private long buffer(Device device, dev.reel.DType dtype, long elements) {
        Tensor tensor = Buffers.owned(device, dtype, elements);
        owned.add(tensor);
        return tensor.address();
    }

    @Override
    public void close() {
        for (Tensor tensor : owned) {
            tensor.close();
        }
        owned.clear();
    }
}
