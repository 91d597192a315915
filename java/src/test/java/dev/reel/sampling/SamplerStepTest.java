package dev.reel.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Noise;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.sampling.NoiseSchedule.Point;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every sampler's fused steps against a plain double-precision statement of its
 * textbook update (k-diffusion's and diffusers' forms, written here
 * independently of {@link Samplers}), fed the same arbitrary model outputs and
 * the same Philox noise. The kernel keeps the state in fp32: each step adds a
 * few fp32 roundings of terms of magnitude up to 1/α_t ≈ 15 times the state, so
 * over 5 steps the difference stays below 5·(8·2⁻²⁴·15·|terms|) ≈ 1e-4 for
 * values of order 1.
 */
class SamplerStepTest {
    private static final int N = 4001;
    private static final int STEPS = 5;
    private static final long SEED = 77;

    private static float[] noise(long stream) {
        try (Tensor z = Tensor.allocate(Device.CPU, DType.F32, Shape.of(N))) {
            Noise.fillNormal(z, SEED, stream, 0);
            return z.toFloatArray();
        }
    }

    /** Runs the sampler on arbitrary model outputs; returns the outputs used and the final state. */
    private static float[] run(Sampler sampler, float[] start, List<float[]> outputs) {
        Random random = new Random(3);
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(N));
            Tensor c = Tensor.allocate(Device.CPU, DType.F32, Shape.of(N));
            x.copyFrom(start);
            while (!sampler.isDone()) {
                float[] m = new float[N];
                for (int i = 0; i < N; i++) {
                    m[i] = (float) random.nextGaussian();
                }
                outputs.add(m);
                c.copyFrom(m);
                sampler.step(x, c, null);
            }
            return x.toFloatArray();
        }
    }

    private static void check(SamplerKind kind, NoiseSchedule schedule, PredictionType prediction, double eta) {
        Sampler.Builder b = Sampler.builder(kind).schedule(schedule).steps(STEPS).prediction(prediction).seed(SEED);
        if (kind == SamplerKind.DDIM) {
            b.eta(eta);
        }
        float[] start = noise(0);
        List<float[]> outputs = new ArrayList<>();
        float[] got;
        try (Sampler sampler = b.build()) {
            got = run(sampler, start, outputs);
        }
        List<Point> pts = schedule.points(STEPS);
        List<float[]> z = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) {
            z.add(noise(i + 1));
        }
        for (int k = 0; k < N; k++) {
            double want = reference(kind, pts, prediction, eta, start[k], outputs, z, k, schedule.isFlow());
            assertEquals(want, got[k], 1e-4 * (1 + Math.abs(want)), kind + " on " + schedule + ", element " + k);
        }
    }

    private static double x0(PredictionType p, double x, double m, Point t) {
        return p == PredictionType.EPSILON ? (x - t.sigma() * m) / t.alpha() : x - t.sigma() * m; // FLOW: α + σ = 1
    }

    private static double reference(SamplerKind kind, List<Point> pts, PredictionType pred, double eta, double x,
            List<float[]> outputs, List<float[]> noise, int k, boolean flow) {
        int e = 0;
        double x0Prev = 0;
        for (int i = 0; i < STEPS; i++) {
            Point t = pts.get(i), s = pts.get(i + 1);
            double m = outputs.get(e++)[k], z = 0;
            if (kind == SamplerKind.DDPM || kind == SamplerKind.EULER_ANCESTRAL || kind == SamplerKind.DDIM) {
                z = noise.get(i)[k];
            }
            double x0 = x0(pred, x, m, t), eps = (x - t.alpha() * x0) / t.sigma();
            double st = t.sigma() / t.alpha(), ss = s.sigma() / s.alpha(); // VE noise levels
            switch (kind) {
                case DDIM: {
                    double ats = t.alpha() / s.alpha();
                    double var = (t.sigma() * t.sigma() - ats * ats * s.sigma() * s.sigma()) * s.sigma() * s.sigma()
                            / (t.sigma() * t.sigma());
                    double se = eta * Math.sqrt(Math.max(var, 0));
                    x = s.alpha() * x0 + Math.sqrt(s.sigma() * s.sigma() - se * se) * eps + se * z;
                    break;
                }
                case DDPM: { // posterior q(x_s | x_t, x0), written with betas of the stride
                    double abarT = t.alpha() * t.alpha(), abarS = s.alpha() * s.alpha();
                    double beta = 1 - abarT / abarS;
                    double mean = Math.sqrt(abarS) * beta / (1 - abarT) * x0
                            + Math.sqrt(1 - beta) * (1 - abarS) / (1 - abarT) * x;
                    x = mean + Math.sqrt((1 - abarS) / (1 - abarT) * beta) * z;
                    break;
                }
                case EULER:
                    if (flow) {
                        x = x + (s.sigma() - t.sigma()) * m;
                    } else {
                        double xve = x / t.alpha(), d = (xve - x0) / st;
                        x = s.alpha() * (xve + (ss - st) * d);
                    }
                    break;
                case EULER_ANCESTRAL: { // k-diffusion get_ancestral_step, η = 1
                    double up = Math.min(ss, Math.sqrt(ss * ss * (st * st - ss * ss) / (st * st)));
                    double down = Math.sqrt(ss * ss - up * up);
                    double xve = x / t.alpha(), d = (xve - x0) / st;
                    x = s.alpha() * (xve + (down - st) * d + up * z);
                    break;
                }
                case HEUN: {
                    if (flow) {
                        double h = s.sigma() - t.sigma(), d1 = m;
                        if (s.sigma() == 0) {
                            x = x + h * d1;
                        } else {
                            double d2 = outputs.get(e++)[k];
                            x = x + h * (d1 + d2) / 2;
                        }
                    } else {
                        double xve = x / t.alpha(), d1 = (xve - x0) / st;
                        if (s.sigma() == 0) {
                            x = s.alpha() * (xve + (ss - st) * d1);
                        } else {
                            double x2ve = xve + (ss - st) * d1, x2 = s.alpha() * x2ve;
                            double m2 = outputs.get(e++)[k], d2 = (x2ve - x0(pred, x2, m2, s)) / ss;
                            x = s.alpha() * (xve + (ss - st) * (d1 + d2) / 2);
                        }
                    }
                    break;
                }
                default: { // DPM-Solver++(2M), diffusers' midpoint form, first order first and last
                    if (s.sigma() == 0) {
                        x = x0;
                        break;
                    }
                    double lt = Math.log(t.alpha() / t.sigma()), ls = Math.log(s.alpha() / s.sigma()), h = ls - lt;
                    double d = x0;
                    if (i > 0) {
                        Point p = pts.get(i - 1);
                        double r = (lt - Math.log(p.alpha() / p.sigma())) / h;
                        d = x0 + 0.5 / r * (x0 - x0Prev);
                    }
                    x = s.sigma() / t.sigma() * x - s.alpha() * (Math.exp(-h) - 1) * d;
                    break;
                }
            }
            x0Prev = x0;
        }
        return x;
    }

    private static final NoiseSchedule VP = NoiseSchedule.ddpm(NoiseSchedule.BetaSchedule.SCALED_LINEAR);
    // Flow matching in flow coordinates (Euler, Heun): the VE forms would divide by α = 0 at σ = 1.
    private static final NoiseSchedule FLOW = NoiseSchedule.flow(3);

    @Test
    void ddimMatchesItsTextbookUpdate() {
        check(SamplerKind.DDIM, VP, PredictionType.EPSILON, 0);
        check(SamplerKind.DDIM, VP, PredictionType.EPSILON, 0.6);
    }

    @Test
    void ddpmMatchesItsTextbookUpdate() {
        check(SamplerKind.DDPM, VP, PredictionType.EPSILON, 0);
    }

    @Test
    void eulerMatchesItsTextbookUpdate() {
        check(SamplerKind.EULER, VP, PredictionType.EPSILON, 0);
        check(SamplerKind.EULER, FLOW, PredictionType.FLOW, 0);
    }

    @Test
    void eulerAncestralMatchesItsTextbookUpdate() {
        check(SamplerKind.EULER_ANCESTRAL, VP, PredictionType.EPSILON, 0);
    }

    @Test
    void heunMatchesItsTextbookUpdate() {
        check(SamplerKind.HEUN, VP, PredictionType.EPSILON, 0);
        check(SamplerKind.HEUN, FLOW, PredictionType.FLOW, 0);
    }

    @Test
    void dpmSolver2MMatchesItsTextbookUpdate() {
        check(SamplerKind.DPM_SOLVER_2M, VP, PredictionType.EPSILON, 0);
    }
}
