package dev.reel.bench;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.PromptContext;
import dev.reel.model.VideoModel;
import dev.reel.sampling.NoiseSchedule;
import dev.reel.sampling.PredictionType;
import dev.reel.sampling.Sampler;
import dev.reel.sampling.SamplerKind;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reel-dit forward on the CPU: one conditional + unconditional forward
 * (batch 2), and a whole flow-Euler denoising loop (prompt encoding, noise, every
 * step's forward and fused sampler step) — the same work that
 * {@code bench/model/twin.py} times in the PyTorch twin on the same folder and
 * thread count. {@code model} is {@code embedded} or a model folder's path (for
 * example the random-weight one of {@code bench/model/make_random_model.py}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ModelBenchmark {
    private static final String PROMPT = "a red circle moving right";

    @Param({"embedded"})
    public String model;

    @Param({"25"})
    public int steps;

    private VideoModel video;
    private PromptContext prompts;
    private Tensor x;
    private Tensor out;
    private Tensor latent;
    private Tensor cond;
    private Tensor uncond;

    @Setup
    public void setUp() {
        video = "embedded".equals(model) ? VideoModel.embedded() : VideoModel.load(Path.of(model));
        prompts = video.encode(List.of(PROMPT, ""));
        long n = video.latentSize();
        x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * n));
        out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * n));
        latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
        cond = Tensor.wrap(Device.CPU, DType.F32, Shape.of(n), out.address());
        uncond = Tensor.wrap(Device.CPU, DType.F32, Shape.of(n), out.address() + 4 * n);
        float[] v = new float[(int) (2 * n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * 0.37);
        }
        x.copyFrom(v);
    }

    @Benchmark
    public Tensor forward() {
        video.forward(prompts, x, new float[] {0.5f, 0.5f}, out);
        return out;
    }

    @Benchmark
    public Tensor denoise() {
        try (PromptContext p = video.encode(List.of(PROMPT, ""));
             Sampler sampler = Sampler.builder(SamplerKind.EULER)
                     .schedule(NoiseSchedule.flow(video.config().shift())).steps(steps)
                     .prediction(PredictionType.FLOW).guidance(video.config().guidance()).seed(42).build()) {
            long n = video.latentSize();
            sampler.initialNoise(latent);
            while (!sampler.isDone()) {
                float t = (float) sampler.timestep();
                dev.reel.ffi.ReelNative.reel_memcpy(x.address(), latent.address(), 4 * n, 0, -1, 0L);
                dev.reel.ffi.ReelNative.reel_memcpy(x.address() + 4 * n, latent.address(), 4 * n, 0, -1, 0L);
                video.forward(p, x, new float[] {t, t}, out);
                sampler.step(latent, cond, uncond);
            }
        }
        return latent;
    }

    @TearDown
    public void tearDown() {
        cond.close();
        uncond.close();
        for (AutoCloseable c : new AutoCloseable[] {prompts, x, out, latent, video}) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
