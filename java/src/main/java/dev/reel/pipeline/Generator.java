package dev.reel.pipeline;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import dev.reel.model.ModelConfig;
import dev.reel.model.Prompt;
import dev.reel.model.PromptContext;
import dev.reel.model.VideoModel;
import dev.reel.sampling.NoiseSchedule;
import dev.reel.sampling.PredictionType;
import dev.reel.sampling.Sampler;
import dev.reel.sampling.SamplerKind;
import dev.reel.video.Video;
import dev.reel.video.VideoReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Text to video: {@code generate(request)} runs the sampling loop of a
 * {@link VideoModel} and returns its {@link Video}s.
 *
 * <pre>{@code
 * try (Generator generator = Generator.embedded()) {
 *     Video video = generator.generate(GenerationRequest.of("a red circle moving right")).get(0).video();
 * }
 * }</pre>
 *
 * <p>The pipeline owns the loop, the model the math: every batched forward holds
 * the conditional rows of up to {@code maxBatch} videos followed by their
 * unconditional rows (the negative prompt); each video has its own sampler, so
 * its initial noise (Philox stream 0 of its seed) and any sampler noise are the
 * same whichever batch it runs in. The same request gives the same bits on the
 * same backend and machine. Cancellation — {@link CompletableFuture#cancel} on
 * {@link #generateAsync}, or an interrupt of the generating thread — stops within
 * one step, frees what the run allocated and throws {@link CancellationException}.
 * One generation runs at a time per generator (calls are serialised).
 *
 * <p>The loop runs where the model does ({@link VideoModel#device()}): on a CUDA device the
 * latents, the model outputs and the samplers' fused steps stay in device memory, the
 * initial noise is libreel's Philox drawn on the device (the same values as on the CPU),
 * and the decoder runs on the device too; only the frames come back to the host.
 */
public final class Generator implements AutoCloseable {
    /** Frame rate of a video when the model's config names none. */
    public static final double DEFAULT_FPS = 8;

    private final VideoModel model;
    private final boolean ownsModel;
    private boolean closed;

    private Generator(VideoModel model, boolean ownsModel) {
        this.model = model;
        this.ownsModel = ownsModel;
    }

    /** A generator on the model shipped in Reel's jar (closed with the generator). */
    public static Generator embedded() {
        return new Generator(VideoModel.embedded(), true);
    }

    /** A generator on a model folder (closed with the generator). */
    public static Generator load(Path folder) {
        return new Generator(VideoModel.load(folder), true);
    }

    /** A generator on the embedded model on {@code device} (closed with the generator). */
    public static Generator embedded(Device device) {
        return new Generator(VideoModel.embedded(device), true);
    }

    /** A generator on a model folder loaded for {@code device} (closed with the generator). */
    public static Generator load(Path folder, Device device) {
        return new Generator(VideoModel.load(folder, device), true);
    }

    /** A generator on a model the caller keeps and closes. */
    public static Generator of(VideoModel model) {
        if (model == null) {
            throw new IllegalArgumentException("model is null");
        }
        return new Generator(model, false);
    }

    public VideoModel model() {
        return model;
    }

    /** Frame rate of the model's videos. */
    public double modelFps() {
        return DEFAULT_FPS;
    }

    public List<GeneratedVideo> generate(GenerationRequest request) {
        return generate(request, ProgressListener.NONE);
    }

    public List<GeneratedVideo> generate(GenerationRequest request, ProgressListener listener) {
        return run(Collections.singletonList(request), listener, () -> Thread.currentThread().isInterrupted());
    }

    /**
     * The videos of several requests that share their sampling settings (negative
     * prompt, steps, sampler, guidance, init and strength; see
     * {@link GenerationRequest#sharesSamplingWith}), packed into the same batched
     * forwards, at most the smallest {@code maxBatch} of them per forward. The videos
     * come back in request order, each request's as {@link #generate(GenerationRequest)}
     * returns them. Output size and frame rate may differ: they are the writer's.
     */
    public List<GeneratedVideo> generate(List<GenerationRequest> requests, ProgressListener listener) {
        return run(requests, listener, () -> Thread.currentThread().isInterrupted());
    }

    /** The same generation on a new thread; {@code cancel} on the future stops it within one step. */
    public CompletableFuture<List<GeneratedVideo>> generateAsync(GenerationRequest request, ProgressListener listener) {
        AtomicBoolean cancelled = new AtomicBoolean();
        CompletableFuture<List<GeneratedVideo>> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                cancelled.set(true);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        Thread worker = new Thread(() -> {
            try {
                future.complete(run(Collections.singletonList(request), listener, cancelled::get));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        }, "reel-generate");
        worker.setDaemon(true);
        worker.start();
        return future;
    }

    /** One video to make: which request, which of its prompts (tokenised), which variation. */
    private record Slot(GenerationRequest request, int prompt, Prompt tokens, int variation) {
        long seed() {
            return request.seedOf(variation);
        }
    }

    private synchronized List<GeneratedVideo> run(List<GenerationRequest> requests, ProgressListener listener,
                                                  BooleanSupplier cancelled) {
        if (closed) {
            throw new IllegalStateException("this Generator is closed");
        }
        if (requests != null && requests.size() == 1 && requests.get(0) == null) {
            throw new IllegalArgumentException("request is null");
        }
        if (requests == null || requests.isEmpty() || requests.stream().anyMatch(r -> r == null)) {
            throw new IllegalArgumentException("requests is " + (requests == null ? "null" : requests.isEmpty()
                    ? "empty" : "a list holding null") + ": expected at least one request");
        }
        GenerationRequest first = requests.get(0);
        int maxBatch = first.maxBatch();
        for (GenerationRequest r : requests) {
            if (!r.sharesSamplingWith(first)) {
                throw new IllegalArgumentException("requests packed into one generation must share negative prompt, "
                        + "steps, sampler, guidance, init and strength: '" + r + "' differs from '" + first + "'");
            }
            maxBatch = Math.min(maxBatch, r.maxBatch());
        }
        // Past the model's preferred rows a forward spills out of the cache and each video gets slower.
        double guidance = first.guidance() != null ? first.guidance() : model.config().guidance();
        maxBatch = Math.max(1, Math.min(maxBatch, model.preferredRows() / (guidance != 1 ? 2 : 1)));
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        int items = 0;
        for (GenerationRequest r : requests) {
            items += r.videoCount();
        }
        Plan plan = new Plan(model.config(), first, items, maxBatch);
        long start = System.nanoTime();

        // Every prompt is checked before any work starts: a bad word fails the whole generation at once.
        progress.onProgress(new Progress(Phase.ENCODE, 0, plan.totalEvaluations, 0, plan.batches, elapsed(start),
                null, "tokenising " + requests.stream().mapToInt(r -> r.prompts().size()).sum() + " prompt(s)"));
        List<Slot> slots = new ArrayList<>(items);
        for (GenerationRequest r : requests) {
            for (int p = 0; p < r.prompts().size(); p++) {
                Prompt tokens = model.vocabulary().encode(r.prompts().get(p));
                for (int v = 0; v < r.variations(); v++) {
                    slots.add(new Slot(r, p, tokens, v));
                }
            }
        }
        Prompt negative = model.vocabulary().encode(first.negativePrompt());
        float[] clean = first.init() == null ? null : initLatent(first.init());

        List<GeneratedVideo> out = new ArrayList<>(items);
        int done = 0;
        for (int b = 0, from = 0; from < items; b++, from += maxBatch) {
            List<Slot> batch = slots.subList(from, Math.min(items, from + maxBatch));
            done = batch(plan, batch, negative, clean, b, done, start, progress, cancelled, out);
        }
        progress.onProgress(new Progress(Phase.DONE, done, plan.totalEvaluations, plan.batches, plan.batches,
                elapsed(start), Duration.ZERO, out.size() + " video(s)"));
        return out;
    }

    /** One batched run of the videos of {@code slots}. */
    private int batch(Plan plan, List<Slot> slots, Prompt negative, float[] clean, int batchIndex, int done, long start,
                      ProgressListener progress, BooleanSupplier cancelled, List<GeneratedVideo> out) {
        long n = model.latentSize();
        int count = slots.size();
        int rows = plan.guided ? 2 * count : count;
        List<Prompt> rowPrompts = new ArrayList<>(rows);
        for (Slot s : slots) {
            rowPrompts.add(s.tokens());
        }
        if (plan.guided) {
            for (int i = 0; i < count; i++) {
                rowPrompts.add(negative);
            }
        }
        progress.onProgress(new Progress(Phase.ENCODE, done, plan.totalEvaluations, batchIndex, plan.batches,
                elapsed(start), null, "batch " + (batchIndex + 1) + " of " + plan.batches + ": " + count + " video(s)"));
        List<Sampler> samplers = new ArrayList<>(count);
        List<Tensor> views = new ArrayList<>(3 * count);
        Device device = model.device();
        try (PromptContext context = model.encodePrompts(rowPrompts);
             // steps outside the guidance interval run the conditional rows alone
             PromptContext condContext = plan.guided && plan.unguidedSteps
                     ? model.encodePrompts(rowPrompts.subList(0, count)) : null;
             Tensor x = Tensor.allocate(device, DType.F32, Shape.of(rows * n));
             Tensor y = Tensor.allocate(device, DType.F32, Shape.of(rows * n));
             Tensor init = clean == null ? null : Tensor.allocate(device, DType.F32, Shape.of(n))) {
            if (init != null) {
                init.copyFrom(clean);
            }
            float[] t = new float[rows];
            float[] tCond = new float[count];
            for (int i = 0; i < count; i++) {
                Sampler sampler = plan.sampler(slots.get(i).seed());
                samplers.add(sampler);
                Tensor latent = view(x, i * n, n, views);
                if (init == null) {
                    sampler.initialNoise(latent);
                } else {
                    sampler.initialLatent(latent, init);
                }
            }
            if (device.isCuda()) {
                ReelException.check(ReelNative.reel_synchronize(device.ordinal(), 0L));   // the noise, before the forward
            }
            Tensor[] latents = new Tensor[count], cond = new Tensor[count], uncond = new Tensor[count];
            for (int i = 0; i < count; i++) {
                latents[i] = view(x, i * n, n, views);
                cond[i] = view(y, i * n, n, views);
                uncond[i] = plan.guided ? view(y, (count + i) * n, n, views) : null;
            }
            Tensor xCond = condContext == null ? null : view(x, 0, count * n, views);
            Tensor yCond = condContext == null ? null : view(y, 0, count * n, views);
            Sampler lead = samplers.get(0);
            while (!lead.isDone()) {
                if (cancelled.getAsBoolean()) {
                    throw new CancellationException("generation cancelled after " + done + " of "
                            + plan.totalEvaluations + " model evaluations");
                }
                float tv = (float) lead.timestep();
                boolean guidedNow = lead.guidedNow();
                java.util.Arrays.fill(t, tv);
                java.util.Arrays.fill(tCond, tv);
                if (guidedNow) {
                    // the unconditional rows see the same latents
                    ReelException.check(ReelNative.reel_memcpy(x.address() + 4 * count * n, x.address(), 4 * count * n,
                            device.isCuda() ? ReelNative.REEL_COPY_DEVICE_TO_DEVICE : ReelNative.REEL_COPY_HOST_TO_HOST,
                            device.ordinal(), model.stream()));
                }
                if (guidedNow || condContext == null) {
                    model.forward(context, x, t, y);
                } else {
                    model.forward(condContext, xCond, tCond, yCond);
                }
                if (device.isCuda()) {
                    // the samplers' steps run on the default stream: the forward must be done, whatever stream it used
                    model.synchronize();
                }
                for (int i = 0; i < count; i++) {
                    samplers.get(i).step(latents[i], cond[i], guidedNow ? uncond[i] : null);
                }
                if (device.isCuda()) {
                    // and the next forward, on the model's stream, reads what the steps wrote
                    ReelException.check(ReelNative.reel_synchronize(device.ordinal(), 0L));
                }
                done++;
                Duration elapsed = elapsed(start);
                Duration eta = elapsed.multipliedBy(plan.totalEvaluations - done).dividedBy(Math.max(done, 1));
                progress.onProgress(new Progress(Phase.STEP, done, plan.totalEvaluations, batchIndex, plan.batches,
                        elapsed, eta, "t = " + tv));
            }
            progress.onProgress(new Progress(Phase.DECODE, done, plan.totalEvaluations, batchIndex, plan.batches,
                    elapsed(start), null, count + " video(s)"));
            for (int i = 0; i < count; i++) {
                Slot s = slots.get(i);
                float[] frames = model.decodeVideo(latents[i]);
                Video video = Video.fromLatent(frames, model.videoChannels(), model.config().frames(), model.videoHeight(),
                        model.videoWidth(), dev.reel.video.FrameRate.of(modelFps()));
                out.add(new GeneratedVideo(s.request().prompts().get(s.prompt()), s.seed(), s.variation(), video,
                        s.request()));
            }
            return done;
        } finally {
            for (Tensor v : views) {
                v.close();
            }
            for (Sampler s : samplers) {
                s.close();
            }
        }
    }

    private static Tensor view(Tensor base, long offset, long count, List<Tensor> views) {
        Tensor v = Tensor.wrap(base.device(), DType.F32, Shape.of(count), base.address() + 4 * offset);
        views.add(v);
        return v;
    }

    /**
     * The input video or image as a latent of the model's size: frames resized to the model's
     * video size, repeated or cut to its count, and encoded (for a latent model).
     */
    private float[] initLatent(Path path) {
        ModelConfig c = model.config();
        Video input = VideoReader.read(path);
        Video fitted = input.fit(c.frames(), model.videoWidth(), model.videoHeight());
        return model.encodeVideo(fitted.toLatent());
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (ownsModel) {
                model.close();
            }
        }
    }

    /** A request resolved against the model: sampler settings and the work it implies. */
    private static final class Plan {
        final SamplerKind kind;
        final int steps;
        final double guidance;
        final double[] guidanceInterval;
        /** Some evaluation applies guidance (the batch holds unconditional rows). */
        final boolean guided;
        /** Some evaluation takes the conditional output alone (a forward of the conditional rows). */
        final boolean unguidedSteps;
        final double strength;
        final NoiseSchedule schedule;
        final PredictionType prediction;
        final int batches;
        final int totalEvaluations;

        Plan(ModelConfig c, GenerationRequest r, int videos, int maxBatch) {
            kind = r.samplerFor(c);
            steps = r.stepsFor(c);
            guidance = r.guidanceFor(c);
            guidanceInterval = r.guidanceIntervalFor(c);
            strength = r.init() == null ? 1 : r.strength();
            schedule = NoiseSchedule.flow(c.shift());
            prediction = c.prediction().type();
            batches = (videos + maxBatch - 1) / maxBatch;
            int perVideo;
            try (Sampler probe = sampler(0)) {
                perVideo = probe.modelEvaluations();
                guided = probe.evaluations().stream().anyMatch(Sampler.Evaluation::guided);
                unguidedSteps = probe.evaluations().stream().anyMatch(e -> !e.guided());
            }
            totalEvaluations = perVideo * batches;
        }

        Sampler sampler(long seed) {
            return Sampler.builder(kind).schedule(schedule).steps(steps).prediction(prediction).guidance(guidance)
                    .guidanceInterval(guidanceInterval[0], guidanceInterval[1]).strength(strength).seed(seed).build();
        }
    }
}
