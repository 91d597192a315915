package dev.reel.bench;

import dev.reel.Device;
import dev.reel.model.ModelConfig;
import dev.reel.model.ModelFolder;
import dev.reel.nn.Gemm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * The matrix products of one reel-dit block at a model folder's own shapes
 * (rows = 2 × tokens: the conditional + unconditional forward), in forward order:
 * {@code ada} (2 rows), {@code attn.qkv}, {@code attn.proj}, {@code cross.q},
 * {@code cross.proj}, {@code mlp.fc1}, {@code mlp.fc2}; {@code linear} picks one of
 * them or {@code block} for all. Each product is {@code y = x · Wᵀ}, W stored
 * {@code [out, in]}, as in the model.
 *
 * <ul>
 *   <li>{@code openBlas}: {@code cblas_sgemm} with OpenBLAS's own threads on every
 *       core and nothing else running: the ceiling for these shapes.</li>
 *   <li>{@code reel}: the same products through {@link Gemm}, the path of Reel's
 *       forward, under its {@code -Dreel.gemm} threading (default: split).</li>
 * </ul>
 * GFLOP/s = the FLOPs printed once per trial / time. JMH forks a JVM per benchmark,
 * so the two never share OpenBLAS's thread setting.
 *
 * <pre>
 * java -jar bench/target/reel-bench-0.1.0.jar ModelGemmBenchmark -p model=embedded,/path/to/folder
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ModelGemmBenchmark {
    @Param({"embedded"})
    public String model;

    @Param({"block"})
    public String linear;

    /** One product: rows x in → out. */
    record Product(String name, int rows, int in, int out) {
        double flops() {
            return 2.0 * rows * in * out;
        }
    }

    private final List<Product> products = new ArrayList<>();
    private FloatPointer x, w, y;
    private Gemm gemm;

    static List<Product> blockProducts(ModelConfig c) {
        int r = 2 * c.tokens(), d = c.hidden(), m = c.mlpHidden();
        return List.of(new Product("ada", 2, d, 6 * d), new Product("attn.qkv", r, d, 3 * d),
                new Product("attn.proj", r, d, d), new Product("cross.q", r, d, d), new Product("cross.proj", r, d, d),
                new Product("mlp.fc1", r, d, m), new Product("mlp.fc2", r, m, d));
    }

    @Setup(Level.Trial)
    public void setUp(org.openjdk.jmh.infra.BenchmarkParams params) {
        ModelConfig config;
        try (ModelFolder folder = "embedded".equals(model) ? ModelFolder.embedded() : ModelFolder.open(Path.of(model))) {
            config = folder.config();
        }
        for (Product p : blockProducts(config)) {
            if ("block".equals(linear) || p.name().equals(linear)) {
                products.add(p);
            }
        }
        if (products.isEmpty()) {
            throw new IllegalArgumentException("linear must be block or one of " + blockProducts(config));
        }
        long xs = 0, ws = 0, ys = 0;
        for (Product p : products) {
            xs = Math.max(xs, (long) p.rows() * p.in());
            ws = Math.max(ws, (long) p.out() * p.in());
            ys = Math.max(ys, (long) p.rows() * p.out());
        }
        x = random(xs, 1);
        w = random(ws, 2);
        y = new FloatPointer(ys);
        int threads = Runtime.getRuntime().availableProcessors();
        boolean ceiling = params.getBenchmark().endsWith("openBlas");
        if (ceiling) {
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
        } else {
            gemm = new Gemm();   // its class sets OpenBLAS's threads for its own threading
        }
        double flops = products.stream().mapToDouble(Product::flops).sum();
        System.out.printf(Locale.ROOT, "%n[flops] %s %s of %s: %.6e FLOPs per call, %s, OPENBLAS_CORETYPE=%s%n",
                ceiling ? "OpenBLAS sgemm" : "Reel Gemm", linear, model, flops,
                ceiling ? "OpenBLAS threads " + threads : "threading " + Gemm.THREADING + ", threads " + Gemm.threads(),
                System.getenv("OPENBLAS_CORETYPE"));
        System.out.println("[shapes] " + products);
    }

    private static FloatPointer random(long count, long seed) {
        FloatPointer p = new FloatPointer(count);
        java.util.Random random = new java.util.Random(seed);
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        p.put(values);
        return p;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        w.close();
        y.close();
    }

    @Benchmark
    public FloatPointer openBlas() {
        for (Product p : products) {
            openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, p.rows(), p.out(),
                    p.in(), 1f, x, p.in(), w, p.in(), 0f, y, p.out());
        }
        return y;
    }

    @Benchmark
    public FloatPointer reel() {
        for (Product p : products) {
            gemm.linear(Device.CPU, p.rows(), p.in(), p.out(), x.address(), p.in(), w.address(), y.address(), p.out(),
                    false);
        }
        return y;
    }
}
