package dev.reel.bench;

import dev.reel.pipeline.GeneratedVideo;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
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
 * generate() with the embedded model at its defaults (25 flow-Euler steps, guidance 4):
 * {@code variations} videos as one request with batched forwards ({@code batched}),
 * against as many single-video requests in a row ({@code singles}), in one JVM.
 * Throughput is videos / time; the ratio is singles / batched.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(1)
public class GenerateBenchmark {
    private static final String PROMPT = "a red circle moving right";

    @Param({"16"})
    public int variations;

    private Generator generator;

    @Setup
    public void setUp() {
        generator = Generator.embedded();
    }

    @Benchmark
    public List<GeneratedVideo> batched() {
        return generator.generate(GenerationRequest.builder().prompt(PROMPT).variations(variations)
                .maxBatch(variations).build());
    }

    @Benchmark
    public int singles() {
        int n = 0;
        for (int v = 0; v < variations; v++) {
            n += generator.generate(GenerationRequest.builder().prompt(PROMPT).seed(GenerationRequest.DEFAULT_SEED + v)
                    .build()).size();
        }
        return n;
    }

    @TearDown
    public void tearDown() {
        generator.close();
    }
}
