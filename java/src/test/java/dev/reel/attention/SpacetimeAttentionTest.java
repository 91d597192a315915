package dev.reel.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reel.Backend;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.ReelException;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@SuppressWarnings("try") // Scope resources free what the block allocates without being named in it
class SpacetimeAttentionTest {
    private static final long SEED = new Random().nextLong();
    private static final Random RANDOM = new Random(SEED);
    private static Reel reel;

    @BeforeAll
    static void open() {
        reel = Reel.open(Backend.CPU);
        System.out.println("SpacetimeAttentionTest: random seed " + SEED);
    }

    @AfterAll
    static void close() {
        reel.close();
    }

    /** Gaussian values, never exactly zero. */
    private static float[] randn(int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            do {
                x[i] = (float) RANDOM.nextGaussian();
            } while (x[i] == 0f);
        }
        return x;
    }

    private static double tolerance(DType dtype) {
        return dtype == DType.F32 ? 1e-5 : 1e-2;
    }

    /** One run of the kernel and the oracle on fresh inputs. */
    private static final class Run {
        final AttentionOracle oracle = new AttentionOracle();
        DType dtype = DType.F32;
        float[] q, k, v;        // values as stored (rounded to the dtype)
        float[] out, lse;
        double[] ref;

        Run(AttentionMode mode, int batch, int t, int h, int w, int heads, int headDim) {
            oracle.mode = mode;
            oracle.batch = batch;
            oracle.frames = t;
            oracle.height = h;
            oracle.width = w;
            oracle.heads = heads;
            oracle.headDim = headDim;
            oracle.contextLength = 29;
        }

        int kvTokens() {
            return oracle.mode == AttentionMode.CROSS ? oracle.contextLength : oracle.tokens();
        }

        SpacetimeAttention attention() {
            SpacetimeAttention.Builder b = SpacetimeAttention.builder().mode(oracle.mode)
                    .video(oracle.frames, oracle.height, oracle.width);
            if (oracle.mode == AttentionMode.WINDOW) {
                b.tiles(oracle.tiles[0], oracle.tiles[1], oracle.tiles[2])
                        .window(oracle.window[0], oracle.window[1], oracle.window[2]);
            }
            if (oracle.rope != null) {
                b.rope(oracle.rope[0], oracle.rope[1], oracle.rope[2]).ropeTheta((float) oracle.ropeTheta)
                        .ropeOffsets((float) oracle.ropeOffsets[0], (float) oracle.ropeOffsets[1],
                                (float) oracle.ropeOffsets[2]);
            }
            if (oracle.scale != 0) {
                b.scale((float) oracle.scale);
            }
            return b.build();
        }

        Run inputs() {
            int n = oracle.tokens(), m = kvTokens(), hd = oracle.heads * oracle.headDim;
            q = randn(oracle.batch * n * hd);
            k = randn(oracle.batch * m * hd);
            v = randn(oracle.batch * m * hd);
            return this;
        }

        /** Runs the kernel on poisoned outputs, then the oracle on what the kernel saw. */
        Run run() {
            int n = oracle.tokens(), m = kvTokens();
            Shape qs = Shape.of(oracle.batch, n, oracle.heads, oracle.headDim);
            Shape ks = Shape.of(oracle.batch, m, oracle.heads, oracle.headDim);
            try (Scope scope = Scope.open()) {
                Tensor tq = reel.tensor(q, dtype, qs), tk = reel.tensor(k, dtype, ks), tv = reel.tensor(v, dtype, ks);
                Tensor to = reel.tensor(nans((int) qs.numel()), dtype, qs);
                Tensor tl = reel.tensor(nans(oracle.batch * oracle.heads * n), DType.F32,
                        Shape.of(oracle.batch, oracle.heads, n));
                attention().forward(tq, tk, tv, to, tl, oracle.contextLengths);
                q = tq.toFloatArray();
                k = tk.toFloatArray();
                v = tv.toFloatArray();
                out = to.toFloatArray();
                lse = tl.toFloatArray();
            }
            ref = oracle.run(q, k, v);
            return this;
        }

        double relativeError() {
            double err = 0, norm = 0;
            for (int i = 0; i < ref.length; i++) {
                err += (out[i] - ref[i]) * (out[i] - ref[i]);
                norm += ref[i] * ref[i];
            }
            return Math.sqrt(err / Math.max(norm, 1e-300));
        }

        void check(String what) {
            for (int i = 0; i < out.length; i++) {
                assertTrue(Float.isFinite(out[i]), what + ": output element " + i + " is " + out[i]
                        + " (not written or not finite); seed " + SEED);
            }
            double err = relativeError();
            assertTrue(err <= tolerance(dtype), what + ": |out - ref| / |ref| = " + err + " > " + tolerance(dtype)
                    + "; seed " + SEED);
            for (int i = 0; i < lse.length; i++) {
                double want = oracle.lse[i];
                if (want == Double.NEGATIVE_INFINITY) {
                    assertEquals(Float.NEGATIVE_INFINITY, lse[i], what + ": lse " + i);
                } else {
                    assertEquals(want, lse[i], (dtype == DType.F32 ? 1e-4 : 2e-2) * Math.max(1, Math.abs(want)),
                            what + ": lse " + i + "; seed " + SEED);
                }
            }
        }
    }

    private static float[] nans(int count) {
        float[] x = new float[count];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    static List<Arguments> everyModeDtypeAndHeadDim() {
        List<Arguments> cases = new java.util.ArrayList<>();
        for (AttentionMode mode : AttentionMode.values()) {
            for (DType dtype : List.of(DType.F32, DType.BF16)) {
                for (int d : new int[] {32, 64, 96, 128}) {
                    cases.add(Arguments.of(mode, dtype, d));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} {1} d={2}")
    @MethodSource("everyModeDtypeAndHeadDim")
    void matchesTheFloat64OracleOnOddShapes(AttentionMode mode, DType dtype, int d) {
        Run r = new Run(mode, 2, 3, 5, 7, 2, d);
        r.dtype = dtype;
        if (mode == AttentionMode.WINDOW) {
            r.oracle.tiles = new int[] {2, 2, 3};
            r.oracle.window = new int[] {0, 1, 1};
        }
        if (mode == AttentionMode.CROSS) {
            r.oracle.contextLengths = new long[] {29, 11};
        } else {
            r.oracle.rope = new int[] {d / 4, d / 4 + 2, d / 4 - 2};
            r.oracle.ropeOffsets = new double[] {0.5, -1, 2};
        }
        r.oracle.scale = 0.8 / Math.sqrt(d);
        r.inputs().run().check(mode + " " + dtype + " d=" + d);
    }

    @Test
    void longSegmentsSpanSeveralBlocksAndTasks() {
        // 2 x 13 x 11 tokens: key segments of 286 keys (blocks of 64) and query tasks of 96 rows.
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            Run r = new Run(AttentionMode.FULL, 1, 2, 13, 11, 3, 64);
            r.dtype = dtype;
            r.oracle.rope = new int[] {16, 24, 24};
            r.inputs().run().check("FULL 2x13x11 " + dtype);
        }
    }

    @Test
    void crossWithAnEmptyContextGivesZerosAndMinusInfinity() {
        Run r = new Run(AttentionMode.CROSS, 3, 2, 3, 3, 2, 32);
        r.oracle.contextLengths = new long[] {0, 29, 1};
        r.inputs().run().check("CROSS lengths 0, 29, 1");
        int perSample = r.oracle.tokens() * 2 * 32;
        for (int i = 0; i < perSample; i++) {
            assertEquals(0f, r.out[i]);
        }
    }

    @Test
    void windowAsLargeAsTheVideoEqualsFull() {
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            Run window = new Run(AttentionMode.WINDOW, 1, 3, 5, 7, 2, 64);
            window.dtype = dtype;
            window.oracle.tiles = new int[] {2, 2, 3};
            window.oracle.window = new int[] {1, 2, 2};  // ceil(3/2)-1, ceil(5/2)-1, ceil(7/3)-1
            window.oracle.rope = new int[] {16, 24, 24};
            window.inputs().run();
            Run full = new Run(AttentionMode.FULL, 1, 3, 5, 7, 2, 64);
            full.dtype = dtype;
            full.oracle.rope = window.oracle.rope;
            full.q = window.q;
            full.k = window.k;
            full.v = window.v;
            full.run();
            for (int i = 0; i < full.out.length; i++) {
                assertEquals(full.out[i], window.out[i], dtype == DType.F32 ? 1e-5 : 1e-2, "element " + i);
            }
        }
    }

    @Test
    void spatialEqualsFullOnEachFrame() {
        int t = 3, h = 4, w = 5, heads = 2, d = 32, hw = h * w;
        Run spatial = new Run(AttentionMode.SPATIAL, 1, t, h, w, heads, d);
        spatial.oracle.rope = new int[] {8, 12, 12};
        spatial.inputs().run();
        for (int f = 0; f < t; f++) {
            Run frame = new Run(AttentionMode.FULL, 1, 1, h, w, heads, d);
            frame.oracle.rope = spatial.oracle.rope;
            frame.oracle.ropeOffsets = new double[] {f, 0, 0};
            int from = f * hw * heads * d, to = (f + 1) * hw * heads * d;
            frame.q = Arrays.copyOfRange(spatial.q, from, to);
            frame.k = Arrays.copyOfRange(spatial.k, from, to);
            frame.v = Arrays.copyOfRange(spatial.v, from, to);
            frame.run();
            for (int i = 0; i < frame.out.length; i++) {
                assertEquals(frame.out[i], spatial.out[from + i], 1e-5, "frame " + f + " element " + i);
            }
        }
    }

    @Test
    void temporalEqualsFullOnEachSpatialPosition() {
        int t = 5, h = 3, w = 2, heads = 2, d = 32, hw = h * w, row = heads * d;
        Run temporal = new Run(AttentionMode.TEMPORAL, 1, t, h, w, heads, d);
        temporal.oracle.rope = new int[] {8, 12, 12};
        temporal.inputs().run();
        for (int s = 0; s < hw; s++) {
            Run line = new Run(AttentionMode.FULL, 1, t, 1, 1, heads, d);
            line.oracle.rope = temporal.oracle.rope;
            line.oracle.ropeOffsets = new double[] {0, s / w, s % w};
            line.q = new float[t * row];
            line.k = new float[t * row];
            line.v = new float[t * row];
            for (int f = 0; f < t; f++) {
                System.arraycopy(temporal.q, (f * hw + s) * row, line.q, f * row, row);
                System.arraycopy(temporal.k, (f * hw + s) * row, line.k, f * row, row);
                System.arraycopy(temporal.v, (f * hw + s) * row, line.v, f * row, row);
            }
            line.run();
            for (int f = 0; f < t; f++) {
                for (int c = 0; c < row; c++) {
                    assertEquals(line.out[f * row + c], temporal.out[(f * hw + s) * row + c], 1e-5,
                            "position " + s + " frame " + f);
                }
            }
        }
    }

    @Test
    void nanInputsComeOutAsNan() {
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            for (String where : List.of("q", "k", "v")) {
                Run r = new Run(AttentionMode.FULL, 1, 2, 3, 4, 1, 64);
                r.dtype = dtype;
                r.inputs();
                float[] target = where.equals("q") ? r.q : where.equals("k") ? r.k : r.v;
                target[3 * 64 + 5] = Float.NaN;
                r.run();
                // A NaN query poisons its own row, a NaN key every row that sees it, a NaN
                // value its channel (5) of every row that sees it.
                assertTrue(Float.isNaN(r.out[3 * 64 + 5]), dtype + ": NaN in " + where + " did not reach row 3");
                if (!where.equals("q")) {
                    assertTrue(Float.isNaN(r.out[5]), dtype + ": NaN in " + where + " did not reach row 0");
                }
            }
        }
    }

    @Test
    void rawAddressesReadAPackedQkvBufferThroughStrides() {
        // [B, N, 3, heads, d]: Q, K and V interleaved per token, as a fused QKV projection writes them.
        int batch = 2, t = 2, h = 3, w = 5, heads = 2, d = 64, n = t * h * w;
        float[] packed = randn(batch * n * 3 * heads * d);
        Run r = new Run(AttentionMode.SPATIAL, batch, t, h, w, heads, d);
        r.q = new float[batch * n * heads * d];
        r.k = new float[r.q.length];
        r.v = new float[r.q.length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 3; j++) {
                    float[] dst = j == 0 ? r.q : j == 1 ? r.k : r.v;
                    System.arraycopy(packed, ((b * n + i) * 3 + j) * heads * d, dst, (b * n + i) * heads * d, heads * d);
                }
            }
        }
        try (Tensor qkv = reel.tensor(packed, DType.F32, Shape.of(batch, n, 3, heads, d));
                Tensor out = reel.tensor(nans(batch * n * heads * d), DType.F32, Shape.of(batch, n, heads, d))) {
            long base = qkv.address(), rowStride = 3L * heads * d, batchStride = n * rowStride;
            AttentionOperand q = AttentionOperand.of(base, batchStride, rowStride, d);
            AttentionOperand k = AttentionOperand.of(base + 4L * heads * d, batchStride, rowStride, d);
            AttentionOperand v = AttentionOperand.of(base + 8L * heads * d, batchStride, rowStride, d);
            r.attention().forward(Device.CPU, DType.F32, batch, heads, d, q, k, v,
                    AttentionOperand.contiguous(out.address(), n, heads, d), 0, 0, 0, 0);
            r.out = out.toFloatArray();
        }
        r.ref = r.oracle.run(r.q, r.k, r.v);
        assertTrue(r.relativeError() <= 1e-5, "error " + r.relativeError());
    }

    @Test
    void threadCountDoesNotChangeTheResult() {
        Run r = new Run(AttentionMode.WINDOW, 2, 4, 6, 5, 2, 32);
        r.oracle.tiles = new int[] {2, 3, 2};
        r.oracle.window = new int[] {1, 0, 1};
        r.inputs().run();
        float[] many = r.out;
        try {
            Reel.setCpuThreads(1);
            r.run();
        } finally {
            Reel.setCpuThreads(0);
        }
        for (int i = 0; i < many.length; i++) {
            assertEquals(Float.floatToIntBits(many[i]), Float.floatToIntBits(r.out[i]), "element " + i);
        }
    }

    // ---- bad arguments -------------------------------------------------------

    private static SpacetimeAttention full(int t, int h, int w) {
        return SpacetimeAttention.builder().mode(AttentionMode.FULL).video(t, h, w).build();
    }

    private static void assertRejected(String needle, Consumer<Tensor[]> call, Shape... shapes) {
        try (Scope scope = Scope.open()) {
            Tensor[] t = new Tensor[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                t[i] = reel.tensor(randn((int) shapes[i].numel()), DType.F32, shapes[i]);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> call.accept(t));
            assertTrue(e.getMessage().contains(needle), "message '" + e.getMessage() + "' does not name '" + needle + "'");
        }
    }

    @Test
    void shapeMismatchIsRejected() {
        Shape q = Shape.of(1, 24, 2, 64);
        assertRejected("tokens", t -> full(2, 3, 5).forward(t[0], t[1], t[2], t[3]), q, q, q, q);
        assertRejected("k has shape", t -> full(2, 3, 4).forward(t[0], t[1], t[2], t[3]), q, Shape.of(1, 24, 1, 64), q, q);
        assertRejected("out has shape", t -> full(2, 3, 4).forward(t[0], t[1], t[2], t[3]), q, q, q, Shape.of(24, 2, 64));
        assertRejected("[B, N, heads, headDim]", t -> full(2, 3, 4).forward(t[0], t[1], t[2], t[3]),
                Shape.of(24, 2, 64), q, q, q);
        assertRejected("lse must be F32", t -> full(2, 3, 4).forward(t[0], t[1], t[2], t[3], t[4]), q, q, q, q,
                Shape.of(1, 24, 2));
    }

    @Test
    void unsupportedHeadDimIsRejected() {
        Shape q = Shape.of(1, 24, 2, 48);
        assertRejected("head dim 48", t -> full(2, 3, 4).forward(t[0], t[1], t[2], t[3]), q, q, q, q);
    }

    @Test
    void windowLargerThanTheVideoIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpacetimeAttention.builder()
                .mode(AttentionMode.WINDOW).video(4, 8, 8).tiles(2, 4, 4).window(2, 1, 1).build());
        assertTrue(e.getMessage().contains("larger than the video"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SpacetimeAttention.builder()
                .mode(AttentionMode.WINDOW).video(4, 8, 8).tiles(5, 4, 4).window(0, 1, 1).build());
        assertTrue(e.getMessage().contains("larger than the video"), e.getMessage());
    }

    @Test
    void nullAndClosedTensorsAreRejected() {
        Shape q = Shape.of(1, 24, 2, 64);
        assertRejected("v is null", t -> full(2, 3, 4).forward(t[0], t[1], null, t[2]), q, q, q);
        assertRejected("k is closed", t -> {
            t[1].close();
            full(2, 3, 4).forward(t[0], t[1], t[2], t[3]);
        }, q, q, q, q);
    }

    @Test
    void overlappingOutputIsRejected() {
        Shape q = Shape.of(1, 24, 2, 64);
        assertRejected("out overlaps the input q", t -> full(2, 3, 4).forward(t[0], t[1], t[2], t[0]), q, q, q);
        try (Tensor big = reel.tensor(randn(4 * 24 * 128), DType.F32, Shape.of(4 * 24 * 128))) {
            Tensor k = Tensor.wrap(Device.CPU, DType.F32, Shape.of(1, 24, 2, 64), big.address());
            Tensor out = Tensor.wrap(Device.CPU, DType.F32, Shape.of(1, 24, 2, 64), big.address() + 4L * 100);
            Tensor qv = Tensor.wrap(Device.CPU, DType.F32, Shape.of(1, 24, 2, 64), big.address() + 4L * 2 * 24 * 128);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> full(2, 3, 4).forward(qv, k, qv, out));
            assertTrue(e.getMessage().contains("out overlaps the input k"), e.getMessage());
        }
    }

    @Test
    void mixedDtypesAndUnsupportedDtypesAreRejected() {
        Shape s = Shape.of(1, 24, 2, 64);
        try (Scope scope = Scope.open()) {
            Tensor q = reel.empty(DType.F32, s), k = reel.empty(DType.BF16, s), v = reel.empty(DType.F32, s);
            Tensor o = reel.empty(DType.F32, s), h = reel.empty(DType.F16, s), h2 = reel.empty(DType.F16, s);
            Tensor h3 = reel.empty(DType.F16, s), h4 = reel.empty(DType.F16, s);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> full(2, 3, 4).forward(q, k, v, o));
            assertTrue(e.getMessage().contains("k is BF16 but q is F32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> full(2, 3, 4).forward(h, h2, h3, h4));
            assertTrue(e.getMessage().contains("not F16"), e.getMessage());
        }
    }

    @Test
    void builderNamesItsMistakes() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SpacetimeAttention.builder().video(1, 2, 3).build())
                .getMessage().contains("mode"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SpacetimeAttention.builder().mode(AttentionMode.FULL).video(1, 2, 3).window(0, 0, 0).build())
                .getMessage().contains("WINDOW only"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SpacetimeAttention.builder().mode(AttentionMode.CROSS).video(1, 2, 3).rope(2, 2, 2).build())
                .getMessage().contains("CROSS"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SpacetimeAttention.builder().rope(3, 2, 2))
                .getMessage().contains("even"));
        Shape s = Shape.of(1, 6, 1, 32);
        assertRejected("need 34 channels", t -> SpacetimeAttention.builder().mode(AttentionMode.FULL).video(1, 2, 3)
                .rope(10, 12, 12).build().forward(t[0], t[1], t[2], t[3]), s, s, s, s);
        assertRejected("contextLengths[1] = 7", t -> SpacetimeAttention.builder().mode(AttentionMode.CROSS)
                .video(1, 2, 3).build().forward(t[0], t[1], t[2], t[3], null, new long[] {1, 7}),
                Shape.of(2, 6, 1, 32), Shape.of(2, 5, 1, 32), Shape.of(2, 5, 1, 32), Shape.of(2, 6, 1, 32));
    }

    @Test
    void toStringNamesEveryOption() {
        String s = SpacetimeAttention.builder().mode(AttentionMode.WINDOW).video(4, 8, 8).tiles(2, 4, 4)
                .window(1, 1, 0).rope(8, 12, 12).scale(0.125f).build().toString();
        for (String part : List.of("WINDOW", "4x8x8", "tiles=2x4x4", "window=1x1x0", "rope=(8, 12, 12)", "0.125")) {
            assertTrue(s.contains(part), s + " lacks " + part);
        }
    }

    @Test
    void cudaAnswersWithAStatusNotACrash() {
        List<Device> devices = Reel.cudaDevices();
        assumeTrue(!devices.isEmpty(), "no CUDA device: " + Reel.cudaUnavailableReason());
        Shape s = Shape.of(1, 24, 2, 64);
        try (Reel gpu = Reel.open(devices.get(0)); Scope scope = Scope.open()) {
            Tensor q = gpu.tensor(randn(3072), DType.BF16, s), k = gpu.tensor(randn(3072), DType.BF16, s);
            Tensor v = gpu.tensor(randn(3072), DType.BF16, s), o = gpu.empty(DType.BF16, s);
            try {
                full(2, 3, 4).forward(q, k, v, o);
            } catch (ReelException e) {
                assertFalse(e.getMessage().isEmpty());
                System.out.println("CUDA attention: " + e.getMessage());
            }
        }
    }
}
