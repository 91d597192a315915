package dev.reel.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.Backend;
import dev.reel.CudaDevices;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.ReelException;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SpacetimeAttention on CUDA against the float64 oracle and the CPU backend, on
 * the same inputs: every mode x dtype x head dim on odd shapes, poisoned outputs,
 * and the raw-pointer overload. Skipped, with the reason printed, where no CUDA
 * device is present.
 */
class SpacetimeAttentionCudaTest {
    private static final long SEED = new Random().nextLong();
    private static final Random RANDOM = new Random(SEED);
    private static Reel gpu;
    private static Reel cpu;

    @BeforeAll
    static void open() {
        gpu = Reel.open(CudaDevices.firstOrSkip(SpacetimeAttentionCudaTest.class));
        cpu = Reel.open(Backend.CPU);
        System.out.println("SpacetimeAttentionCudaTest: random seed " + SEED);
    }

    @AfterAll
    static void close() {
        if (gpu != null) {
            gpu.close();
            cpu.close();
        }
    }

    private static float[] randn(int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            do {
                x[i] = (float) RANDOM.nextGaussian();
            } while (x[i] == 0f);
        }
        return x;
    }

    private static float[] nans(int count) {
        float[] x = new float[count];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    private static double tolerance(DType dtype) {
        return dtype == DType.BF16 ? 1e-2 : 2e-3;
    }

    private static SpacetimeAttention attention(AttentionOracle o) {
        SpacetimeAttention.Builder b = SpacetimeAttention.builder().mode(o.mode).video(o.frames, o.height, o.width);
        if (o.mode == AttentionMode.WINDOW) {
            b.tiles(o.tiles[0], o.tiles[1], o.tiles[2]).window(o.window[0], o.window[1], o.window[2]);
        }
        if (o.rope != null) {
            b.rope(o.rope[0], o.rope[1], o.rope[2]).ropeTheta((float) o.ropeTheta)
                    .ropeOffsets((float) o.ropeOffsets[0], (float) o.ropeOffsets[1], (float) o.ropeOffsets[2]);
        }
        if (o.scale != 0) {
            b.scale((float) o.scale);
        }
        return b.build();
    }

    /** Output and LSE of one backend on the given (already rounded) inputs. */
    private static float[][] forward(Reel reel, AttentionOracle o, DType dtype, float[] q, float[] k, float[] v) {
        int n = o.tokens(), m = o.mode == AttentionMode.CROSS ? o.contextLength : n;
        Shape qs = Shape.of(o.batch, n, o.heads, o.headDim), ks = Shape.of(o.batch, m, o.heads, o.headDim);
        try (Tensor tq = reel.tensor(q, dtype, qs); Tensor tk = reel.tensor(k, dtype, ks);
                Tensor tv = reel.tensor(v, dtype, ks); Tensor to = reel.tensor(nans((int) qs.numel()), dtype, qs);
                Tensor tl = reel.tensor(nans(o.batch * o.heads * n), DType.F32, Shape.of(o.batch, o.heads, n))) {
            attention(o).forward(tq, tk, tv, to, tl, o.contextLengths);
            return new float[][] {to.toFloatArray(), tl.toFloatArray()};
        }
    }

    private static float[] rounded(float[] x, DType dtype) {
        try (Tensor t = Tensor.allocate(Device.CPU, DType.F32, Shape.of(x.length))) {
            t.copyFrom(x);
            try (Tensor r = t.to(dtype)) {
                return r.toFloatArray();
            }
        }
    }

    private static void check(String what, float[] out, float[] lse, double[] ref, double[] refLse, double tol) {
        double err = 0, norm = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Float.isFinite(out[i]), what + ": output element " + i + " is " + out[i] + "; seed " + SEED);
            err += (out[i] - ref[i]) * (out[i] - ref[i]);
            norm += ref[i] * ref[i];
        }
        double rel = Math.sqrt(err / Math.max(norm, 1e-300));
        assertTrue(rel <= tol, what + ": |out - ref| / |ref| = " + rel + " > " + tol + "; seed " + SEED);
        for (int i = 0; i < lse.length; i++) {
            if (refLse[i] == Double.NEGATIVE_INFINITY) {
                assertEquals(Float.NEGATIVE_INFINITY, lse[i], what + ": lse " + i);
            } else {
                assertEquals(refLse[i], lse[i], 2 * tol * Math.max(1, Math.abs(refLse[i])), what + ": lse " + i);
            }
        }
    }

    static List<Arguments> everyModeDtypeAndHeadDim() {
        List<Arguments> cases = new ArrayList<>();
        for (AttentionMode mode : AttentionMode.values()) {
            for (DType dtype : List.of(DType.BF16, DType.F16)) {
                for (int d : new int[] {32, 64, 96, 128}) {
                    cases.add(Arguments.of(mode, dtype, d));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} {1} d={2}")
    @MethodSource("everyModeDtypeAndHeadDim")
    void cudaMatchesTheOracleAndTheCpu(AttentionMode mode, DType dtype, int d) {
        AttentionOracle o = new AttentionOracle();
        o.mode = mode;
        o.batch = 2;
        o.frames = 3;
        o.height = 9;
        o.width = 11;
        o.heads = 2;
        o.headDim = d;
        o.contextLength = 77;
        if (mode == AttentionMode.WINDOW) {
            o.tiles = new int[] {2, 4, 4};
            o.window = new int[] {0, 1, 1};
        }
        if (mode == AttentionMode.CROSS) {
            o.contextLengths = new long[] {77, 0};
        } else {
            o.rope = new int[] {d / 4, d / 4 + 2, d / 4 - 2};
            o.ropeOffsets = new double[] {0.5, -1, 2};
        }
        o.scale = 0.8 / Math.sqrt(d);
        int n = o.tokens(), m = mode == AttentionMode.CROSS ? o.contextLength : n, hd = o.heads * d;
        float[] q = rounded(randn(o.batch * n * hd), dtype);
        float[] k = rounded(randn(o.batch * m * hd), dtype);
        float[] v = rounded(randn(o.batch * m * hd), dtype);
        String what = "CUDA " + mode + " " + dtype + " d=" + d;
        float[][] got = forward(gpu, o, dtype, q, k, v);
        double[] ref = o.run(q, k, v);
        check(what + " vs oracle", got[0], got[1], ref, o.lse, tolerance(dtype));
        if (dtype == DType.BF16) {
            float[][] host = forward(cpu, o, dtype, q, k, v);
            double[] cpuOut = new double[host[0].length], cpuLse = new double[host[1].length];
            for (int i = 0; i < cpuOut.length; i++) {
                cpuOut[i] = host[0][i];
            }
            for (int i = 0; i < cpuLse.length; i++) {
                cpuLse[i] = host[1][i];
            }
            check(what + " vs CPU backend", got[0], got[1], cpuOut, cpuLse, 2 * tolerance(dtype));
        }
    }

    @Test
    void rawDevicePointersOnTheDefaultStream() {
        AttentionOracle o = new AttentionOracle();
        o.mode = AttentionMode.SPATIAL;
        o.batch = 1;
        o.frames = 2;
        o.height = 7;
        o.width = 10;
        o.heads = 3;
        o.headDim = 64;
        int n = o.tokens(), hd = o.heads * o.headDim;
        float[] q = rounded(randn(n * hd), DType.BF16), k = rounded(randn(n * hd), DType.BF16);
        float[] v = rounded(randn(n * hd), DType.BF16);
        Shape s = Shape.of(1, n, o.heads, o.headDim);
        try (Tensor tq = gpu.tensor(q, DType.BF16, s); Tensor tk = gpu.tensor(k, DType.BF16, s);
                Tensor tv = gpu.tensor(v, DType.BF16, s); Tensor to = gpu.tensor(nans(n * hd), DType.BF16, s)) {
            attention(o).forward(gpu.device(), DType.BF16, 1, o.heads, o.headDim,
                    AttentionOperand.contiguous(tq.address(), n, o.heads, o.headDim),
                    AttentionOperand.contiguous(tk.address(), n, o.heads, o.headDim),
                    AttentionOperand.contiguous(tv.address(), n, o.heads, o.headDim),
                    AttentionOperand.contiguous(to.address(), n, o.heads, o.headDim), 0, 0, 0, 0);
            float[] out = to.toFloatArray();  // a copy on the default stream: ordered after the kernel
            double[] ref = o.run(q, k, v);
            check("CUDA raw pointers", out, new float[0], ref, new double[0], tolerance(DType.BF16));
        }
    }

    @Test
    void fp32OnCudaIsAClearError() {
        Shape s = Shape.of(1, 4, 1, 64);
        try (Tensor t = gpu.tensor(randn(256), DType.F32, s); Tensor o = gpu.tensor(randn(256), DType.F32, s)) {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> SpacetimeAttention.builder().video(1, 1, 4).build().forward(t, t, t, o));
            assertTrue(e instanceof IllegalArgumentException || e instanceof ReelException, e.toString());
            assertTrue(e.getMessage().contains("bf16") || e.getMessage().contains("BF16"), e.getMessage());
        }
    }
}
