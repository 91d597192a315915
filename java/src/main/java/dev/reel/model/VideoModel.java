package dev.reel.model;

import dev.reel.Device;
import dev.reel.Tensor;
import dev.reel.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A text-to-video diffusion transformer (reel-dit) loaded from a model folder,
 * ready to run forwards on the CPU. The model owns the math; the caller (a
 * sampler loop, {@code generate()}) owns the loop:
 *
 * <pre>{@code
 * try (VideoModel model = VideoModel.embedded();
 *      PromptContext prompts = model.encode(List.of("a red circle moving right", ""))) {
 *     model.forward(prompts, x, new float[] {t, t}, out);   // x, out: [2, C, T, H, W] fp32
 * }
 * }</pre>
 *
 * <p>What depends only on the prompts is computed once by {@link #encode}; the
 * conditional and unconditional rows of classifier-free guidance are rows of one
 * batched forward. Buffers are planned once per batch size and reused, so a
 * steady-state forward allocates no memory. Forwards of one model are serialised;
 * use one model per thread to run them concurrently.
 *
 * <p>A model folder with an autoencoder ({@link #hasAutoencoder()}) is a latent model:
 * the transformer denoises latents {@code [C, T, H, W]} of the autoencoder, and
 * {@link #decodeVideo} turns a denoised latent into frames of
 * {@link #videoHeight()} × {@link #videoWidth()} ({@code downsample} times the latent's
 * size), {@link #encodeVideo} a video of that size into a latent (video-to-video). For a
 * pixel model both are the identity: the latent is the video.
 */
public final class VideoModel implements AutoCloseable {
    private final ModelFolder folder;
    private final ModelConfig config;
    private final Sizes sizes;
    private final Ops ops;
    private final ReelDit dit;
    /** Workspaces by batch size, the most recently used last; a few are kept (a request's last batch is often smaller). */
    private final java.util.LinkedHashMap<Integer, Workspace> workspaces = new java.util.LinkedHashMap<>(4, 0.75f, true);
    private static final int KEPT_WORKSPACES = 3;
    private VideoDecoder decoder;   // made on first use, for a latent model
    private VideoEncoder encoder;
    private boolean closed;

    private VideoModel(ModelFolder folder) {
        this.folder = folder;
        this.config = folder.config();
        this.sizes = new Sizes(config);
        this.ops = new Ops(Device.CPU);
        this.dit = new ReelDit(ops, new Weights(folder), sizes, config.vocabSize());
    }

    /** Loads a reel-dit model folder (config.json, weights, vocabulary.json); problems are {@link ModelFormatException}s. */
    public static VideoModel load(Path folder) {
        if (folder == null) {
            throw new IllegalArgumentException("model folder is null");
        }
        return of(ModelFolder.open(folder));
    }

    /** The model shipped inside Reel's jar. */
    public static VideoModel embedded() {
        return of(ModelFolder.embedded());
    }

    private static VideoModel of(ModelFolder folder) {
        try {
            return new VideoModel(folder);
        } catch (RuntimeException e) {
            folder.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public Vocabulary vocabulary() {
        return folder.vocabulary();
    }

    public ModelFolder folder() {
        return folder;
    }

    public Device device() {
        return ops.device;
    }

    /**
     * The most rows a forward should hold on this device for throughput: the largest
     * buffer of a forward (the MLP's hidden activations, {@code rows × N × mlp} floats)
     * kept within {@value #CACHE_BUDGET_BYTES} bytes. Past that the forward spills out of
     * the cores' caches: measured on 2 cores (AVX-512, 2 MB of L2 each) with the
     * embedded model, a row pair took 22 ms at 2 and 8 rows and 60 ms at 32.
     * At least 2 (a conditional and an unconditional row).
     */
    public int preferredRows() {
        long perRow = (long) sizes.tokens * sizes.mlp * 4;
        return (int) Math.max(2, Math.min(256, CACHE_BUDGET_BYTES / perRow / 2 * 2));
    }

    /** The activation budget of {@link #preferredRows}. */
    public static final long CACHE_BUDGET_BYTES = 4L << 20;

    /** Elements of one video latent {@code [C, T, H, W]}. */
    public long latentSize() {
        return sizes.latentSize();
    }

    /** Whether the folder holds a video autoencoder, whose latents the transformer denoises. */
    public boolean hasAutoencoder() {
        return folder.autoencoder().isPresent();
    }

    /** The height of the frames the model makes: the latent's, times the autoencoder's downsampling. */
    public int videoHeight() {
        return config.height() * downsample();
    }

    /** The width of the frames the model makes. */
    public int videoWidth() {
        return config.width() * downsample();
    }

    /** Channels of the frames the model makes: 3, or the transformer's own for a pixel model. */
    public int videoChannels() {
        return hasAutoencoder() ? 3 : config.channels();
    }

    private int downsample() {
        return folder.autoencoder().map(ae -> ae.config().downsample()).orElse(1);
    }

    /**
     * The frames {@code [videoChannels, T, videoHeight, videoWidth]} (values nominally in
     * [−1, 1], not clamped) of one video's latent, an F32 CPU tensor of {@link #latentSize()}
     * elements {@code [C, T, H, W]}: the autoencoder's decoder, or the latent itself for a
     * pixel model.
     */
    public synchronized float[] decodeVideo(Tensor latent) {
        requireOpen();
        requireLatent("latent", latent, 1);
        if (!hasAutoencoder()) {
            return latent.toFloatArray();
        }
        if (decoder == null) {
            decoder = folder.autoencoder().get().decoder();
        }
        try (Tensor view = Tensor.wrap(Device.CPU, DType.F32, dev.reel.Shape.of(1, sizes.channels, sizes.frames,
                sizes.height, sizes.width), latent.address()); Tensor frames = decoder.decode(view)) {
            return frames.toFloatArray();
        }
    }

    /**
     * The latent {@code [C, T, H, W]} of one video's frames {@code [3, T, videoHeight,
     * videoWidth]} in [−1, 1] (as {@link dev.reel.video.Video#toLatent()} gives them): the
     * autoencoder's encoder, or the frames themselves for a pixel model.
     */
    public synchronized float[] encodeVideo(float[] frames) {
        requireOpen();
        long want = (long) videoChannels() * sizes.frames * videoHeight() * videoWidth();
        if (frames == null || frames.length != want) {
            throw new IllegalArgumentException("frames must hold " + videoChannels() + "·" + sizes.frames + "·"
                    + videoHeight() + "·" + videoWidth() + " = " + want + " values, got "
                    + (frames == null ? "null" : frames.length));
        }
        if (!hasAutoencoder()) {
            return frames.clone();
        }
        if (encoder == null) {
            encoder = folder.autoencoder().get().encoder();
        }
        try (Tensor x = Tensor.allocate(Device.CPU, DType.F32, dev.reel.Shape.of(1, 3, sizes.frames, videoHeight(),
                videoWidth())); Tensor latent = encoderInput(x, frames)) {
            return latent.toFloatArray();
        }
    }

    private Tensor encoderInput(Tensor x, float[] frames) {
        x.copyFrom(frames);
        return encoder.encode(x);
    }

    /** Tokenises each prompt (the empty prompt is the unconditional one) and encodes them as forward rows. */
    public PromptContext encode(List<String> prompts) {
        if (prompts == null || prompts.isEmpty()) {
            throw new IllegalArgumentException("prompts must name at least one row");
        }
        List<Prompt> encoded = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            encoded.add(vocabulary().encode(p == null ? "" : p));
        }
        return encodePrompts(encoded);
    }

    /** Encodes already tokenised prompts, one forward row each. */
    public PromptContext encodePrompts(List<Prompt> prompts) {
        return encodePrompts(prompts, ReelDit.Probe.NONE);
    }

    synchronized PromptContext encodePrompts(List<Prompt> prompts, ReelDit.Probe probe) {
        requireOpen();
        if (prompts == null || prompts.isEmpty()) {
            throw new IllegalArgumentException("prompts must name at least one row");
        }
        for (Prompt p : prompts) {
            if (p == null) {
                throw new IllegalArgumentException("a prompt is null");
            }
            if (p.ids().length != sizes.textLen) {
                throw new IllegalArgumentException("prompt '" + p.text() + "' has " + p.ids().length
                        + " token ids; this model takes " + sizes.textLen);
            }
        }
        return dit.encode(ops, this, prompts, probe);
    }

    /**
     * One batched forward: {@code out = model(x, t)} for every row, each row with
     * its prompt from {@code prompts} and its timestep {@code t[row]} in [0, 1]
     * (1 = pure noise). {@code x} and {@code out} are fp32 CPU tensors of
     * {@code [rows, C, T, H, W]} (any shape with that many elements) and must not overlap.
     */
    public void forward(PromptContext prompts, Tensor x, float[] t, Tensor out) {
        forward(prompts, x, t, out, ReelDit.Probe.NONE);
    }

    synchronized void forward(PromptContext prompts, Tensor x, float[] t, Tensor out, ReelDit.Probe probe) {
        requireOpen();
        if (prompts == null) {
            throw new IllegalArgumentException("prompts is null");
        }
        if (prompts.model() != this) {
            throw new IllegalArgumentException("prompts were encoded by another model");
        }
        prompts.requireOpen();
        int rows = prompts.rows();
        requireLatent("x", x, rows);
        requireLatent("out", out, rows);
        if (x.overlaps(out)) {
            throw new IllegalArgumentException("x and out overlap");
        }
        if (t == null || t.length != rows) {
            throw new IllegalArgumentException("t must have one timestep per row (" + rows + "), got "
                    + (t == null ? "null" : t.length));
        }
        for (int i = 0; i < rows; i++) {
            if (!(t[i] >= 0f && t[i] <= 1f)) {
                throw new IllegalArgumentException("t[" + i + "] must be in [0, 1], got " + t[i]);
            }
        }
        Workspace ws = workspace(rows);
        for (int i = 0; i < rows; i++) {
            ws.t.put(i, t[i]);
        }
        dit.forward(ops, ws, prompts, x.address(), out.address(), probe);
    }

    /**
     * Time spent in this model's kernels by kind since it was loaded or
     * {@link #resetOpTimes} last ran; all zero unless the JVM runs with
     * {@code -Dreel.profile=true} (see {@link OpTimes}).
     */
    public synchronized OpTimes opTimes() {
        return ops.times();
    }

    public synchronized void resetOpTimes() {
        ops.resetTimes();
    }

    private void requireLatent(String name, Tensor tensor, int rows) {
        if (tensor == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (tensor.device().isCuda()) {
            throw new IllegalArgumentException(name + " is on " + tensor.device() + "; this model runs on the CPU");
        }
        if (tensor.dtype() != DType.F32) {
            throw new IllegalArgumentException(name + " must be F32, got " + tensor.dtype());
        }
        long want = rows * sizes.latentSize();
        if (tensor.numel() != want) {
            throw new IllegalArgumentException(name + " has " + tensor.numel() + " elements; " + rows + " rows of ["
                    + sizes.channels + ", " + sizes.frames + ", " + sizes.height + ", " + sizes.width + "] need " + want);
        }
    }

    private Workspace workspace(int rows) {
        Workspace ws = workspaces.get(rows);
        if (ws != null) {
            return ws;
        }
        long bytes = config.forwardBytes(rows);
        if (bytes > ModelConfig.MAX_FORWARD_BYTES) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "a forward of %d rows of %s needs about %.1f GiB, more than the limit of %d GiB; use a smaller batch",
                    rows, folder.name(), bytes / (1024.0 * 1024 * 1024), ModelConfig.MAX_FORWARD_BYTES >> 30));
        }
        if (workspaces.size() >= KEPT_WORKSPACES) {
            var eldest = workspaces.entrySet().iterator().next();
            eldest.getValue().close();
            workspaces.remove(eldest.getKey());
        }
        ws = new Workspace(ops.device, sizes, rows);
        workspaces.put(rows, ws);
        return ws;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this VideoModel is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        workspaces.values().forEach(Workspace::close);
        workspaces.clear();
        if (decoder != null) {
            decoder.close();
        }
        if (encoder != null) {
            encoder.close();
        }
        dit.close();
        folder.close();
    }

    @Override
    public String toString() {
        return "VideoModel(" + folder.name() + ", " + config.hidden() + " wide, " + config.depth() + " blocks, "
                + config.frames() + "x" + config.height() + "x" + config.width() + ")";
    }
}
