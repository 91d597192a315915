package dev.reel.sampling;

import dev.reel.sampling.NoiseSchedule.Point;
import java.util.List;

/**
 * The samplers' mathematics: for step i from point t = points[i] to
 * s = points[i + 1] of a schedule, the update of each model evaluation as a
 * linear form ({@link Update}). Notation: α, σ of the two points; VE
 * coordinates {@code x/α} with noise level {@code σ/α} (Karras et al. 2022);
 * {@code λ = ln(α/σ)}. The posterior q(x_s | x_t, x0) of the forward process has
 * {@code σ²_{t|s} = σ_t² − (α_t/α_s)²·σ_s²} and variance
 * {@code σ²_{t|s}·σ_s²/σ_t²}.
 */
final class Samplers {
    private Samplers() {}

    static double posteriorVariance(Point t, Point s) {
        double ats = t.alpha() / s.alpha();
        double sts2 = Math.max(0, t.sigma() * t.sigma() - ats * ats * s.sigma() * s.sigma());
        return sts2 * s.sigma() * s.sigma() / (t.sigma() * t.sigma());
    }

    /** DDIM (Song et al. 2021): x_s = α_s·x0 + sqrt(σ_s² − σ_η²)·ε + σ_η·z, σ_η = η·sqrt(posterior variance). */
    static Update ddim(Point t, Point s, double eta) {
        double se = eta * Math.sqrt(posteriorVariance(t, s));
        return new Update().out(0, s.alpha(), Math.sqrt(Math.max(0, s.sigma() * s.sigma() - se * se))).noise(se);
    }

    /** DDPM ancestral (Ho et al. 2020): the posterior mean given x0, plus its standard deviation times z. */
    static Update ddpm(Point t, Point s) {
        double ats = t.alpha() / s.alpha();
        double sts2 = Math.max(0, t.sigma() * t.sigma() - ats * ats * s.sigma() * s.sigma());
        double st2 = t.sigma() * t.sigma(), ss2 = s.sigma() * s.sigma();
        return new Update().out(ats * ss2 / st2, s.alpha() * sts2 / st2, 0).noise(Math.sqrt(posteriorVariance(t, s)));
    }

    /**
     * Euler on the probability-flow ODE: for flow schedules dx/dt = ε − x0 in x
     * itself; for variance-preserving ones d(x/α)/d(σ/α) = ε in VE coordinates.
     */
    static Update euler(Point t, Point s, boolean flow) {
        if (flow) {
            double h = s.sigma() - t.sigma();
            return new Update().out(1, -h, h);
        }
        double h = s.sigma() / s.alpha() - t.sigma() / t.alpha();
        return new Update().out(s.alpha() / t.alpha(), 0, s.alpha() * h);
    }

    /**
     * Euler ancestral (k-diffusion's sample_euler_ancestral, η = 1) in VE
     * coordinates: down to s_down = sqrt(s_s² − s_up²), then up by
     * s_up = s_s·sqrt(1 − s_s²/s_t²) of fresh noise. Written from x0 so that it
     * holds at α_t = 0 (s_t = ∞) too.
     */
    static Update eulerAncestral(Point t, Point s) {
        double st = t.sigma() / t.alpha(), ss = s.sigma() / s.alpha();
        double ratio = ss / st; // 0 when st is infinite
        double up = ss * Math.sqrt(Math.max(0, 1 - ratio * ratio));
        double down = Math.sqrt(Math.max(0, ss * ss - up * up));
        return new Update().out(0, s.alpha(), s.alpha() * down).noise(s.alpha() * up);
    }

    /**
     * Heun's method (Karras et al. 2022, Algorithm 1 without churn) in the
     * coordinates of {@link #euler}: stage 1 is an Euler step to x̃ that also
     * stores the half step {@code x + h/2·d1} in the aux memory; stage 2, the model
     * evaluated at x̃ and s, adds {@code h/2·d2} to it. The final step (σ_s = 0) is
     * a single Euler step. Returns one or two updates.
     */
    static List<Update> heun(Point t, Point s, boolean flow) {
        Update euler = euler(t, s, flow);
        if (s.sigma() == 0) {
            return List.of(euler);
        }
        if (flow) {
            double h = s.sigma() - t.sigma();
            return List.of(euler.aux(1, -h / 2, h / 2), new Update().prev(1).out(0, -h / 2, h / 2));
        }
        double h = s.sigma() / s.alpha() - t.sigma() / t.alpha();
        return List.of(euler.aux(s.alpha() / t.alpha(), 0, s.alpha() * h / 2),
                new Update().prev(1).out(0, 0, s.alpha() * h / 2));
    }

    /**
     * DPM-Solver++(2M) (Lu et al. 2022), data prediction, multistep:
     * x_s = (σ_s/σ_t)·x − α_s·(e^{−h} − 1)·D with h = λ_s − λ_t and
     * D = (1 + 1/(2r))·x0 − 1/(2r)·x0_prev, r = h_prev/h. The first step and the
     * step to σ = 0 are first order (D = x0). Stores x0 in the aux memory.
     */
    static Update dpmSolver2M(Point previous, Point t, Point s, boolean first) {
        double h = s.sigma() == 0 ? Double.POSITIVE_INFINITY : s.lambda() - t.lambda();
        double phi = -Math.expm1(-h);
        Update u = new Update().aux(0, 1, 0);
        double xc = s.sigma() / t.sigma();
        if (first || s.sigma() == 0) {
            return u.out(xc, s.alpha() * phi, 0);
        }
        double hPrev = t.lambda() - previous.lambda();
        double k = h / (2 * hPrev); // 1/(2r); 0 when the previous step started at α = 0
        return u.out(xc, s.alpha() * phi * (1 + k), 0).prev(-s.alpha() * phi * k);
    }
}
