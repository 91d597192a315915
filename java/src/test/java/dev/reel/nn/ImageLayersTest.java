package dev.reel.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.Backend;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ImageLayers} and {@link Conv2d} against float64 oracles on fresh random inputs,
 * with tolerances in units of fp32 rounding (u = 2^-24), in both image layouts
 * ({@code [N, C, H, W]} and the channel-major {@code [C, N, H, W]} of a video), and their
 * argument checks.
 */
@SuppressWarnings("try") // Scope resources free what the block allocates without being named in it
class ImageLayersTest {
    private static final double U = 0x1p-24;
    private static final long SEED = new Random().nextLong();
    private static final Random RANDOM = new Random(SEED);
    private static final Device CPU = Device.CPU;
    private static Reel reel;

    @BeforeAll
    static void open() {
        reel = Reel.open(Backend.CPU);
        System.out.println("ImageLayersTest: random seed " + SEED);
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
        Arrays.fill(v, value);
        return tensor(v);
    }

    /** Every element with a non-NaN reference within its bound. */
    private static void assertClose(String what, float[] got, double[] ref, double[] bound) {
        for (int i = 0; i < got.length; i++) {
            if (Double.isNaN(ref[i])) {
                continue;
            }
            double e = Math.abs(got[i] - ref[i]);
            if (!(e <= bound[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + ref[i] + " within "
                        + bound[i] + " (seed " + SEED + ")");
            }
        }
    }

    private static double silu(double v) {
        return v / (1 + Math.exp(-v));
    }

    @ParameterizedTest
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void groupNormWithSiluMatchesOracleInBothLayouts(boolean channelMajor, boolean silu) {
        int n = 3, c = 12, groups = 4, s = 50, per = c / groups;
        int cs = channelMajor ? n * s : s, bs = channelMajor ? s : c * s;
        float[] x = randn(n * c * s, 1.4, 0.7), w = randn(c, 0.4, 1), b = randn(c, 0.3, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), wt = tensor(w), bt = tensor(b), ot = filled(n * c * s, Float.NaN);
            ImageLayers.groupNorm(CPU, 0, n, c, groups, s, xt.address(), bs, cs, ot.address(), bs, cs, wt.address(),
                    bt.address(), 1e-6f, silu ? Activation.SILU : Activation.NONE);
            double[] ref = new double[x.length], bound = new double[x.length];
            for (int i = 0; i < n; i++) {
                for (int g = 0; g < groups; g++) {
                    double mean = 0, var = 0;
                    for (int ch = g * per; ch < (g + 1) * per; ch++) {
                        for (int k = 0; k < s; k++) {
                            mean += x[i * bs + ch * cs + k];
                        }
                    }
                    mean /= per * s;
                    for (int ch = g * per; ch < (g + 1) * per; ch++) {
                        for (int k = 0; k < s; k++) {
                            var += (x[i * bs + ch * cs + k] - mean) * (x[i * bs + ch * cs + k] - mean);
                        }
                    }
                    var /= per * s;
                    for (int ch = g * per; ch < (g + 1) * per; ch++) {
                        for (int k = 0; k < s; k++) {
                            int at = i * bs + ch * cs + k;
                            double yn = (x[at] - mean) / Math.sqrt(var + 1e-6), y = yn * w[ch] + b[ch];
                            double e = 8 * U * (Math.abs(yn * w[ch]) + Math.abs(b[ch]));
                            ref[at] = silu ? silu(y) : y;
                            bound[at] = (silu ? 1.1 * e + 8 * U * Math.abs(ref[at]) + 0x1p-126 : e) + 1e-30;
                        }
                    }
                }
            }
            assertClose("groupNorm", ot.toFloatArray(), ref, bound);
        }
    }

    @Test
    void groupNormRunsInPlace() {
        int n = 2, c = 8, s = 33;
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(randn(n * c * s, 1, 2)), ref = filled(n * c * s, 0f);
            ImageLayers.groupNorm(CPU, 0, n, c, 2, s, xt.address(), c * s, s, ref.address(), c * s, s, 0, 0, 1e-6f,
                    Activation.SILU);
            ImageLayers.groupNorm(CPU, 0, n, c, 2, s, xt.address(), c * s, s, xt.address(), c * s, s, 0, 0, 1e-6f,
                    Activation.SILU);
            assertArrayEquals(ref.toFloatArray(), xt.toFloatArray());
        }
    }

    @Test
    void im2colHoldsTheFormulasInputsAndZeroPadding() {
        int c = 3, f = 2, h = 7, w = 9;
        float[] x = randn(c * f * h * w, 1, 0);
        int ho = h, wo = w, taps = c * 9, r0 = 3, r1 = 11, cols = (r1 - r0) * wo, stride = cols + 2;
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), pt = filled(taps * stride, Float.NaN);
            // channel-major: channel stride f*h*w, frame stride h*w
            ImageLayers.im2col(CPU, 0, c, f, h, w, 3, 1, xt.address(), f * h * w, h * w, r0, r1, pt.address(), stride);
            float[] p = pt.toFloatArray();
            for (int tap = 0; tap < taps; tap++) {
                int ch = tap / 9, u = tap / 3 % 3, v = tap % 3;
                for (int col = 0; col < cols; col++) {
                    int r = r0 + col / wo, j = col % wo, fr = r / ho, i = r % ho, y = i + u - 1, xx = j + v - 1;
                    float want = y < 0 || y >= h || xx < 0 || xx >= w ? 0f : x[(ch * f + fr) * h * w + y * w + xx];
                    assertEquals(want, p[tap * stride + col], "tap " + tap + " column " + col);
                }
                assertTrue(Float.isNaN(p[tap * stride + cols]), "the gap after a patch row is not written");
            }
        }
    }

    /** The convolution of autoencoder.md in double, channel-major output [O, F, Ho, Wo]. */
    private static double[] conv(float[] x, int c, int f, int h, int w, boolean channelMajor, float[] wt, float[] b,
                                 int o, int k, int s) {
        int ho = (h - 1) / s + 1, wo = (w - 1) / s + 1, pad = (k - 1) / 2;
        double[] y = new double[o * f * ho * wo];
        for (int oc = 0; oc < o; oc++) {
            for (int fr = 0; fr < f; fr++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double acc = b == null ? 0 : b[oc];
                        for (int ch = 0; ch < c; ch++) {
                            int base = channelMajor ? (ch * f + fr) * h * w : (fr * c + ch) * h * w;
                            for (int u = 0; u < k; u++) {
                                for (int v = 0; v < k; v++) {
                                    int yy = s * i + u - pad, xx = s * j + v - pad;
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                        acc += (double) wt[((oc * c + ch) * k + u) * k + v] * x[base + yy * w + xx];
                                    }
                                }
                            }
                        }
                        y[((oc * f + fr) * ho + i) * wo + j] = acc;
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest
    @CsvSource({
        "5, 7, 3, 1, true, 100000",    // one band
        "5, 7, 3, 1, false, 700",      // [N, C, H, W] input, many bands
        "4, 6, 3, 2, true, 100000",    // stride 2
        "3, 8, 3, 2, false, 300",      // stride 2, bands
        "6, 4, 1, 1, true, 100",       // 1x1 on contiguous images: the input is the patch matrix
        "6, 4, 1, 1, false, 100",      // 1x1 on [N, C, H, W]: im2col
        "6, 4, 1, 2, true, 100"})      // 1x1 at stride 2
    void convolutionMatchesTheFormula(int c, int o, int k, int s, boolean channelMajor, int patchElements) {
        int f = 3, h = 10, w = 13, ho = (h - 1) / s + 1, wo = (w - 1) / s + 1, outN = o * f * ho * wo;
        float[] x = randn(c * f * h * w, 1, 0), wt = randn(o * c * k * k, 1 / Math.sqrt(c * k * k), 0),
                b = randn(o, 0.5, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), wtt = tensor(wt), bt = tensor(b), yt = filled(outN, Float.NaN),
                    pt = filled(patchElements, Float.NaN);
            Conv2d conv = new Conv2d("conv", c, o, k, s, wtt.address(), bt.address());
            long cs = channelMajor ? (long) f * h * w : (long) h * w, fs = channelMajor ? (long) h * w : (long) c * h * w;
            conv.forward(new Gemm(), CPU, f, h, w, xt.address(), cs, fs, yt.address(), (long) f * ho * wo, false,
                    pt.address(), patchElements);
            double[] ref = conv(x, c, f, h, w, channelMajor, wt, b, o, k, s);
            double[] bound = new double[ref.length];
            float[] got = yt.toFloatArray();
            // fp32 sums of c·k² products of O(1): a few units of roundoff times sqrt(terms), and the
            // magnitude of the terms (not of the result, which may cancel)
            for (int i = 0; i < ref.length; i++) {
                bound[i] = 4 * U * (c * k * k + 1) * (Math.abs(ref[i]) + 1);
            }
            assertClose("conv", got, ref, bound);

            // accumulating onto y: y + conv(x)
            conv.forward(new Gemm(), CPU, f, h, w, xt.address(), cs, fs, yt.address(), (long) f * ho * wo, true,
                    pt.address(), patchElements);
            float[] twice = yt.toFloatArray();
            double[] ref2 = new double[ref.length];
            for (int i = 0; i < ref.length; i++) {
                ref2[i] = got[i] + ref[i];
                bound[i] = 2 * bound[i];
            }
            assertClose("conv accumulate", twice, ref2, bound);
        }
    }

    @Test
    void convolutionWithoutBiasOverwritesItsOutput() {
        int c = 4, o = 3, f = 1, h = 8, w = 8;
        float[] x = randn(c * h * w, 1, 0), wt = randn(o * c * 9, 0.2, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), wtt = tensor(wt), yt = filled(o * h * w, Float.NaN), pt = filled(c * 9 * h * w, 0f);
            new Conv2d("conv", c, o, 3, 1, wtt.address(), 0).forward(new Gemm(), CPU, f, h, w, xt.address(), h * w,
                    h * w, yt.address(), h * w, false, pt.address(), c * 9 * h * w);
            double[] ref = conv(x, c, f, h, w, true, wt, null, o, 3, 1), bound = new double[ref.length];
            Arrays.fill(bound, 1e-5);
            assertClose("conv without bias", yt.toFloatArray(), ref, bound);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void channelAffineScalesAndShiftsEachChannel(boolean inPlace) {
        int c = 4, count = 301, xs = count + 3, os = inPlace ? xs : count;
        float[] x = randn(c * xs, 2, 0), sc = randn(c, 1, 0), sh = randn(c, 1, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), st = tensor(sc), ht = tensor(sh), ot = inPlace ? xt : filled(c * os, Float.NaN);
            ImageLayers.channelAffine(CPU, 0, c, count, xt.address(), xs, st.address(), ht.address(), ot.address(), os);
            double[] ref = new double[inPlace ? x.length : c * os], bound = new double[ref.length];
            Arrays.fill(ref, Double.NaN);
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < count; k++) {
                    ref[ch * os + k] = (double) x[ch * xs + k] * sc[ch] + sh[ch];
                    bound[ch * os + k] = 2 * U * Math.abs(ref[ch * os + k]) + 1e-300;  // one rounding
                }
            }
            assertClose("channelAffine", ot.toFloatArray(), ref, bound);
            // without x: the shift alone (a convolution's bias)
            Tensor bias = filled(c * count, Float.NaN);
            ImageLayers.channelAffine(CPU, 0, c, count, 0, 0, st.address(), ht.address(), bias.address(), count);
            float[] got = bias.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(sh[i / count], got[i]);
            }
        }
    }

    @Test
    void upsamplingRepeatsEachPixelTwiceInBothDirections() {
        int planes = 3, h = 5, w = 19;
        float[] x = randn(planes * h * w, 1, 0);
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(x), ot = filled(4 * planes * h * w, Float.NaN);
            ImageLayers.upsampleNearest2x(CPU, 0, planes, h, w, xt.address(), ot.address());
            float[] got = ot.toFloatArray();
            for (int p = 0; p < planes; p++) {
                for (int i = 0; i < 2 * h; i++) {
                    for (int j = 0; j < 2 * w; j++) {
                        assertEquals(x[(p * h + i / 2) * w + j / 2], got[(p * 2 * h + i) * 2 * w + j]);
                    }
                }
            }
        }
    }

    @Test
    void aCallAllocatesNoJavaObjects() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int c = 8, s = 64;
        try (Scope scope = Scope.open()) {
            Tensor xt = tensor(randn(c * s, 1, 0)), ot = filled(4 * c * s, 0f), pt = filled(c * 9 * s, 0f);
            long x = xt.address(), o = ot.address(), p = pt.address();
            Runnable calls = () -> {
                ImageLayers.groupNorm(CPU, 0, 1, c, 4, s, x, c * s, s, o, c * s, s, 0, 0, 1e-6f, Activation.SILU);
                ImageLayers.channelAffine(CPU, 0, c, s, x, s, 0, 0, o, s);
                ImageLayers.im2col(CPU, 0, c, 1, 8, 8, 3, 1, x, s, s, 0, 8, p, s);
                ImageLayers.upsampleNearest2x(CPU, 0, c, 8, 8, x, o);
            };
            for (int i = 0; i < 20_000; i++) {  // warm up: the JIT and the per-thread structs
                calls.run();
            }
            long id = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 10_000; i++) {
                calls.run();
            }
            long perCall = (threads.getThreadAllocatedBytes(id) - before) / 40_000;
            assertTrue(perCall < 8, "a call allocates " + perCall + " bytes");
        }
    }

    @Test
    void mistakesAreIllegalArgumentsNamingTheArgument() {
        try (Scope scope = Scope.open()) {
            Tensor xt = filled(8192, 1f);
            long x = xt.address(), out = x + 4 * 2048;
            expect("act", () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 4, 16, x, 128, 16, out, 128, 16, 0, 0, 1e-6f, null));
            expect("groups 3 does not divide channels 8",
                    () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 3, 16, x, 128, 16, out, 128, 16, 0, 0, 1e-6f, Activation.NONE));
            expect("xChannelStride", () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 4, 16, x, 128, -1, out, 128, 16, 0, 0, 1e-6f,
                    Activation.NONE));
            expect("two elements to one address", () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 4, 16, x, 128, 16, out, 128, 8,
                    0, 0, 1e-6f, Activation.NONE));
            expect("out and x overlap", () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 4, 16, x, 128, 16, x + 4, 128, 16, 0, 0,
                    1e-6f, Activation.NONE));
            expect("out and weight overlap", () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 4, 16, x, 128, 16, out, 128, 16,
                    out + 40, 0, 1e-6f, Activation.NONE));
            expect("eps", () -> ImageLayers.groupNorm(CPU, 0, 2, 8, 4, 16, x, 128, 16, out, 128, 16, 0, 0, -1f,
                    Activation.NONE));
            expect("kernel must be 1 or 3", () -> ImageLayers.im2col(CPU, 0, 2, 1, 4, 4, 5, 1, x, 16, 16, 0, 4, out, 16));
            expect("stride must be 1 or 2", () -> ImageLayers.im2col(CPU, 0, 2, 1, 4, 4, 3, 3, x, 16, 16, 0, 4, out, 16));
            expect("not within the 4 output rows",
                    () -> ImageLayers.im2col(CPU, 0, 2, 1, 4, 4, 3, 1, x, 16, 16, 0, 5, out, 16));
            expect("patchesStride must be >= 16",
                    () -> ImageLayers.im2col(CPU, 0, 2, 1, 4, 4, 3, 1, x, 16, 16, 0, 4, out, 15));
            expect("patches and x overlap", () -> ImageLayers.im2col(CPU, 0, 2, 1, 4, 4, 3, 1, x, 16, 16, 0, 4, x + 4, 16));
            expect("outStride must be >= 10", () -> ImageLayers.channelAffine(CPU, 0, 3, 10, x, 10, 0, 0, out, 9));
            expect("out and x overlap partially",
                    () -> ImageLayers.channelAffine(CPU, 0, 3, 10, x, 10, 0, 0, x + 4, 10));
            expect("out and shift overlap", () -> ImageLayers.channelAffine(CPU, 0, 3, 10, x, 10, 0, out + 8, out, 10));
            expect("out and x overlap", () -> ImageLayers.upsampleNearest2x(CPU, 0, 2, 4, 4, x, x + 4 * 31));
            expect("planes", () -> ImageLayers.upsampleNearest2x(CPU, 0, 0, 4, 4, x, out));
            expect("smaller than one output row", () -> new Conv2d("conv", 2, 2, 3, 1, x, 0).forward(new Gemm(), CPU, 1, 4,
                    4, x, 16, 16, out, 16, false, out + 4 * 1024, 23));
            expect("kernel must be 1 or 3", () -> new Conv2d("conv", 2, 2, 2, 1, x, 0));
        }
    }

    private static void expect(String needle, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(needle), "'" + e.getMessage() + "' does not name " + needle);
    }
}
