package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.ReelException;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A text-to-video diffusion transformer (reel-dit) loaded from a model folder,
 * ready to run forwards on the CPU or on a CUDA device ({@link #load(Path, Device)}).
 * The model owns the math; the caller (a sampler loop, {@code generate()}) owns the loop:
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
 *
 * <p>On a CUDA device the weights are uploaded once, at load (GEMM matrices bf16, the
 * small vectors fp32), the activations are fp32 with bf16 copies where cuBLASLt and the
 * attention kernel read them, and every kernel of prompt encoding and of a forward is
 * queued on one stream ({@link #stream()}): the caller's, or a blocking stream the model
 * makes and destroys, which the legacy default stream (that of {@link Tensor}'s copies)
 * waits for. A forward returns once its work is queued; {@link #synchronize()} waits for
 * it. The autoencoder's decoder runs on the model's device too; its encoder (for
 * video-to-video input) runs on the CPU. A device allocation that fails is a {@link ReelException}
 * with status OUT_OF_MEMORY that names the sizes asked for and the device's free and
 * total memory; the model stays usable.
 */
public final class VideoModel implements AutoCloseable {
    private final ModelFolder folder;
    private final ModelConfig config;
    private final Sizes sizes;
    private final Ops ops;
    private final Weights weights;
    private final ReelDit dit;
    private final AutoCloseable ownStream;   // CUDA: the stream the model made (a dev.reel.nn.CudaStream), else null
    /** Workspaces by batch size, the most recently used last; a few are kept (a request's last batch is often smaller). */
    private final java.util.LinkedHashMap<Integer, Workspace> workspaces = new java.util.LinkedHashMap<>(4, 0.75f, true);
    private static final int KEPT_WORKSPACES = 3;
    private VideoDecoder decoder;   // made on first use, for a latent model
    private VideoEncoder encoder;
    private boolean closed;

    private VideoModel(ModelFolder folder, Device device, long stream, AutoCloseable ownStream) {
        this.folder = folder;
        this.config = folder.config();
        this.sizes = new Sizes(config);
        this.ownStream = ownStream;
        this.ops = new Ops(device, stream);
        this.weights = new Weights(folder, device);
        ReelDit made;
        try {
            made = new ReelDit(ops, weights, sizes, config.vocabSize());
        } catch (ReelException e) {
            weights.close();
            ops.close();
            throw outOfMemory(e, "uploading the weights of " + folder.name());
        } catch (RuntimeException e) {
            weights.close();
            ops.close();
            throw e;
        }
        this.dit = made;
    }

    /** Loads a reel-dit model folder (config.json, weights, vocabulary.json) for the CPU; problems are {@link ModelFormatException}s. */
    public static VideoModel load(Path folder) {
        return load(folder, Device.CPU);
    }

    /**
     * Loads a model folder for {@code device}: {@link Device#CPU} or one of
     * {@link Reel#cudaDevices()}; on CUDA the model makes its own stream.
     *
     * @throws ReelException with status NO_DEVICE if the device is not available
     */
    public static VideoModel load(Path folder, Device device) {
        requireDevice(device);
        if (folder == null) {
            throw new IllegalArgumentException("model folder is null");
        }
        return of(ModelFolder.open(folder), device, null);
    }

    /** Loads a model folder for a CUDA device, every kernel queued on the caller's {@code cudaStream} (0: legacy default). */
    public static VideoModel load(Path folder, Device device, long cudaStream) {
        requireCuda(device);
        if (folder == null) {
            throw new IllegalArgumentException("model folder is null");
        }
        return of(ModelFolder.open(folder), device, cudaStream);
    }

    /** The model shipped inside Reel's jar, for the CPU. */
    public static VideoModel embedded() {
        return embedded(Device.CPU);
    }

    /** The model shipped inside Reel's jar, for {@code device} (see {@link #load(Path, Device)}). */
    public static VideoModel embedded(Device device) {
        requireDevice(device);
        return of(ModelFolder.embedded(), device, null);
    }

    /** The embedded model on a CUDA device, every kernel queued on the caller's {@code cudaStream}. */
    public static VideoModel embedded(Device device, long cudaStream) {
        requireCuda(device);
        return of(ModelFolder.embedded(), device, cudaStream);
    }

    private static void requireDevice(Device device) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (device.isCuda()) {
            Reel.open(device).close();   // NO_DEVICE, with the reason, when it is not there
        }
    }

    private static void requireCuda(Device device) {
        if (device == null || !device.isCuda()) {
            throw new IllegalArgumentException("a CUDA stream needs a CUDA device; device is " + device);
        }
        requireDevice(device);
    }

    /** {@code stream}: the caller's, or null for the model's own on CUDA (0 on the CPU). */
    private static VideoModel of(ModelFolder folder, Device device, Long stream) {
        AutoCloseable own = null;
        try {
            long handle = 0L;
            if (device.isCuda()) {
                if (stream == null) {
                    own = CudaSide.stream(device);
                    handle = CudaSide.handle(own);
                } else {
                    handle = stream;
                }
            }
            return new VideoModel(folder, device, handle, own);
        } catch (RuntimeException e) {
            closeQuietly(own);
            folder.close();
            throw e;
        }
    }

    /** The only references to the CUDA classes, reached on a CUDA device alone. */
    private static final class CudaSide {
        static AutoCloseable stream(Device device) {
            return dev.reel.nn.CudaStream.create(device);
        }

        static long handle(AutoCloseable stream) {
            return ((dev.reel.nn.CudaStream) stream).handle();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // a stream that fails to close on an error path: the error in flight says more
            }
        }
    }

    /**
     * The {@code cudaStream_t} this model's kernels are queued on (0 on the CPU, and for a
     * CUDA model given the legacy default stream).
     */
    public long stream() {
        return ops.stream;
    }

    /** Waits until the work this model queued is done (returns at once on the CPU). */
    public synchronized void synchronize() {
        requireOpen();
        if (ops.device.isCuda()) {
            ReelException.check(ReelNative.reel_synchronize(ops.device.ordinal(), ops.stream));
        }
    }

    /**
     * A device allocation failure re-thrown with what was being allocated and the device's
     * free and total memory; other failures unchanged.
     */
    private ReelException outOfMemory(ReelException e, String what) {
        return outOfMemory(e, what, ops.device);
    }

    private static ReelException outOfMemory(ReelException e, String what, Device device) {
        if (e.status() != ReelException.Status.OUT_OF_MEMORY || !device.isCuda() || e.getCause() instanceof ReelException) {
            return e;   // not a device allocation, or already told with the memory figures
        }
        String memory;
        try {
            Device now = Reel.cudaDevices().get(device.ordinal());
            memory = String.format(java.util.Locale.ROOT, "%.2f GiB free of %.2f GiB", now.freeMemory() / GIB,
                    now.totalMemory() / GIB);
        } catch (RuntimeException queryFailed) {
            memory = "free memory unknown: " + queryFailed.getMessage();
        }
        ReelException out = new ReelException(ReelException.Status.OUT_OF_MEMORY, what + " on " + device + ": "
                + e.getMessage() + " (" + memory + ")");
        out.initCause(e);
        return out;
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    public ModelConfig config() {
        return config;
    }

    public Vocabulary vocabulary() {
        return folder.vocabulary();
    }

    public ModelFolder folder() {
        return folder;
    }

    /** Where the forward runs: {@link Device#CPU} or a CUDA device. */
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
        if (ops.device.isCuda()) {
            // a GPU is fed by many rows: up to 256, while a forward's buffers stay within a quarter of the memory
            long perRow = Math.max(1, Workspace.bytes(sizes, 1));
            long rows = ops.device.totalMemory() / 4 / perRow;
            return (int) Math.max(2, Math.min(256, rows / 2 * 2));
        }
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
        if (ops.device.isCuda()) {
            // the latent is read once the model's queued work is done, whatever stream it ran on
            ReelException.check(ReelNative.reel_synchronize(ops.device.ordinal(), ops.stream));
        }
        if (!hasAutoencoder()) {
            return latent.toFloatArray();
        }
        if (decoder == null) {
            decoder = folder.autoencoder().get().decoder(ops.device, ops.stream);
        }
        Tensor copy = null;
        try {
            Tensor here = latent;
            if (!latent.device().equals(ops.device)) {   // a CPU latent for a CUDA model
                copy = Buffers.owned(ops.device, latent.numel());
                copy.copyFrom(latent.toFloatArray());
                here = copy;
            }
            try (Tensor view = Tensor.wrap(ops.device, DType.F32, dev.reel.Shape.of(1, sizes.channels, sizes.frames,
                    sizes.height, sizes.width), here.address()); Tensor frames = decoder.decode(view)) {
                if (ops.device.isCuda()) {
                    ReelException.check(ReelNative.reel_synchronize(ops.device.ordinal(), ops.stream));
                }
                return frames.toFloatArray();
            }
        } catch (ReelException e) {
            throw outOfMemory(e, "decoding a video");
        } finally {
            if (copy != null) {
                copy.close();
            }
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
        try {
            return dit.encode(ops, this, prompts, probe);
        } catch (ReelException e) {
            throw outOfMemory(e, "encoding " + prompts.size() + " prompt(s)");
        }
    }

    /**
     * One batched forward: {@code out = model(x, t)} for every row, each row with
     * its prompt from {@code prompts} and its timestep {@code t[row]} in [0, 1]
     * (1 = pure noise). {@code x} and {@code out} are fp32 tensors of
     * {@code [rows, C, T, H, W]} (any shape with that many elements) on the model's device
     * and must not overlap. A CUDA model also takes CPU tensors, through device copies
     * (made once per batch size); then the forward has completed when it returns.
     * Otherwise on CUDA it returns once the work is queued on {@link #stream()}.
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
        try {
            Workspace ws = workspace(rows);
            for (int i = 0; i < rows; i++) {
                ws.t.put(i, t[i]);
            }
            if (!ops.device.isCuda()) {
                dit.forward(ops, ws, prompts, x.address(), out.address(), probe);
                return;
            }
            forwardOnDevice(ws, prompts, x, out, probe);
        } catch (ReelException e) {
            throw outOfMemory(e, "a forward of " + rows + " rows of " + folder.name());
        }
    }

    private void forwardOnDevice(Workspace ws, PromptContext prompts, Tensor x, Tensor out, ReelDit.Probe probe) {
        int device = ops.device.ordinal();
        long bytes = 4 * ws.rows * sizes.latentSize();
        ReelException.check(ReelNative.reel_memcpy(ws.times, ws.t.address(), 4 * ws.rows,
                ReelNative.REEL_COPY_HOST_TO_DEVICE, device, ops.stream));
        boolean hostIn = !x.device().isCuda(), hostOut = !out.device().isCuda();
        long[] staged = hostIn || hostOut ? ws.staged(ops.device, ws.rows * sizes.latentSize()) : null;
        long xAt = x.address(), outAt = out.address();
        if (hostIn) {
            ReelException.check(ReelNative.reel_memcpy(staged[0], xAt, bytes, ReelNative.REEL_COPY_HOST_TO_DEVICE, device,
                    ops.stream));
            xAt = staged[0];
        }
        if (hostOut) {
            outAt = staged[1];
        }
        dit.forward(ops, ws, prompts, xAt, outAt, probe);
        if (hostOut) {
            ReelException.check(ReelNative.reel_memcpy(out.address(), outAt, bytes, ReelNative.REEL_COPY_DEVICE_TO_HOST,
                    device, ops.stream));
        }
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
        if (tensor.device().isCuda() && !tensor.device().equals(ops.device)) {
            throw new IllegalArgumentException(name + " is on " + tensor.device() + "; this model runs on "
                    + (ops.device.isCuda() ? ops.device.toString() : "the CPU"));
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
        try {
            ws = new Workspace(ops.device, sizes, rows);
        } catch (ReelException e) {
            throw outOfMemory(e, String.format(java.util.Locale.ROOT, "the workspace of a forward of %d rows (%d bytes)",
                    rows, Workspace.bytes(sizes, rows)));
        }
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
        ops.close();
        weights.close();
        closeQuietly(ownStream);
        folder.close();
    }

    @Override
    public String toString() {
        return "VideoModel(" + folder.name() + ", " + config.hidden() + " wide, " + config.depth() + " blocks, "
                + config.frames() + "x" + config.height() + "x" + config.width() + ")";
    }
}
