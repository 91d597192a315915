package dev.reel.bench;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Noise;
import dev.reel.Reel;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.attention.AttentionMode;
import dev.reel.attention.SpacetimeAttention;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
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
 * Reel's CPU spacetime attention against its peers, in the same JVM on the same
 * inputs: libtorch 2.10 {@code scaled_dot_product_attention} (through
 * org.bytedeco:pytorch) and OpenBLAS {@code sgemm} as the matrix-product ceiling.
 * Every benchmark prints its FLOP count per call once; GFLOP/s = FLOPs / time.
 * Attention FLOPs are {@code 4 * B * heads * d * (query, key) pairs computed}
 * (two matrix products); for WINDOW only the pairs in the kept tiles count.
 *
 * <p>Threads: Reel uses its default (all logical cores), libtorch is set to the
 * same count and {@code sgemm} runs on OpenBLAS's threads, one per core. libtorch
 * parallelises SDPA over its own threads and calls OpenBLAS inside them; OpenBLAS
 * threads nested there oversubscribe the cores (12x slower here), so the states
 * of the libtorch benchmarks set OpenBLAS to one thread and the sgemm state sets
 * it back to all cores. JMH forks a JVM per benchmark, so one invocation times
 * all three systems:
 *
 * <pre>
 * java -jar bench/target/reel-bench-0.1.0.jar 'SpacetimeAttentionBenchmark.(fullReelF32|fullTorchF32|sgemmOpenBlas)'
 * </pre>
 *
 * <p>Instruction sets are each system's own choice unless capped, and the output
 * records the caps: {@code REEL_CPU_ISA=avx2} for Reel's kernels,
 * {@code ATEN_CPU_CAPABILITY=avx2} for libtorch's, {@code OPENBLAS_CORETYPE=Haswell}
 * for OpenBLAS's; all three together stand for an AVX2-only processor.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class SpacetimeAttentionBenchmark {

    static int threads() {
        return Reel.cpu().threads();
    }

    /** A JavaCPP pointer at memory Reel owns, for torch::from_blob. */
    static Pointer at(long where) {
        return new Pointer() {
            {
                address = where;  // the inherited field (a parameter named address would be shadowed)
            }
        };
    }

    static org.bytedeco.pytorch.Tensor torchView(Tensor t) {
        return torch.from_blob(at(t.address()), t.shape().dims(), new TensorOptions(
                t.dtype() == DType.F32 ? torch.ScalarType.Float : torch.ScalarType.BFloat16));
    }

    static Tensor randn(DType dtype, Shape shape, long seed) {
        Tensor t = Tensor.allocate(Device.CPU, dtype, shape);
        Noise.fillNormal(t, seed, 0, 0);
        return t;
    }

    static void report(String what, double flops) {
        System.out.printf("%n[flops] %s: %.6e FLOPs per call, threads %d, REEL_CPU_ISA=%s, ATEN_CPU_CAPABILITY=%s,"
                        + " OPENBLAS_CORETYPE=%s%n", what, flops, threads(), System.getenv("REEL_CPU_ISA"),
                System.getenv("ATEN_CPU_CAPABILITY"), System.getenv("OPENBLAS_CORETYPE"));
    }

    /** libtorch on Reel's thread count over a single-threaded OpenBLAS (see the class comment). */
    static void torchThreads() {
        torch.set_num_threads(threads());
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
    }

    // ---- FULL -----------------------------------------------------------------

    /** FULL on B = 1, 4 heads, N tokens. */
    @State(Scope.Benchmark)
    public static class Full {
        @Param({"2048", "4096", "8192"})
        public int tokens;

        @Param({"64", "128"})
        public int headDim;

        public final int heads = 4;
        SpacetimeAttention attention;
        Tensor q, k, v, out, q16, k16, v16, out16;
        org.bytedeco.pytorch.Tensor tq, tk, tv;

        @Setup(Level.Trial)
        public void setUp() {
            torchThreads();
            Shape s = Shape.of(1, tokens, heads, headDim);
            attention = SpacetimeAttention.builder().mode(AttentionMode.FULL).video(1, 1, tokens).build();
            q = randn(DType.F32, s, 1);
            k = randn(DType.F32, s, 2);
            v = randn(DType.F32, s, 3);
            out = Tensor.allocate(Device.CPU, DType.F32, s);
            q16 = q.to(DType.BF16);
            k16 = k.to(DType.BF16);
            v16 = v.to(DType.BF16);
            out16 = Tensor.allocate(Device.CPU, DType.BF16, s);
            // libtorch's own layout [B, heads, N, d], made once outside the timing.
            tq = torchView(q).permute(0, 2, 1, 3).contiguous();
            tk = torchView(k).permute(0, 2, 1, 3).contiguous();
            tv = torchView(v).permute(0, 2, 1, 3).contiguous();
            report("FULL N=" + tokens + " d=" + headDim + " heads=" + heads + ", libtorch CPU capability "
                    + torch.get_cpu_capability().getString(), 4.0 * heads * headDim * tokens * (double) tokens);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (Tensor t : new Tensor[] {q, k, v, out, q16, k16, v16, out16}) {
                t.close();
            }
        }
    }

    @Benchmark
    public Tensor fullReelF32(Full s) {
        s.attention.forward(s.q, s.k, s.v, s.out);
        return s.out;
    }

    @Benchmark
    public Tensor fullReelBf16(Full s) {
        s.attention.forward(s.q16, s.k16, s.v16, s.out16);
        return s.out16;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor fullTorchF32(Full s) {
        return torch.scaled_dot_product_attention(s.tq, s.tk, s.tv);
    }

    // ---- SPATIAL and TEMPORAL on a 16 x 32 x 32 video, 8 heads x 64 ------------

    static final int T = 16, H = 32, W = 32, N = T * H * W, HEADS = 8, D = 64;

    @State(Scope.Benchmark)
    public static class Factorised {
        @Param({"SPATIAL", "TEMPORAL"})
        public AttentionMode mode;

        SpacetimeAttention attention;
        Tensor q, k, v, out;
        org.bytedeco.pytorch.Tensor tq, tk, tv;

        @Setup(Level.Trial)
        public void setUp() {
            torchThreads();
            Shape s = Shape.of(1, N, HEADS, D);
            attention = SpacetimeAttention.builder().mode(mode).video(T, H, W).build();
            q = randn(DType.F32, s, 4);
            k = randn(DType.F32, s, 5);
            v = randn(DType.F32, s, 6);
            out = Tensor.allocate(Device.CPU, DType.F32, s);
            tq = torchView(q);
            tk = torchView(k);
            tv = torchView(v);
            long keys = mode == AttentionMode.SPATIAL ? H * W : T;
            report(mode + " 16x32x32 heads=8 d=64", 4.0 * HEADS * D * N * (double) keys);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (Tensor t : new Tensor[] {q, k, v, out}) {
                t.close();
            }
        }
    }

    @Benchmark
    public Tensor factorisedReelF32(Factorised s) {
        s.attention.forward(s.q, s.k, s.v, s.out);
        return s.out;
    }

    /**
     * What libtorch needs for the same result from the [B, N, heads, d] layout:
     * permute each of Q, K, V into batches of frames (or of spatial positions),
     * SDPA, and permute the output back; every copy is timed.
     */
    @Benchmark
    public org.bytedeco.pytorch.Tensor factorisedTorchF32(Factorised s) {
        if (s.mode == AttentionMode.SPATIAL) {
            // [1, T, HW, heads, d] -> [T, heads, HW, d]
            org.bytedeco.pytorch.Tensor q = s.tq.reshape(T, H * W, HEADS, D).permute(0, 2, 1, 3).contiguous();
            org.bytedeco.pytorch.Tensor k = s.tk.reshape(T, H * W, HEADS, D).permute(0, 2, 1, 3).contiguous();
            org.bytedeco.pytorch.Tensor v = s.tv.reshape(T, H * W, HEADS, D).permute(0, 2, 1, 3).contiguous();
            org.bytedeco.pytorch.Tensor o = torch.scaled_dot_product_attention(q, k, v);
            return o.permute(0, 2, 1, 3).contiguous();
        }
        // [1, T, HW, heads, d] -> [HW, heads, T, d]
        org.bytedeco.pytorch.Tensor q = s.tq.reshape(T, H * W, HEADS, D).permute(1, 2, 0, 3).contiguous();
        org.bytedeco.pytorch.Tensor k = s.tk.reshape(T, H * W, HEADS, D).permute(1, 2, 0, 3).contiguous();
        org.bytedeco.pytorch.Tensor v = s.tv.reshape(T, H * W, HEADS, D).permute(1, 2, 0, 3).contiguous();
        org.bytedeco.pytorch.Tensor o = torch.scaled_dot_product_attention(q, k, v);
        return o.permute(2, 0, 1, 3).contiguous();
    }

    // ---- WINDOW on the same video: tiles 4 x 8 x 8 ------------------------------

    @State(Scope.Benchmark)
    public static class Window {
        /** Window radius in tiles as "t,h,w": 3x3 and 3x3x3 neighbourhoods of 4x8x8 tiles. */
        @Param({"0,1,1", "1,1,1"})
        public String window;

        SpacetimeAttention attention;
        Tensor q, k, v, out;
        org.bytedeco.pytorch.Tensor tq, tk, tv;
        TensorOptional mask;
        org.bytedeco.pytorch.Tensor maskTensor;
        Pointer maskBytes;

        @Setup(Level.Trial)
        public void setUp() {
            torchThreads();
            String[] r = window.split(",");
            int rt = Integer.parseInt(r[0]), rh = Integer.parseInt(r[1]), rw = Integer.parseInt(r[2]);
            int tt = 4, th = 8, tw = 8;
            Shape s = Shape.of(1, N, HEADS, D);
            attention = SpacetimeAttention.builder().mode(AttentionMode.WINDOW).video(T, H, W).tiles(tt, th, tw)
                    .window(rt, rh, rw).build();
            q = randn(DType.F32, s, 7);
            k = randn(DType.F32, s, 8);
            v = randn(DType.F32, s, 9);
            out = Tensor.allocate(Device.CPU, DType.F32, s);
            tq = torchView(q).permute(0, 2, 1, 3).contiguous();
            tk = torchView(k).permute(0, 2, 1, 3).contiguous();
            tv = torchView(v).permute(0, 2, 1, 3).contiguous();
            // The same window as a token mask [N, N] (true: attend) for libtorch.
            maskBytes = new org.bytedeco.javacpp.BytePointer((long) N * N);
            org.bytedeco.javacpp.BytePointer m = (org.bytedeco.javacpp.BytePointer) maskBytes;
            long kept = 0;
            int[] tile = new int[N * 3];
            for (int i = 0; i < N; i++) {
                tile[3 * i] = i / (H * W) / tt;
                tile[3 * i + 1] = i / W % H / th;
                tile[3 * i + 2] = i % W / tw;
            }
            byte[] row = new byte[N];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    boolean in = Math.abs(tile[3 * i] - tile[3 * j]) <= rt
                            && Math.abs(tile[3 * i + 1] - tile[3 * j + 1]) <= rh
                            && Math.abs(tile[3 * i + 2] - tile[3 * j + 2]) <= rw;
                    row[j] = (byte) (in ? 1 : 0);
                    kept += in ? 1 : 0;
                }
                m.position((long) i * N).put(row);
            }
            m.position(0);
            maskTensor = torch.from_blob(m, new long[] {N, N}, new TensorOptions(torch.ScalarType.Bool));
            mask = new TensorOptional(maskTensor);
            report("WINDOW " + window + " (tiles 4x8x8) 16x32x32 heads=8 d=64, kept pairs " + kept,
                    4.0 * HEADS * D * kept);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (Tensor t : new Tensor[] {q, k, v, out}) {
                t.close();
            }
            maskBytes.close();
        }
    }

    @Benchmark
    public Tensor windowReelF32(Window s) {
        s.attention.forward(s.q, s.k, s.v, s.out);
        return s.out;
    }

    /** Dense SDPA with a boolean mask computes every pair, about 15 s a call here: fewer iterations. */
    @Benchmark
    @Warmup(iterations = 1, time = 1)
    @Measurement(iterations = 2, time = 1)
    public org.bytedeco.pytorch.Tensor windowTorchMaskedF32(Window s) {
        return torch.scaled_dot_product_attention(s.tq, s.tk, s.tv, s.mask, 0.0, false, new DoubleOptional(), false);
    }

    /** Reel's FULL on the same video: WINDOW's GFLOP/s on its kept tiles should be at least 0.8x this. */
    @State(Scope.Benchmark)
    public static class Video {
        SpacetimeAttention full;
        Tensor q, k, v, out;

        @Setup(Level.Trial)
        public void setUp() {
            Shape s = Shape.of(1, N, HEADS, D);
            full = SpacetimeAttention.builder().mode(AttentionMode.FULL).video(T, H, W).build();
            q = randn(DType.F32, s, 7);
            k = randn(DType.F32, s, 8);
            v = randn(DType.F32, s, 9);
            out = Tensor.allocate(Device.CPU, DType.F32, s);
            report("FULL 16x32x32 heads=8 d=64", 4.0 * HEADS * D * N * (double) N);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (Tensor t : new Tensor[] {q, k, v, out}) {
                t.close();
            }
        }
    }

    @Benchmark
    @Warmup(iterations = 1, time = 1)
    @Measurement(iterations = 2, time = 1)
    public Tensor videoFullReelF32(Video s) {
        s.full.forward(s.q, s.k, s.v, s.out);
        return s.out;
    }

    // ---- the matrix-product ceiling --------------------------------------------

    /** OpenBLAS sgemm n x n x n on all cores, 2 n^3 FLOPs (n = 2048: 17.2 GFLOP, the FLOPs of FULL N = 4096, d = 64, 4 heads). */
    @State(Scope.Benchmark)
    public static class Gemm {
        @Param({"2048"})
        public int n;

        FloatPointer a, b, c;

        @Setup(Level.Trial)
        public void setUp() {
            long count = (long) n * n;
            a = new FloatPointer(count);
            b = new FloatPointer(count);
            c = new FloatPointer(count);
            java.util.Random random = new java.util.Random(10);
            float[] values = new float[(int) count];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            a.put(values);
            b.put(values);
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads());
            report("sgemm " + n + "^3 (OpenBLAS, " + threads() + " threads)",
                    2.0 * n * n * (double) n);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            a.close();
            b.close();
            c.close();
        }
    }

    @Benchmark
    public FloatPointer sgemmOpenBlas(Gemm s) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, s.n, s.n, s.n, 1f,
                s.a, s.n, s.b, s.n, 0f, s.c, s.n);
        return s.c;
    }
}
