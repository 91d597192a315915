package dev.reel.bench;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import dev.reel.sampling.SchedulerStep;
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
 * The fused scheduler step on the CPU backend, against a plain copy of the same
 * tensors as the memory-bandwidth reference, same run. Time per call; GB/s =
 * bytes moved / time, where per element (fp32 state, model dtype {@code model}):
 * <ul>
 *   <li>{@code copy}: read x, write out — 8 bytes (memmove);</li>
 *   <li>{@code eulerCfg} (Euler / DDIM, guidance): read x, cond, uncond, write out —
 *   8 + 2·size(model) bytes;</li>
 *   <li>{@code ancestralCfg} (DDPM / Euler ancestral): the same bytes plus a
 *   Philox normal per element computed in the pass;</li>
 *   <li>{@code dpmSolver2MCfg}: also reads prev and writes aux — 16 + 2·size(model) bytes.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SchedulerStepBenchmark {
    /** A 16-frame 64×64 latent of 16 channels, and a 16M-element tensor (out of cache). */
    @Param({"1048576", "16777216"})
    public long elements;

    @Param({"F32", "BF16"})
    public DType model;

    private Tensor x;
    private Tensor cond;
    private Tensor uncond;
    private Tensor prev;
    private Tensor out;
    private Tensor aux;
    private SchedulerStep euler;
    private SchedulerStep ancestral;
    private SchedulerStep dpm;

    @Setup
    public void setUp() {
        Shape shape = Shape.of(elements);
        x = Tensor.allocate(Device.CPU, DType.F32, shape);
        out = Tensor.allocate(Device.CPU, DType.F32, shape);
        prev = Tensor.allocate(Device.CPU, DType.F32, shape);
        aux = Tensor.allocate(Device.CPU, DType.F32, shape);
        cond = Tensor.allocate(Device.CPU, model, shape);
        uncond = Tensor.allocate(Device.CPU, model, shape);
        float[] v = new float[(int) elements];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * 1e-3);
        }
        for (Tensor t : new Tensor[] {x, out, prev, aux, cond, uncond}) {
            t.copyFrom(v);
        }
        euler = SchedulerStep.builder().guidance(7.5).out(0.98, -0.05, 0, 0).build();
        ancestral = SchedulerStep.builder().guidance(7.5).out(0.98, -0.05, 0, 0.1).noise(1, 1, 0).build();
        dpm = SchedulerStep.builder().guidance(7.5).out(0.98, -0.05, 0.01, 0).aux(1.2, -0.3).build();
    }

    @TearDown
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, out, prev, aux, cond, uncond}) {
            t.close();
        }
    }

    @Benchmark
    public int copy() {
        return ReelNative.reel_memcpy(out.address(), x.address(), x.byteSize(), ReelNative.REEL_COPY_HOST_TO_HOST,
                ReelNative.REEL_DEVICE_CPU, 0L);
    }

    @Benchmark
    public Tensor eulerCfg() {
        euler.apply(x, cond, uncond, null, out, null);
        return out;
    }

    @Benchmark
    public Tensor ancestralCfg() {
        ancestral.apply(x, cond, uncond, null, out, null);
        return out;
    }

    @Benchmark
    public Tensor dpmSolver2MCfg() {
        dpm.apply(x, cond, uncond, prev, out, aux);
        return out;
    }
}
