package dev.reel.sampling;

import static dev.reel.sampling.SchedulerStepTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Noise;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.sampling.NoiseSchedule.BetaSchedule;
import dev.reel.sampling.NoiseSchedule.Point;
import dev.reel.sampling.NoiseSchedule.Spacing;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Schedules, the Sampler protocol, determinism and bad input. Accuracy is in SamplerAccuracyTest. */
class SamplerTest {
    private static double[] timesteps(List<Point> points) {
        return points.subList(0, points.size() - 1).stream().mapToDouble(Point::timestep).toArray();
    }

    @Test
    void timestepSpacingsAreDiffusersOnes() {
        NoiseSchedule s = NoiseSchedule.ddpm(BetaSchedule.LINEAR);
        assertArrayEquals(new double[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, timesteps(s.points(10)));
        assertArrayEquals(new double[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0},
                timesteps(s.withSpacing(Spacing.LEADING).points(10)));
        assertArrayEquals(new double[] {999, 888, 777, 666, 555, 444, 333, 222, 111, 0},
                timesteps(s.withSpacing(Spacing.LINSPACE).points(10)));
        Point last = s.points(10).get(10);
        assertEquals(1.0, last.alpha());
        assertEquals(0.0, last.sigma());
    }

    @Test
    void betaSchedulesGiveTheKnownCumulativeAlphas() {
        // Values of diffusers' alphas_cumprod[-1] (DDPM linear; Stable Diffusion scaled linear).
        Point linear = NoiseSchedule.ddpm(BetaSchedule.LINEAR).points(1).get(0);
        assertEquals(4.0358e-5, linear.alpha() * linear.alpha(), 1e-9);
        Point sd = NoiseSchedule.ddpm(BetaSchedule.SCALED_LINEAR).points(1).get(0);
        assertEquals(0.0046601, sd.alpha() * sd.alpha(), 1e-7);
        // Cosine: ᾱ_t = f((t + 1)/T) / f(0), f(t) = cos²((t + 0.008)/1.008 · π/2), below the β cap.
        Point cos = NoiseSchedule.ddpm(BetaSchedule.SQUAREDCOS_CAP_V2).withSpacing(Spacing.LINSPACE).points(3).get(1);
        assertEquals(500, cos.timestep()); // round(499.5) = 500 (half to even)
        double f = Math.pow(Math.cos((501 / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2)
                / Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        assertEquals(f, cos.alpha() * cos.alpha(), 1e-12);
        for (Point p : NoiseSchedule.ddpm(BetaSchedule.SCALED_LINEAR).points(7)) {
            assertEquals(1.0, p.alpha() * p.alpha() + p.sigma() * p.sigma(), 1e-12, "variance preserving");
        }
    }

    @Test
    void flowSigmasAreShifted() {
        List<Point> points = NoiseSchedule.flow(3).points(4);
        double[] sigmas = points.stream().mapToDouble(Point::sigma).toArray();
        assertArrayEquals(new double[] {1, 0.9, 0.75, 0.5, 0}, sigmas, 1e-12);
        for (Point p : points) {
            assertEquals(1.0, p.alpha() + p.sigma(), 1e-12);
            assertEquals(p.sigma(), p.timestep()); // Reel's flow models take t in [0, 1]
        }
        assertTrue(points.get(0).lambda() == Double.NEGATIVE_INFINITY);
    }

    @Test
    void karrasSigmasSpanTheTrainingRangeWithRhoSeven() {
        NoiseSchedule s = NoiseSchedule.ddpm(BetaSchedule.SCALED_LINEAR).withKarrasSigmas(true);
        List<Point> points = s.points(20);
        double abarMax = 0.0046601, abarMin = 1 - 0.00085;
        double hi = Math.sqrt((1 - abarMax) / abarMax), lo = Math.sqrt((1 - abarMin) / abarMin);
        assertEquals(hi, points.get(0).sigma() / points.get(0).alpha(), 1e-4);
        assertEquals(lo, points.get(19).sigma() / points.get(19).alpha(), 1e-6);
        double mid = Math.pow(Math.pow(hi, 1 / 7.0) + 10 / 19.0 * (Math.pow(lo, 1 / 7.0) - Math.pow(hi, 1 / 7.0)), 7);
        assertEquals(mid, points.get(10).sigma() / points.get(10).alpha(), 1e-4);
        assertEquals(999, points.get(0).timestep(), 1e-6);
        assertEquals(0, points.get(19).timestep(), 1e-6);
        for (int i = 1; i < 20; i++) {
            assertTrue(points.get(i).timestep() < points.get(i - 1).timestep());
        }
    }

    @Test
    void heunEvaluatesTwicePerStepAndOnceForTheLast() {
        NoiseSchedule s = NoiseSchedule.flow(1);
        try (Sampler heun = Sampler.builder(SamplerKind.HEUN).schedule(s).steps(3).prediction(PredictionType.FLOW).build()) {
            assertEquals(5, heun.modelEvaluations());
            List<Point> p = s.points(3);
            double[] want = {p.get(0).sigma(), p.get(1).sigma(), p.get(1).sigma(), p.get(2).sigma(), p.get(2).sigma()};
            double[] got = heun.evaluations().stream().mapToDouble(e -> e.point().sigma()).toArray();
            assertArrayEquals(want, got);
            assertEquals(List.of(true, false, true, false, false),
                    heun.evaluations().stream().map(Sampler.Evaluation::writesMemory).toList());
            assertEquals(List.of(false, true, false, true, false),
                    heun.evaluations().stream().map(Sampler.Evaluation::readsMemory).toList());
        }
    }

    @Test
    void eulerIsDdimAndEulerAncestralIsDdpmInVeCoordinates() {
        // Karras et al. (2022): on the ε-parameterised ODE, DDIM is Euler in (x/α, σ/α),
        // and the ancestral step with η = 1 is DDPM's posterior.
        for (NoiseSchedule s : new NoiseSchedule[] {NoiseSchedule.ddpm(BetaSchedule.SCALED_LINEAR), NoiseSchedule.flow(3)}) {
            PredictionType pred = s.isFlow() ? PredictionType.FLOW : PredictionType.EPSILON;
            assertSameCoefficients(plan(SamplerKind.EULER, s, pred), plan(SamplerKind.DDIM, s, pred));
            assertSameCoefficients(plan(SamplerKind.EULER_ANCESTRAL, s, pred), plan(SamplerKind.DDPM, s, pred));
            try (Sampler ddim1 = Sampler.builder(SamplerKind.DDIM).schedule(s).steps(12).prediction(pred).eta(1).build()) {
                assertSameCoefficients(plan(SamplerKind.DDPM, s, pred), ddim1.evaluations());
            }
        }
    }

    private static List<Sampler.Evaluation> plan(SamplerKind kind, NoiseSchedule s, PredictionType pred) {
        try (Sampler sampler = Sampler.builder(kind).schedule(s).steps(12).prediction(pred).build()) {
            return sampler.evaluations();
        }
    }

    private static void assertSameCoefficients(List<Sampler.Evaluation> a, List<Sampler.Evaluation> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            SchedulerStep x = a.get(i).update(), y = b.get(i).update();
            double[] u = {x.cX(), x.cM(), x.cP(), x.cZ()}, v = {y.cX(), y.cM(), y.cP(), y.cZ()};
            for (int j = 0; j < 4; j++) {
                assertEquals(u[j], v[j], 1e-9 * (1 + Math.abs(u[j])), "evaluation " + i + " coefficient " + j);
            }
        }
    }

    @Test
    void predictionTypesAreInterchangeableForAnIdealModel() {
        AnalyticData data = new AnalyticData("mixture", new double[] {0.5, 0.5}, new double[] {-1, 1}, new double[] {0.4, 0.4});
        for (NoiseSchedule s : new NoiseSchedule[] {NoiseSchedule.ddpm(BetaSchedule.LINEAR), NoiseSchedule.flow(2)}) {
            Point first = s.points(1).get(0);
            float[] start = data.sampleMarginal(2000, first.alpha(), first.sigma(), 3);
            float[] reference = null;
            for (PredictionType pred : PredictionType.values()) {
                if (pred == PredictionType.EPSILON && s.isFlow()) {
                    continue; // ε cannot give x0 at α = 0
                }
                try (Sampler sampler = Sampler.builder(SamplerKind.DPM_SOLVER_2M).schedule(s).steps(15).prediction(pred).build()) {
                    float[] x = SamplerAccuracyTest.sample(sampler, start, data, pred);
                    if (reference == null) {
                        reference = x;
                    } else {
                        for (int i = 0; i < x.length; i++) {
                            assertEquals(reference[i], x[i], 2e-4, s + " " + pred + " element " + i);
                        }
                    }
                }
            }
        }
    }

    private static float[] runWithRandomModel(SamplerKind kind, long seed) {
        Random model = new Random(5);
        int n = 999;
        try (Scope scope = Scope.open();
                Sampler sampler = Sampler.builder(kind).steps(6).seed(seed).guidance(3).build()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            Tensor c = Tensor.allocate(Device.CPU, DType.BF16, Shape.of(n)), u = Tensor.allocate(Device.CPU, DType.BF16, Shape.of(n));
            sampler.initialNoise(x);
            float[] v = new float[n];
            while (!sampler.isDone()) {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) model.nextGaussian();
                }
                c.copyFrom(v);
                u.copyFrom(v.clone());
                sampler.step(x, c, u);
            }
            return x.toFloatArray();
        }
    }

    @Test
    void theSameSeedGivesTheSameBitsRunToRun() {
        for (SamplerKind kind : SamplerKind.values()) {
            float[] a = runWithRandomModel(kind, 42), b = runWithRandomModel(kind, 42);
            assertArrayEquals(a, b, kind.toString()); // compares floatToIntBits
            assertFalse(Arrays.equals(a, runWithRandomModel(kind, 43)), kind + ": another seed, other initial noise");
            boolean stochastic = kind == SamplerKind.DDPM || kind == SamplerKind.EULER_ANCESTRAL;
            try (Sampler s = Sampler.builder(kind).steps(6).build()) {
                assertEquals(stochastic, s.evaluations().stream().anyMatch(e -> e.update().cZ() != 0), kind + " adds noise");
                for (Sampler.Evaluation e : s.evaluations()) {
                    assertEquals(e.step() + 1, e.update().noiseStream(), "stream of step " + e.step());
                }
            }
        }
    }

    @Test
    void initialNoiseIsStreamZeroScaledByTheFirstSigma() {
        NoiseSchedule s = NoiseSchedule.ddpm(BetaSchedule.SCALED_LINEAR).withSpacing(Spacing.LEADING);
        double sigma0 = s.points(10).get(0).sigma();
        try (Scope scope = Scope.open(); Sampler sampler = Sampler.builder(SamplerKind.DDIM).schedule(s).steps(10).seed(9).build()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(100)), z = Tensor.allocate(Device.CPU, DType.F32, Shape.of(100));
            sampler.initialNoise(x);
            Noise.fillNormal(z, 9, 0, 0);
            float[] got = x.toFloatArray(), eps = z.toFloatArray();
            for (int i = 0; i < 100; i++) {
                assertEquals((float) sigma0 * eps[i], got[i], 1e-7 * Math.abs(got[i]) + 1e-12);
            }
        }
    }

    @Test
    void guidanceCombinesTheTwoOutputsBeforeTheUpdate() {
        int n = 257;
        Random r = new Random(1);
        float[] c = new float[n], u = new float[n], mixed = new float[n];
        for (int i = 0; i < n; i++) {
            c[i] = (float) r.nextGaussian();
            u[i] = (float) r.nextGaussian();
            mixed[i] = u[i] + 7.5f * (c[i] - u[i]);
        }
        try (Scope scope = Scope.open();
                Sampler guided = Sampler.builder(SamplerKind.EULER).steps(4).guidance(7.5).build();
                Sampler plain = Sampler.builder(SamplerKind.EULER).steps(4).build()) {
            Tensor x1 = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n)), x2 = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            Tensor tc = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n)), tu = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            Tensor tm = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            guided.initialNoise(x1);
            plain.initialNoise(x2);
            tc.copyFrom(c);
            tu.copyFrom(u);
            tm.copyFrom(mixed);
            guided.step(x1, tc, tu);
            plain.step(x2, tm, null);
            float[] a = x1.toFloatArray(), b = x2.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(b[i], a[i], 1e-5 * (1 + Math.abs(b[i])));
            }
        }
    }

    @Test
    void guidanceAppliesOnlyInsideItsInterval() {
        // flow, shift 3, 4 steps: t = 1, 0.9, 0.75, 0.5; guided where t is in [0.8, 1]
        int n = 131;
        Random r = new Random(7);
        try (Scope scope = Scope.open();
                Sampler limited = Sampler.builder(SamplerKind.EULER).schedule(NoiseSchedule.flow(3)).steps(4)
                        .prediction(PredictionType.FLOW).guidance(4).guidanceInterval(0.8, 1).build();
                Sampler plain = Sampler.builder(SamplerKind.EULER).schedule(NoiseSchedule.flow(3)).steps(4)
                        .prediction(PredictionType.FLOW).build()) {
            assertEquals(List.of(true, true, false, false),
                    limited.evaluations().stream().map(Sampler.Evaluation::guided).toList());
            assertTrue(limited.toString().contains("guidance=4.0 in [0.8, 1.0]"), limited.toString());
            Tensor x1 = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n)), x2 = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            Tensor tc = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n)), tu = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            Tensor tm = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            limited.initialNoise(x1);
            plain.initialNoise(x2);
            while (!limited.isDone()) {
                boolean guided = limited.guidedNow();
                float[] c = new float[n], u = new float[n], m = new float[n];
                for (int i = 0; i < n; i++) {
                    c[i] = (float) r.nextGaussian();
                    u[i] = (float) r.nextGaussian();
                    m[i] = guided ? u[i] + 4f * (c[i] - u[i]) : c[i];
                }
                tc.copyFrom(c);
                tu.copyFrom(u);
                tm.copyFrom(m);
                if (guided) {
                    limited.step(x1, tc, tu);
                } else {
                    int before = limited.evaluationsDone();
                    limited.step(x1, tc, null);   // outside the interval no unconditional output is needed
                    assertEquals(before + 1, limited.evaluationsDone());
                }
                plain.step(x2, tm, null);
                float[] a = x1.toFloatArray(), b = x2.toFloatArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(b[i], a[i], 1e-5 * (1 + Math.abs(b[i])), "evaluation " + limited.evaluationsDone());
                }
            }
            assertThrows(IllegalStateException.class, limited::guidedNow);
        }
        try (Scope scope = Scope.open();
                Sampler limited = Sampler.builder(SamplerKind.EULER).schedule(NoiseSchedule.flow(3)).steps(4)
                        .prediction(PredictionType.FLOW).guidance(4).guidanceInterval(0.8, 1).build()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
            limited.initialNoise(x);
            assertMessage("guidance scale 4.0 needs the unconditional output at evaluation 0", () -> limited.step(x, x, null));
        }
        assertMessage("guidance interval must satisfy 0 <= from <= to <= 1, got [0.9, 0.5]",
                () -> Sampler.builder(SamplerKind.EULER).guidanceInterval(0.9, 0.5));
        assertMessage("guidance interval must satisfy 0 <= from <= to <= 1, got [NaN, 1.0]",
                () -> Sampler.builder(SamplerKind.EULER).guidanceInterval(Double.NaN, 1));
    }

    @Test
    void samplerMemoryOutlivesTheCallersScopes() {
        int n = 64;
        try (Sampler sampler = Sampler.builder(SamplerKind.DPM_SOLVER_2M).steps(3).build();
                Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n))) {
            sampler.initialNoise(x);
            while (!sampler.isDone()) {
                try (Scope perStep = Scope.open()) { // a pipeline's temporaries of one step
                    Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
                    out.copyFrom(new float[n]);
                    sampler.step(x, out, null);
                }
            }
            assertTrue(sampler.isDone());
            assertThrows(IllegalStateException.class, () -> sampler.step(x, x, null));
        }
    }

    @Test
    void badInputIsAnIllegalArgumentExceptionNamingTheProblem() {
        assertMessage("steps must be >= 1, got 0", () -> Sampler.builder(SamplerKind.DDIM).steps(0));
        assertMessage("steps must be >= 1, got 0", () -> NoiseSchedule.flow(1).points(0));
        assertMessage("guidance scale must be finite and >= 0, got NaN", () -> Sampler.builder(SamplerKind.DDIM).guidance(Double.NaN));
        assertMessage("guidance scale must be finite and >= 0, got -2.0", () -> Sampler.builder(SamplerKind.DDIM).guidance(-2));
        assertMessage("guidance rescale must be in [0, 1]", () -> Sampler.builder(SamplerKind.DDIM).guidanceRescale(Double.NaN));
        assertMessage("eta applies to DDIM, not to EULER", () -> Sampler.builder(SamplerKind.EULER).eta(0.5));
        assertMessage("eta must be in [0, 1], got 1.5", () -> Sampler.builder(SamplerKind.DDIM).eta(1.5));
        assertMessage("EPSILON prediction cannot be used at step 0", () -> Sampler.builder(SamplerKind.EULER)
                .schedule(NoiseSchedule.flow(3)).prediction(PredictionType.EPSILON).build());
        assertMessage("Karras sigmas apply to DDPM schedules", () -> NoiseSchedule.flow(3).withKarrasSigmas(true));
        assertMessage("shift must be finite and > 0", () -> NoiseSchedule.flow(0));
        assertMessage("betas must satisfy 0 < betaStart <= betaEnd < 1",
                () -> NoiseSchedule.ddpm(BetaSchedule.LINEAR, 1000, 0.02, 0.01));
        assertMessage("steps (1001) exceed the 1000 training steps", () -> NoiseSchedule.ddpm(BetaSchedule.LINEAR).points(1001));
        try (Scope scope = Scope.open(); Sampler sampler = Sampler.builder(SamplerKind.DPM_SOLVER_2M).guidance(5).steps(3).build()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2, 8));
            Tensor c = Tensor.allocate(Device.CPU, DType.BF16, Shape.of(2, 8));
            Tensor wrongShape = Tensor.allocate(Device.CPU, DType.BF16, Shape.of(16));
            Tensor wrongType = Tensor.allocate(Device.CPU, DType.F16, Shape.of(2, 8));
            assertMessage("guidance scale 5.0 needs the unconditional output", () -> sampler.step(x, c, null));
            assertMessage("uncond has shape [16], x has [2, 8]", () -> sampler.step(x, c, wrongShape));
            assertMessage("uncond is F16 but cond is BF16", () -> sampler.step(x, c, wrongType));
            assertMessage("cond is null", () -> sampler.step(x, null, c));
            assertFalse(sampler.isDone());
            assertEquals(0, sampler.evaluationsDone(), "a refused step does not advance the sampler");
        }
    }

    @Test
    void buildersPrintWhatReproducesTheRun() {
        String s = Sampler.builder(SamplerKind.DDIM).schedule(NoiseSchedule.flow(3)).steps(30)
                .prediction(PredictionType.FLOW).guidance(4.5).eta(0.3).seed(-1).toString();
        assertEquals("Sampler(DDIM, NoiseSchedule.flow(shift=3.0), steps=30, prediction=FLOW, guidance=4.5, "
                + "rescale=0.0, eta=0.3, seed=18446744073709551615)", s);
    }
}
