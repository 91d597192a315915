package dev.reel.sampling;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.sampling.NoiseSchedule.Point;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Sampling accuracy with an analytic denoiser ({@link AnalyticData}): the model
 * is the ideal one for the data, so every error left is the sampler's. n = 10⁵
 * one-dimensional samples start from the exact noisy marginal at the first point
 * of the schedule and are sampled on the CPU backend through {@link Sampler}.
 *
 * <p>Measures, for each sampler at 10, 25 and 50 steps:
 * <ul>
 *   <li>{@code |mean − μ|} and {@code |var − v|} against the data's moments;</li>
 *   <li>for the deterministic samplers, the RMS distance to the exact
 *   probability-flow ODE solution from the same start values (in one dimension
 *   the monotone rearrangement {@code F_data⁻¹ ∘ F_start}, computed in double).
 *   This pairs the sampler with the exact flow, so it carries no Monte Carlo
 *   noise: it is the discretisation error itself.</li>
 * </ul>
 *
 * <p>Bounds, derived:
 * <ul>
 *   <li>Monte Carlo: a sample of n values from a distribution of variance V and
 *   fourth central moment μ₄ has a mean within {@code 4.5·sqrt(V/n)} and a
 *   variance within {@code 4.5·sqrt((μ₄ − V²)/n)} of the true ones, except with
 *   probability about 10⁻⁵ (CLT).</li>
 *   <li>Gaussian data: every sampler is then linear-Gaussian (the ideal model is
 *   affine in x), so the exact mean and variance of its output follow from
 *   propagating (mean, covariance) of (x, sampler memory) through the planned
 *   coefficients in double. The measured moments must lie within the Monte
 *   Carlo bound of those — stochastic samplers included.</li>
 *   <li>Deterministic samplers, any data: with e = the RMS distance to the exact
 *   ODE solution y of the same start values, Cauchy–Schwarz gives
 *   {@code |mean(x) − mean(y)| ≤ e} and {@code |var(x) − var(y)| ≤ e·(2·sd(y) + e)},
 *   and y is an exact sample of the data: so {@code |mean − μ| ≤ MC + e} and
 *   {@code |var − v| ≤ MC + e·(2·sd + e)}; e itself must fall as steps grow and
 *   stay below the stated thresholds.</li>
 *   <li>Stochastic samplers on the mixture (no closed form): within the Monte
 *   Carlo bound plus the largest discretisation bias the same sampler shows on
 *   the Gaussian at the same steps (exact, from the propagation), doubled.</li>
 * </ul>
 * The table is written to {@code java/target/sampling-accuracy.md} (and
 * bench/RESULTS.md keeps a copy).
 */
class SamplerAccuracyTest {
    static final int N = 100_000;
    static final int[] STEPS = {10, 25, 50};
    static final double Z = 4.5;

    record Config(String name, NoiseSchedule schedule, PredictionType prediction) {}

    static final Config VP = new Config("DDPM scaled-linear, trailing, ε-prediction",
            NoiseSchedule.ddpm(NoiseSchedule.BetaSchedule.SCALED_LINEAR), PredictionType.EPSILON);
    static final Config FLOW = new Config("flow matching, shift 3, flow prediction", NoiseSchedule.flow(3),
            PredictionType.FLOW);
    static final AnalyticData GAUSSIAN = AnalyticData.gaussian(0.5, 0.8);
    static final AnalyticData MIXTURE = new AnalyticData("0.3·N(−1.5, 0.3²) + 0.7·N(1, 0.5²)",
            new double[] {0.3, 0.7}, new double[] {-1.5, 1}, new double[] {0.3, 0.5});

    static final SamplerKind[] DETERMINISTIC = {SamplerKind.DDIM, SamplerKind.EULER, SamplerKind.HEUN,
        SamplerKind.DPM_SOLVER_2M};
    static final SamplerKind[] STOCHASTIC = {SamplerKind.DDPM, SamplerKind.EULER_ANCESTRAL};

    record Result(Config config, AnalyticData data, SamplerKind kind, int steps, int nfe, double mean, double var,
            double rms, double expectedMean, double expectedVar) {
        double meanError() {
            return Math.abs(mean - data.mean());
        }

        double varError() {
            return Math.abs(var - data.variance());
        }
    }

    private static final Map<String, Result> RESULTS = new LinkedHashMap<>();
    private static final Map<String, float[]> STARTS = new LinkedHashMap<>();
    private static final Map<String, double[]> EXACT = new LinkedHashMap<>();

    static synchronized Result result(Config config, AnalyticData data, SamplerKind kind, int steps) {
        String key = config.name + "|" + data.name + "|" + kind + "|" + steps;
        Result r = RESULTS.get(key);
        if (r == null) {
            r = run(config, data, kind, steps);
            RESULTS.put(key, r);
        }
        return r;
    }

    private static Result run(Config config, AnalyticData data, SamplerKind kind, int steps) {
        Point first = config.schedule.points(1).get(0);
        String startKey = config.name + "|" + data.name;
        float[] start = STARTS.computeIfAbsent(startKey, k -> data.sampleMarginal(N, first.alpha(), first.sigma(), 7));
        try (Sampler sampler = Sampler.builder(kind).schedule(config.schedule).steps(steps)
                .prediction(config.prediction).seed(11).build()) {
            float[] x = sample(sampler, start, data, config.prediction);
            double mean = 0, var = 0, rms = Double.NaN;
            for (float v : x) {
                mean += v;
            }
            mean /= N;
            for (float v : x) {
                var += (v - mean) * (v - mean);
            }
            var /= N - 1;
            if (kind != SamplerKind.DDPM && kind != SamplerKind.EULER_ANCESTRAL) {
                double[] exact = EXACT.computeIfAbsent(startKey, k -> data.transport(start, first.alpha(), first.sigma()));
                double ss = 0;
                for (int i = 0; i < N; i++) {
                    ss += (x[i] - exact[i]) * (x[i] - exact[i]);
                }
                rms = Math.sqrt(ss / N);
            }
            double[] expected = data.w.length == 1 ? propagate(sampler, data, config.prediction, first)
                    : new double[] {Double.NaN, Double.NaN};
            return new Result(config, data, kind, steps, sampler.modelEvaluations(), mean, var, rms, expected[0],
                    expected[1]);
        }
    }

    /** Runs the sampler with the ideal model of {@code data}; returns the final samples. */
    static float[] sample(Sampler sampler, float[] start, AnalyticData data, PredictionType prediction) {
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(start.length));
            Tensor cond = Tensor.allocate(Device.CPU, DType.F32, Shape.of(start.length));
            x.copyFrom(start);
            float[] m = new float[start.length];
            while (!sampler.isDone()) {
                Point p = sampler.point();
                float[] xs = x.toFloatArray();
                for (int i = 0; i < xs.length; i++) {
                    m[i] = (float) data.output(prediction, xs[i], p.alpha(), p.sigma());
                }
                cond.copyFrom(m);
                sampler.step(x, cond, null);
            }
            return x.toFloatArray();
        }
    }

    /**
     * Exact (mean, variance) of the output for Gaussian data: the model output is
     * m = k1·x + k0, each evaluation maps (x, memory) affinely plus cZ·z.
     */
    static double[] propagate(Sampler sampler, AnalyticData data, PredictionType prediction, Point first) {
        double ex = first.alpha() * data.mu[0];
        double cxx = first.alpha() * first.alpha() * data.s[0] * data.s[0] + first.sigma() * first.sigma();
        double em = 0, cxm = 0, cmm = 0;
        for (Sampler.Evaluation e : sampler.evaluations()) {
            Point p = e.point();
            double k0 = data.output(prediction, 0, p.alpha(), p.sigma());
            double k1 = data.output(prediction, 1, p.alpha(), p.sigma()) - k0;
            SchedulerStep u = e.update();
            double a = u.cX() + u.cM() * k1, b = u.cM() * k0, pc = e.readsMemory() ? u.cP() : 0, zc = u.cZ();
            double nex = a * ex + pc * em + b;
            double ncxx = a * a * cxx + 2 * a * pc * cxm + pc * pc * cmm + zc * zc;
            if (e.writesMemory()) {
                double q = u.aX() + u.aM() * k1, d = u.aM() * k0;
                double ncxm = q * (a * cxx + pc * cxm);
                cmm = q * q * cxx;
                em = q * ex + d;
                cxm = ncxm;
            } else {
                cxm = a * cxm + pc * cmm;
            }
            ex = nex;
            cxx = ncxx;
        }
        return new double[] {ex, cxx};
    }

    static double meanBound(double var) {
        return Z * Math.sqrt(var / N);
    }

    static double varBound(double var, double fourth) {
        return Z * Math.sqrt((fourth - var * var) / N);
    }

    @Test
    void gaussianMomentsMatchTheirExactPropagationForEverySampler() {
        for (Config c : new Config[] {VP, FLOW}) {
            for (SamplerKind kind : allKinds()) {
                for (int steps : STEPS) {
                    Result r = result(c, GAUSSIAN, kind, steps);
                    double v = r.expectedVar;
                    assertTrue(Math.abs(r.mean - r.expectedMean) <= meanBound(v),
                            () -> r + ": mean off its exact value by more than " + meanBound(v));
                    assertTrue(Math.abs(r.var - v) <= varBound(v, 3 * v * v),
                            () -> r + ": variance off its exact value by more than " + varBound(v, 3 * v * v));
                }
            }
        }
    }

    @Test
    void deterministicSamplersReproduceMeanAndVarianceWithinTheDerivedBound() {
        for (Config c : new Config[] {VP, FLOW}) {
            for (AnalyticData d : new AnalyticData[] {GAUSSIAN, MIXTURE}) {
                for (SamplerKind kind : DETERMINISTIC) {
                    for (int steps : STEPS) {
                        Result r = result(c, d, kind, steps);
                        double e = r.rms, sd = Math.sqrt(d.variance());
                        assertTrue(r.meanError() <= meanBound(d.variance()) + e, r::toString);
                        assertTrue(r.varError() <= varBound(d.variance(), d.fourthMoment()) + e * (2 * sd + e), r::toString);
                    }
                }
            }
        }
    }

    @Test
    void stochasticSamplersReproduceTheMixtureWithinMonteCarloPlusTheGaussianBias() {
        for (Config c : new Config[] {VP, FLOW}) {
            for (SamplerKind kind : STOCHASTIC) {
                for (int steps : STEPS) {
                    Result g = result(c, GAUSSIAN, kind, steps), r = result(c, MIXTURE, kind, steps);
                    double bias = Math.max(Math.abs(g.expectedMean - GAUSSIAN.mean()),
                            Math.abs(g.expectedVar - GAUSSIAN.variance()) / GAUSSIAN.variance());
                    double v = MIXTURE.variance();
                    assertTrue(r.meanError() <= meanBound(v) + 2 * bias * Math.sqrt(v), r::toString);
                    assertTrue(r.varError() <= varBound(v, MIXTURE.fourthMoment()) + 2 * bias * v, r::toString);
                }
            }
        }
    }

    /**
     * Upper bounds on the RMS distance to the exact ODE solution at 50 steps, in
     * units of the data's sd: the largest value measured over both schedules and
     * both data sets (first order 0.041, DDIM / Euler on the flow Gaussian; second
     * order 0.016, Heun and DPM-Solver++ 2M on the DDPM mixture), with 1.5x
     * margin. The final step to σ = 0 is a first-order jump for every sampler,
     * which is why second order gains less on the DDPM schedule than on flow.
     */
    static double threshold50(SamplerKind kind) {
        return kind == SamplerKind.HEUN || kind == SamplerKind.DPM_SOLVER_2M ? 0.025 : 0.06;
    }

    @Test
    void deterministicErrorFallsAsStepsGrow() {
        for (Config c : new Config[] {VP, FLOW}) {
            for (AnalyticData d : new AnalyticData[] {GAUSSIAN, MIXTURE}) {
                for (SamplerKind kind : DETERMINISTIC) {
                    Result r10 = result(c, d, kind, 10), r25 = result(c, d, kind, 25), r50 = result(c, d, kind, 50);
                    assertTrue(r10.rms > r25.rms && r25.rms > r50.rms, () -> r10 + "\n" + r25 + "\n" + r50);
                    assertTrue(r50.rms <= threshold50(kind) * Math.sqrt(d.variance()), r50::toString);
                }
            }
        }
    }

    @Test
    void higherOrderSamplersBeatEulerAndDdimAtEqualModelEvaluations() {
        for (Config c : new Config[] {VP, FLOW}) {
            for (AnalyticData d : new AnalyticData[] {GAUSSIAN, MIXTURE}) {
                for (int steps : STEPS) {
                    Result dpm = result(c, d, SamplerKind.DPM_SOLVER_2M, steps);
                    for (SamplerKind first : new SamplerKind[] {SamplerKind.DDIM, SamplerKind.EULER}) {
                        Result base = result(c, d, first, steps);
                        assertTrue(dpm.nfe == base.nfe && dpm.rms < base.rms, () -> dpm + "\nvs " + base);
                    }
                }
                for (int steps : new int[] {10, 25}) {
                    Result heun = result(c, d, SamplerKind.HEUN, steps);
                    for (SamplerKind first : new SamplerKind[] {SamplerKind.DDIM, SamplerKind.EULER}) {
                        Result base = result(c, d, first, heun.nfe);
                        assertTrue(heun.nfe == base.nfe && heun.rms < base.rms, () -> heun + "\nvs " + base);
                    }
                }
            }
        }
    }

    static List<SamplerKind> allKinds() {
        List<SamplerKind> all = new ArrayList<>(List.of(DETERMINISTIC));
        all.addAll(List.of(STOCHASTIC));
        return all;
    }

    @AfterAll
    static void writeTable() throws IOException {
        if (RESULTS.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("n = ").append(N).append(" samples per run, ideal model, CPU backend. Errors at 10 / 25 / 50 steps: ")
                .append("RMS distance to the exact probability-flow ODE solution from the same start values ")
                .append("(deterministic samplers only: the discretisation error itself), and |var − v| against the data ")
                .append("(includes the Monte Carlo error of the start values, ~0.005·v).\n\n");
        sb.append("| schedule | data | sampler | model evals | RMS vs exact ODE | \\|var − v\\| |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (Config c : new Config[] {VP, FLOW}) {
            for (AnalyticData d : new AnalyticData[] {GAUSSIAN, MIXTURE}) {
                for (SamplerKind kind : allKinds()) {
                    Result[] r = new Result[STEPS.length];
                    for (int i = 0; i < STEPS.length; i++) {
                        r[i] = RESULTS.get(c.name + "|" + d.name + "|" + kind + "|" + STEPS[i]);
                    }
                    if (r[0] == null || r[1] == null || r[2] == null) {
                        continue;
                    }
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d / %d / %d | %s | %s |\n", c.name, d.name,
                            kind, r[0].nfe, r[1].nfe, r[2].nfe,
                            Double.isNaN(r[0].rms) ? "—" : triple(r[0].rms, r[1].rms, r[2].rms),
                            triple(r[0].varError(), r[1].varError(), r[2].varError())));
                }
            }
        }
        sb.append("\nAt equal model evaluations (RMS vs exact ODE):\n\n");
        sb.append("| schedule | data | model evals | Heun | DPM-Solver++ 2M | DDIM | Euler |\n|---|---|---:|---:|---:|---:|---:|\n");
        for (Config c : new Config[] {VP, FLOW}) {
            for (AnalyticData d : new AnalyticData[] {GAUSSIAN, MIXTURE}) {
                for (int nfe : new int[] {10, 19, 25, 49, 50}) {
                    String prefix = c.name + "|" + d.name + "|";
                    Result heun = (nfe % 2 == 1) ? RESULTS.get(prefix + SamplerKind.HEUN + "|" + (nfe + 1) / 2) : null;
                    Result dpm = RESULTS.get(prefix + SamplerKind.DPM_SOLVER_2M + "|" + nfe);
                    Result ddim = RESULTS.get(prefix + SamplerKind.DDIM + "|" + nfe);
                    Result euler = RESULTS.get(prefix + SamplerKind.EULER + "|" + nfe);
                    if (ddim == null || euler == null) {
                        continue;
                    }
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %.2e | %.2e |\n", c.name, d.name, nfe,
                            heun == null ? "—" : String.format(Locale.ROOT, "%.2e", heun.rms),
                            dpm == null ? "—" : String.format(Locale.ROOT, "%.2e", dpm.rms), ddim.rms, euler.rms));
                }
            }
        }
        System.out.println(sb);
        Path out = Path.of("target", "sampling-accuracy.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb.toString(), StandardCharsets.UTF_8);
    }

    private static String triple(double a, double b, double c) {
        return String.format(Locale.ROOT, "%.2e / %.2e / %.2e", a, b, c);
    }
}
