package dev.reel.bench;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Noise;
import dev.reel.Shape;
import dev.reel.Tensor;
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
 * Philox normal noise on the CPU backend: the cost of the initial latent of a
 * video (4 x 8 x 32 x 32 values) and of a large tensor. Reported as time per
 * call; values per second = elements / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NoiseBenchmark {
    @Param({"32768", "16777216"})
    public long elements;

    @Param({"F32", "BF16"})
    public DType dtype;

    private Tensor out;
    private long seed;

    @Setup
    public void setUp() {
        out = Tensor.allocate(Device.CPU, dtype, Shape.of(elements));
    }

    @TearDown
    public void tearDown() {
        out.close();
    }

    @Benchmark
    public Tensor fillNormal() {
        Noise.fillNormal(out, ++seed, 0, 0);
        return out;
    }
}
