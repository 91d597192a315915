package dev.reel.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.Backend;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.ReelException;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Layers} against float64 oracles on fresh random inputs, with
 * tolerances in units of fp32 rounding (u = 2^-24), and its argument checks.
 */
@SuppressWarnings("try") // Scope resources free what the block allocates without being named in it
class LayersTest {
    private static final double U = 0x1p-24;
    private static final long SEED = new Random().nextLong();
    private static final Random RANDOM = new Random(SEED);
    private static final Device CPU = Device.CPU;
    private static Reel reel;

    @BeforeAll
    static void open() {
        reel = Reel.open(Backend.CPU);
        System.out.println("LayersTest: random seed " + SEED);
    }

    @AfterAll
    static void close() {
        reel.close();
    }

    private static float[] randn(int n, double sd, double mean) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (mean + sd * RANDOM.nextGaussian());
        }
        return x;
    }

    private static Tensor tensor(float[] values) {
        Tensor t = Tensor.allocate(CPU, DType.F32, Shape.of(values.length));
        t.copyFrom(values);
        return t;
    }

    private static Tensor filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return tensor(v);
    }

    private static long addr(Tensor t) {
        return t == null ? 0 : t.address();
    }

    /** Every element with a finite reference within its bound (NaN references are not outputs). */
    private static void assertClose(String what, float[] got, double[] ref, double[] bound) {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            if (Double.isNaN(ref[i])) {
                continue;
            }
            double e = Math.abs(got[i] - ref[i]) / bound[i];
            if (!(e <= worst)) {
                worst = e;
                at = i;
            }
        }
        if (!(worst <= 1.0)) {
            throw new AssertionError(what + ": element " + at + " is " + got[at] + ", expected " + ref[at] + " within "
                    + bound[at] + " (seed " + SEED + ")");
        }
    }

    @Test
    void comparisonCatchesAFewUlpOff() {
        float[] got = {1f, 2f};
        double[] bound = {2 * U, 4 * U};
        assertClose("exact", got, new double[] {1, 2}, bound);
        assertThrows(AssertionError.class, () -> assertClose("perturbed", got, new double[] {1, 2 + 12 * U}, bound));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 5, 12, 15})
    void layerNormWithAffineAndModulationMatchesOracle(int optional) {
        boolean useW = (optional & 1) != 0, useB = (optional & 2) != 0, useShift = (optional & 4) != 0,
                useScale = (optional & 8) != 0;
        int batch = 2, tokens = 7, dim = 45, rows = batch * tokens, xStride = dim + 3, outStride = dim + 1, mod = 6 * dim;
        float[] x = randn(rows * xStride, 1.7, 0.4), w = randn(dim, 0.5, 1), b = randn(dim, 0.5, 0),
                ada = randn(batch * mod, 0.5, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), wt = tensor(w), bt = tensor(b), at = tensor(ada);
            Tensor ot = filled(rows * outStride, Float.NaN);
            long shift = useShift ? at.address() : 0, scale = useScale ? at.address() + 4L * dim : 0;
            Layers.layerNorm(CPU, 0, rows, dim, xt.address(), xStride, ot.address(), outStride, useW ? wt.address() : 0,
                    useB ? bt.address() : 0, shift, scale, tokens, mod, 1e-6f);
            double[] ref = new double[rows * outStride], bound = new double[ref.length];
            java.util.Arrays.fill(ref, Double.NaN);
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int c = 0; c < dim; c++) {
                    mean += x[r * xStride + c];
                }
                mean /= dim;
                for (int c = 0; c < dim; c++) {
                    var += (x[r * xStride + c] - mean) * (x[r * xStride + c] - mean);
                }
                var /= dim;
                int g = r / tokens;
                for (int c = 0; c < dim; c++) {
                    double yn = (x[r * xStride + c] - mean) / Math.sqrt(var + 1e-6);
                    double wc = useW ? w[c] : 1, bc = useB ? b[c] : 0;
                    double sh = useShift ? ada[g * mod + c] : 0, sc = useScale ? ada[g * mod + dim + c] : 0;
                    ref[r * outStride + c] = (yn * wc + bc) * (1 + sc) + sh;
                    bound[r * outStride + c] = 8 * U * (Math.abs(yn * wc * (1 + sc)) + Math.abs(bc * (1 + sc)) + Math.abs(sh))
                            + 1e-30;
                }
            }
            float[] got = ot.toFloatArray();
            assertClose("layerNorm", got, ref, bound);
            assertTrue(Float.isNaN(got[dim]), "the padding after a row is not written");
        }
    }

    @Test
    void layerNormRunsInPlace() {
        int rows = 5, dim = 64;
        float[] x = randn(rows * dim, 1, 3);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), ref = filled(rows * dim, 0f);
            Layers.layerNorm(CPU, 0, rows, dim, xt.address(), dim, ref.address(), dim, 0, 0, 0, 0, 1, dim, 1e-6f);
            Layers.layerNorm(CPU, 0, rows, dim, xt.address(), dim, xt.address(), dim, 0, 0, 0, 0, 1, dim, 1e-6f);
            assertArrayEquals(ref.toFloatArray(), xt.toFloatArray());
        }
    }

    @Test
    void rmsNormNormalisesEachHeadOfKInPackedQkv() {
        int rows = 9, heads = 3, d = 32, stride = 3 * heads * d, third = heads * d;
        float[] qkv = randn(rows * stride, 2, 0), w = randn(d, 0.3, 1);
        try (Scope scope = Scope.open()) {
            Tensor qt = tensor(qkv), wt = tensor(w);
            long k = qt.address() + 4L * third;
            Layers.rmsNorm(CPU, 0, rows, heads, d, k, stride, k, stride, wt.address(), 1e-6f);
            float[] got = qt.toFloatArray();
            double[] ref = new double[qkv.length], bound = new double[qkv.length];
            for (int i = 0; i < qkv.length; i++) {
                ref[i] = qkv[i];  // q and v are untouched: exactly
                bound[i] = 1e-300;
            }
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    int base = r * stride + third + h * d;
                    double ms = 0;
                    for (int c = 0; c < d; c++) {
                        ms += (double) qkv[base + c] * qkv[base + c];
                    }
                    double rstd = 1 / Math.sqrt(ms / d + 1e-6);
                    for (int c = 0; c < d; c++) {
                        ref[base + c] = qkv[base + c] * rstd * w[c];
                        bound[base + c] = 4 * U * Math.abs(ref[base + c]) + 1e-30;
                    }
                }
            }
            assertClose("rmsNorm", got, ref, bound);
        }
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void biasActMatchesOracleWithAPerTokenTable(Activation act) {
        int batch = 3, tokens = 11, dim = 70, rows = batch * tokens, xStride = dim + 2;
        float[] x = randn(rows * xStride, 3, 0), table = randn(tokens * dim, 0.5, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), bt = tensor(table), ot = filled(rows * dim, Float.NaN);
            Layers.biasAct(CPU, 0, rows, dim, xt.address(), xStride, ot.address(), dim, bt.address(), tokens, act);
            double[] ref = new double[rows * dim], bound = new double[ref.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < dim; c++) {
                    float v = x[r * xStride + c] + table[(r % tokens) * dim + c];  // fp32, as the kernel adds
                    double y = v, cond = 0;
                    if (act == Activation.SILU) {
                        y = v * sigmoid(v);
                    } else if (act == Activation.GELU_TANH) {
                        double z = 2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v);
                        y = v * sigmoid(z);
                        cond = Math.abs(z) * sigmoid(-z);  // how the fp32 rounding of z shows in y
                    }
                    ref[r * dim + c] = y;
                    // a few ulp (1 ulp <= 2u|y|); NONE is the exact fp32 sum
                    bound[r * dim + c] = act == Activation.NONE ? 1e-300 : (4 + 4 * cond) * 2 * U * Math.abs(y) + 0x1p-126;
                }
            }
            assertClose("biasAct " + act, ot.toFloatArray(), ref, bound);
        }
    }

    @Test
    void geluOfZeroIsZeroAndSiluIsOddAroundHalf() {
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(new float[] {0f, 1f, -1f, 30f});
            Tensor ot = filled(4, Float.NaN);
            Layers.biasAct(CPU, 0, 1, 4, xt.address(), 4, ot.address(), 4, 0, 1, Activation.SILU);
            float[] s = ot.toFloatArray();
            assertEquals(0f, s[0]);
            assertEquals(1.0, s[1] - s[2], 2e-7);  // silu(x) - silu(-x) = x
            assertEquals(30f, s[3], 1e-5f);
            Layers.biasAct(CPU, 0, 1, 4, xt.address(), 4, ot.address(), 4, 0, 1, Activation.GELU_TANH);
            assertEquals(0f, ot.toFloatArray()[0]);
        }
    }

    @Test
    void residualAddsTheGatedProjectionPerSample() {
        int batch = 2, tokens = 6, dim = 40, rows = batch * tokens, gateStride = 6 * dim;
        float[] x = randn(rows * dim, 1, 0), y = randn(rows * (dim + 4), 2, 0), b = randn(dim, 1, 0),
                ada = randn(batch * gateStride, 1, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), yt = tensor(y), bt = tensor(b), at = tensor(ada);
            long gate = at.address() + 4L * 2 * dim;  // gate_a: the third slice
            Layers.residual(CPU, 0, rows, dim, xt.address(), dim, yt.address(), dim + 4, bt.address(), gate, tokens,
                    gateStride);
            double[] ref = new double[x.length], bound = new double[x.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < dim; c++) {
                    double t = y[r * (dim + 4) + c] + (double) b[c], g = ada[(r / tokens) * gateStride + 2 * dim + c];
                    ref[r * dim + c] = x[r * dim + c] + g * t;
                    bound[r * dim + c] = 2 * U * (Math.abs(ref[r * dim + c]) + Math.abs(g * t)) + 1e-30;
                }
            }
            assertClose("residual", xt.toFloatArray(), ref, bound);
        }
    }

    @Test
    void patchifyFollowsTheArchitectureAndUnpatchifyInvertsIt() {
        int B = 2, C = 3, T = 4, H = 6, W = 8, pt = 2, ph = 3, pw = 4;
        int count = B * C * T * H * W;
        float[] video = randn(count, 1, 0);
        try (Scope scope = Scope.open()) {
            Tensor vt = tensor(video), tokens = filled(count, Float.NaN), back = filled(count, Float.NaN);
            Layers.patchify(CPU, 0, B, C, T, H, W, pt, ph, pw, vt.address(), tokens.address());
            float[] tok = tokens.toFloatArray();
            int tg = T / pt, hg = H / ph, wg = W / pw, n = tg * hg * wg, per = C * pt * ph * pw;
            for (int b = 0; b < B; b++) {
                for (int token = 0; token < n; token++) {
                    int t = token / (hg * wg), h = token / wg % hg, w = token % wg;
                    for (int e = 0; e < per; e++) {
                        int c = e / (pt * ph * pw), dt = e / (ph * pw) % pt, dh = e / pw % ph, dw = e % pw;
                        int v = (((b * C + c) * T + t * pt + dt) * H + h * ph + dh) * W + w * pw + dw;
                        assertEquals(video[v], tok[(b * n + token) * per + e]);
                    }
                }
            }
            Layers.unpatchify(CPU, 0, B, C, T, H, W, pt, ph, pw, tokens.address(), back.address());
            assertArrayEquals(video, back.toFloatArray());
        }
    }

    @Test
    void timestepEmbeddingIsCosinesThenSines() {
        int batch = 4, dim = 128, half = dim / 2;
        float[] t = {0f, 0.25f, 0.9f, 1f};
        try (Scope scope = Scope.open()) {
            Tensor tt = tensor(t), ot = filled(batch * dim, Float.NaN);
            Layers.timestepEmbedding(CPU, 0, batch, dim, 1000.0, tt.address(), ot.address());
            double[] ref = new double[batch * dim], bound = new double[ref.length];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < half; j++) {
                    double arg = 1000.0 * t[b] * Math.exp(-Math.log(10000.0) * j / half);
                    ref[b * dim + j] = Math.cos(arg);
                    ref[b * dim + half + j] = Math.sin(arg);
                    // float32 arguments, as PyTorch's: off by ~11 units of their size
                    bound[b * dim + j] = bound[b * dim + half + j] = 16 * U * (Math.abs(arg) + 1);
                }
            }
            float[] got = ot.toFloatArray();
            assertClose("timestepEmbedding", got, ref, bound);
            assertEquals(1f, got[0]);        // t = 0: cos 0
            assertEquals(0f, got[half]);     // sin 0
        }
    }

    @Test
    void embeddingScalesTheTokenRowAndAddsItsPosition() {
        int batch = 2, len = 8, dim = 48, vocab = 20, rows = batch * len;
        float[] table = randn(vocab * dim, 1, 0), pos = randn(len * dim, 1, 0);
        long[] ids = new long[rows];
        for (int r = 0; r < rows; r++) {
            ids[r] = RANDOM.nextInt(vocab);
        }
        float scale = (float) Math.sqrt(dim);
        try (Scope scope = Scope.open(); LongPointer idp = new LongPointer(ids)) {
            Tensor tt = tensor(table), pt = tensor(pos), ot = filled(rows * dim, Float.NaN);
            Layers.embedding(CPU, 0, rows, dim, idp.address(), tt.address(), vocab, pt.address(), len, scale, ot.address());
            double[] ref = new double[rows * dim], bound = new double[ref.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < dim; c++) {
                    ref[r * dim + c] = (double) table[(int) ids[r] * dim + c] * scale + pos[(r % len) * dim + c];
                    bound[r * dim + c] = 2 * U * Math.abs(ref[r * dim + c]) + 1e-30;  // one rounding
                }
            }
            assertClose("embedding", ot.toFloatArray(), ref, bound);
            idp.put(5, vocab);
            ReelException e = assertThrows(ReelException.class, () -> Layers.embedding(CPU, 0, rows, dim, idp.address(),
                    tt.address(), vocab, pt.address(), len, scale, ot.address()));
            assertEquals(ReelException.Status.INVALID_ARGUMENT, e.status());
            assertTrue(e.getMessage().contains("ids[5] = 20"), e.getMessage());
        }
    }

    @Test
    void maskedMeanAveragesTheValidRowsOfEachSample() {
        int batch = 3, len = 10, dim = 33;
        float[] x = randn(batch * len * dim, 1, 0.5);
        long[] lengths = {10, 1, 4};
        try (Scope scope = Scope.open(); LongPointer lp = new LongPointer(lengths)) {
            Tensor xt = tensor(x), ot = filled(batch * dim, Float.NaN);
            Layers.maskedMean(CPU, 0, batch, len, dim, xt.address(), lp.address(), ot.address());
            double[] ref = new double[batch * dim], bound = new double[ref.length];
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < dim; c++) {
                    double s = 0;
                    for (int l = 0; l < lengths[b]; l++) {
                        s += x[(b * len + l) * dim + c];
                    }
                    ref[b * dim + c] = s / lengths[b];
                    bound[b * dim + c] = 2 * U * Math.abs(ref[b * dim + c]) + 1e-30;
                }
            }
            assertClose("maskedMean", ot.toFloatArray(), ref, bound);
            lp.put(1, 0);
            ReelException e = assertThrows(ReelException.class,
                    () -> Layers.maskedMean(CPU, 0, batch, len, dim, xt.address(), lp.address(), ot.address()));
            assertTrue(e.getMessage().contains("lengths[1] = 0"), e.getMessage());
        }
    }

    @Test
    void aCallAllocatesNoJavaObjects() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rows = 16, dim = 64;
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(randn(rows * dim, 1, 0)), ot = filled(rows * dim, 0f), at = tensor(randn(6 * dim, 1, 0));
            long x = xt.address(), o = ot.address(), a = at.address();
            for (int i = 0; i < 20_000; i++) {  // warm up: the JIT and the per-thread structs
                Layers.layerNorm(CPU, 0, rows, dim, x, dim, o, dim, 0, 0, a, a + 4 * dim, rows, 6 * dim, 1e-6f);
                Layers.biasAct(CPU, 0, rows, dim, o, dim, o, dim, a, 1, Activation.GELU_TANH);
            }
            long id = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 10_000; i++) {
                Layers.layerNorm(CPU, 0, rows, dim, x, dim, o, dim, 0, 0, a, a + 4 * dim, rows, 6 * dim, 1e-6f);
                Layers.biasAct(CPU, 0, rows, dim, o, dim, o, dim, a, 1, Activation.GELU_TANH);
            }
            long perCall = (threads.getThreadAllocatedBytes(id) - before) / 20_000;
            assertTrue(perCall < 8, "a call allocates " + perCall + " bytes");
        }
    }

    @Test
    void mistakesAreIllegalArgumentsNamingTheArgument() {
        try (Scope scope = Scope.open()) {
            Tensor xt = filled(4096, 1f);
            long x = xt.address(), out = x + 4 * 1024;
            expect("device", () -> Layers.layerNorm(null, 0, 4, 16, x, 16, out, 16, 0, 0, 0, 0, 1, 16, 1e-6f));
            expect("rows", () -> Layers.layerNorm(CPU, 0, -1, 16, x, 16, out, 16, 0, 0, 0, 0, 1, 16, 1e-6f));
            expect("dim", () -> Layers.layerNorm(CPU, 0, 4, 0, x, 16, out, 16, 0, 0, 0, 0, 1, 16, 1e-6f));
            expect("xStride", () -> Layers.layerNorm(CPU, 0, 4, 16, x, 8, out, 16, 0, 0, 0, 0, 1, 16, 1e-6f));
            expect("x address", () -> Layers.layerNorm(CPU, 0, 4, 16, 0, 16, out, 16, 0, 0, 0, 0, 1, 16, 1e-6f));
            expect("eps", () -> Layers.layerNorm(CPU, 0, 4, 16, x, 16, out, 16, 0, 0, 0, 0, 1, 16, Float.NaN));
            expect("rowsPerGroup", () -> Layers.layerNorm(CPU, 0, 4, 16, x, 16, out, 16, 0, 0, x, 0, 3, 96, 1e-6f));
            expect("modStride", () -> Layers.layerNorm(CPU, 0, 4, 16, x, 16, out, 16, 0, 0, x, 0, 2, 8, 1e-6f));
            expect("out and x overlap partially",
                    () -> Layers.layerNorm(CPU, 0, 4, 16, x, 16, x + 8, 16, 0, 0, 0, 0, 1, 16, 1e-6f));
            expect("out and weight overlap",
                    () -> Layers.layerNorm(CPU, 0, 4, 16, x, 16, out, 16, out + 4, 0, 0, 0, 1, 16, 1e-6f));
            // Interleaved column slices of one buffer do not overlap.
            Layers.layerNorm(CPU, 0, 4, 16, x, 32, x + 4 * 16, 32, 0, 0, 0, 0, 1, 16, 1e-6f);
            expect("heads", () -> Layers.rmsNorm(CPU, 0, 4, 0, 8, x, 16, x, 16, 0, 1e-6f));
            expect("outStride", () -> Layers.rmsNorm(CPU, 0, 4, 2, 8, x, 16, out, 15, 0, 1e-6f));
            expect("act", () -> Layers.biasAct(CPU, 0, 4, 16, x, 16, out, 16, 0, 1, null));
            expect("biasRows", () -> Layers.biasAct(CPU, 0, 4, 16, x, 16, out, 16, out + 4 * 512, 3, Activation.SILU));
            expect("x and y overlap partially", () -> Layers.residual(CPU, 0, 4, 16, x, 16, x + 4, 16, 0, 0, 1, 16));
            expect("x and gate overlap", () -> Layers.residual(CPU, 0, 4, 16, x, 16, out, 16, 0, x + 4, 4, 16));
            expect("patchW 3 does not divide width 8",
                    () -> Layers.patchify(CPU, 0, 1, 1, 2, 4, 8, 1, 2, 3, x, out));
            expect("tokens and video overlap", () -> Layers.patchify(CPU, 0, 1, 1, 2, 4, 8, 1, 2, 2, x, x + 4));
            expect("dim must be even", () -> Layers.timestepEmbedding(CPU, 0, 2, 7, 1000, x, out));
            expect("scale", () -> Layers.timestepEmbedding(CPU, 0, 2, 8, 1e300, x, out));
            expect("out and t overlap", () -> Layers.timestepEmbedding(CPU, 0, 2, 8, 1000, out + 8, out));
            expect("positions", () -> Layers.embedding(CPU, 0, 6, 8, x, out, 10, x + 4 * 512, 4, 1f, x + 4 * 2048));
            expect("ids address", () -> Layers.embedding(CPU, 0, 6, 8, 0, out, 10, 0, 1, 1f, x + 4 * 2048));
            expect("lengths address", () -> Layers.maskedMean(CPU, 0, 2, 4, 8, x, 0, out));
            expect("out and x overlap", () -> Layers.maskedMean(CPU, 0, 2, 4, 8, x, out, x + 4 * 8));
        }
    }

    private static void expect(String needle, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(needle), "'" + e.getMessage() + "' does not name " + needle);
    }
}
