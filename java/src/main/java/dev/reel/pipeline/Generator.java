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
        return run(request, listener, () -> Thread.currentThread().isInterrupted());
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
                future.complete(run(request, listener, cancelled::get));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        }, "reel-generate");
        worker.setDaemon(true);
        worker.start();
        return future;
    }

    private synchronized List<GeneratedVideo> run(GenerationRequest request, ProgressListener listener,
                                                  BooleanSupplier cancelled) {
        if (closed) {
            throw new IllegalStateException("this Generator is closed");
        }
        if (request == null) {
            throw new IllegalArgumentException("request is null");
        }
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        Plan plan = new Plan(model.config(), request);
        long start = System.nanoTime();

        // Every prompt is checked before any work starts: a bad word fails the whole request at once.
        progress.onProgress(new Progress(Phase.ENCODE, 0, plan.totalEvaluations, 0, plan.batches, elapsed(start),
                null, "tokenising " + request.prompts().size() + " prompt(s)"));
        List<Prompt> prompts = new ArrayList<>();
        for (String p : request.prompts()) {
            prompts.add(model.vocabulary().encode(p));
        }
        Prompt negative = model.vocabulary().encode(request.negativePrompt());
        float[] clean = request.init() == null ? null : initLatent(request.init());

        List<GeneratedVideo> out = new ArrayList<>(request.videoCount());
        int done = 0;
        int items = request.videoCount();
        for (int b = 0, first = 0; first < items; b++, first += request.maxBatch()) {
            int count = Math.min(request.maxBatch(), items - first);
            done = batch(plan, request, prompts, negative, clean, first, count, b, done, start, progress, cancelled, out);
        }
        progress.onProgress(new Progress(Phase.DONE, done, plan.totalEvaluations, plan.batches, plan.batches,
                elapsed(start), Duration.ZERO, out.size() + " video(s)"));
        return out;
    }

    /** One batched run of {@code count} videos starting at item {@code first} (item = prompt × variation). */
    private int batch(Plan plan, GenerationRequest request, List<Prompt> prompts, Prompt negative, float[] clean,
                      int first, int count, int batchIndex, int done, long start, ProgressListener progress,
                      BooleanSupplier cancelled, List<GeneratedVideo> out) {
        long n = model.latentSize();
        int rows = plan.guided ? 2 * count : count;
        List<Prompt> rowPrompts = new ArrayList<>(rows);
        for (int i = 0; i < count; i++) {
            rowPrompts.add(prompts.get((first + i) / request.variations()));
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
        try (PromptContext context = model.encodePrompts(rowPrompts);
             Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(rows * n));
             Tensor y = Tensor.allocate(Device.CPU, DType.F32, Shape.of(rows * n));
             Tensor init = clean == null ? null : Tensor.allocate(Device.CPU, DType.F32, Shape.of(n))) {
            if (init != null) {
                init.copyFrom(clean);
            }
            float[] t = new float[rows];
            for (int i = 0; i < count; i++) {
                long seed = request.seedOf((first + i) % request.variations());
                Sampler sampler = plan.sampler(seed);
                samplers.add(sampler);
                Tensor latent = view(x, i * n, n, views);
                if (init == null) {
                    sampler.initialNoise(latent);
                } else {
                    sampler.initialLatent(latent, init);
                }
            }
            Tensor[] latents = new Tensor[count], cond = new Tensor[count], uncond = new Tensor[count];
            for (int i = 0; i < count; i++) {
                latents[i] = view(x, i * n, n, views);
                cond[i] = view(y, i * n, n, views);
                uncond[i] = plan.guided ? view(y, (count + i) * n, n, views) : null;
            }
            Sampler lead = samplers.get(0);
            while (!lead.isDone()) {
                if (cancelled.getAsBoolean()) {
                    throw new CancellationException("generation cancelled after " + done + " of "
                            + plan.totalEvaluations + " model evaluations");
                }
                float tv = (float) lead.timestep();
                java.util.Arrays.fill(t, tv);
                if (plan.guided) {
                    // the unconditional rows see the same latents
                    ReelException.check(ReelNative.reel_memcpy(x.address() + 4 * count * n, x.address(), 4 * count * n,
                            ReelNative.REEL_COPY_HOST_TO_HOST, Device.CPU.ordinal(), 0L));
                }
                model.forward(context, x, t, y);
                for (int i = 0; i < count; i++) {
                    samplers.get(i).step(latents[i], cond[i], uncond[i]);
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
                int item = first + i;
                int variation = item % request.variations();
                float[] frames = latents[i].toFloatArray();
                Video video = Video.fromLatent(frames, (int) model.config().channels(), (int) model.config().frames(),
                        (int) model.config().height(), (int) model.config().width(), dev.reel.video.FrameRate.of(modelFps()));
                out.add(new GeneratedVideo(request.prompts().get(item / request.variations()), request.seedOf(variation),
                        variation, video, request));
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

    /** The input video or image as a latent of the model's size: frames resized, repeated or cut to the model's count. */
    private float[] initLatent(Path path) {
        ModelConfig c = model.config();
        Video input = VideoReader.read(path);
        Video fitted = input.fit((int) c.frames(), (int) c.width(), (int) c.height());
        return fitted.toLatent();
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
        final boolean guided;
        final double strength;
        final NoiseSchedule schedule;
        final PredictionType prediction;
        final int batches;
        final int totalEvaluations;

        Plan(ModelConfig c, GenerationRequest r) {
            kind = r.samplerFor(c);
            steps = r.stepsFor(c);
            guidance = r.guidanceFor(c);
            guided = guidance != 1;
            strength = r.init() == null ? 1 : r.strength();
            schedule = NoiseSchedule.flow(c.shift());
            prediction = c.prediction().type();
            batches = (r.videoCount() + r.maxBatch() - 1) / r.maxBatch();
            int perVideo;
            try (Sampler probe = sampler(0)) {
                perVideo = probe.modelEvaluations();
            }
            totalEvaluations = perVideo * batches;
        }

        Sampler sampler(long seed) {
            return Sampler.builder(kind).schedule(schedule).steps(steps).prediction(prediction).guidance(guidance)
                    .strength(strength).seed(seed).build();
        }
    }
}
