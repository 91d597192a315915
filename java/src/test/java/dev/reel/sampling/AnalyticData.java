package dev.reel.sampling;

import java.util.Arrays;
import java.util.Random;

/**
 * One-dimensional data whose ideal denoiser is closed-form: a mixture of
 * Gaussians N(μ_k, s_k²) with weights w_k (one component: a Gaussian). For a
 * noisy sample x = α·x0 + σ·ε the marginal is the mixture of
 * N(α·μ_k, α²·s_k² + σ²), and E[x0 | x] = Σ_k r_k(x)·(μ_k + α·s_k²/(α²·s_k² + σ²)·(x − α·μ_k))
 * with r_k the posterior weight of component k. Since E[ε | x] = (x − α·E[x0 | x])/σ,
 * every prediction type's ideal output follows.
 */
final class AnalyticData {
    final double[] w;
    final double[] mu;
    final double[] s;
    final String name;

    AnalyticData(String name, double[] w, double[] mu, double[] s) {
        this.name = name;
        this.w = w;
        this.mu = mu;
        this.s = s;
    }

    static AnalyticData gaussian(double mu, double s) {
        return new AnalyticData("N(" + mu + ", " + s + "²)", new double[] {1}, new double[] {mu}, new double[] {s});
    }

    double mean() {
        double m = 0;
        for (int k = 0; k < w.length; k++) {
            m += w[k] * mu[k];
        }
        return m;
    }

    double variance() {
        double m = mean(), v = 0;
        for (int k = 0; k < w.length; k++) {
            v += w[k] * (s[k] * s[k] + (mu[k] - m) * (mu[k] - m));
        }
        return v;
    }

    /** Fourth central moment, for the standard error of a sample variance. */
    double fourthMoment() {
        double m = mean(), r = 0;
        for (int k = 0; k < w.length; k++) {
            double d = mu[k] - m, v = s[k] * s[k];
            r += w[k] * (d * d * d * d + 6 * d * d * v + 3 * v * v);
        }
        return r;
    }

    /** The ideal model output of the prediction type at x and (α, σ). */
    double output(PredictionType type, double x, double alpha, double sigma) {
        double x0 = posteriorMean(x, alpha, sigma);
        return type.output(x0, (x - alpha * x0) / sigma, alpha, sigma);
    }

    double posteriorMean(double x, double alpha, double sigma) {
        if (w.length == 1) {
            double v = alpha * alpha * s[0] * s[0] + sigma * sigma;
            return mu[0] + alpha * s[0] * s[0] / v * (x - alpha * mu[0]);
        }
        double[] logr = new double[w.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < w.length; k++) {
            double v = alpha * alpha * s[k] * s[k] + sigma * sigma, d = x - alpha * mu[k];
            logr[k] = Math.log(w[k]) - 0.5 * Math.log(v) - 0.5 * d * d / v;
            max = Math.max(max, logr[k]);
        }
        double norm = 0, acc = 0;
        for (int k = 0; k < w.length; k++) {
            double r = Math.exp(logr[k] - max), v = alpha * alpha * s[k] * s[k] + sigma * sigma;
            norm += r;
            acc += r * (mu[k] + alpha * s[k] * s[k] / v * (x - alpha * mu[k]));
        }
        return acc / norm;
    }

    /** n samples of the noisy marginal at (α, σ). */
    float[] sampleMarginal(int n, double alpha, double sigma, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble(), acc = 0;
            int k = 0;
            while (k < w.length - 1 && u >= acc + w[k]) {
                acc += w[k];
                k++;
            }
            double x0 = mu[k] + s[k] * random.nextGaussian();
            x[i] = (float) (alpha * x0 + sigma * random.nextGaussian());
        }
        return x;
    }

    double cdf(double x, double alpha, double sigma) {
        double p = 0;
        for (int k = 0; k < w.length; k++) {
            p += w[k] * normalCdf((x - alpha * mu[k]) / Math.sqrt(alpha * alpha * s[k] * s[k] + sigma * sigma));
        }
        return p;
    }

    double density(double x) {
        double f = 0;
        for (int k = 0; k < w.length; k++) {
            double z = (x - mu[k]) / s[k];
            f += w[k] * Math.exp(-0.5 * z * z) / (s[k] * Math.sqrt(2 * Math.PI));
        }
        return f;
    }

    /**
     * The exact probability-flow ODE solution from (α, σ) to the data for each
     * start value: in one dimension the flow is increasing and carries the
     * marginal to the data, so it is the monotone rearrangement
     * {@code F_data⁻¹(F_(α,σ)(x))}.
     */
    double[] transport(float[] start, double alpha, double sigma) {
        int n = start.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(start[a], start[b]));
        double[] out = new double[n];
        double lo = Double.NEGATIVE_INFINITY;
        for (int idx : order) {
            double p = cdf(start[idx], alpha, sigma);
            out[idx] = lo = inverseCdf(p, lo);
        }
        return out;
    }

    // Safeguarded Newton on F(y) = p with y >= lower (the previous, smaller quantile).
    private double inverseCdf(double p, double lower) {
        double lo = Double.isInfinite(lower) ? mean() - 40 * Math.sqrt(variance()) : lower;
        double hi = mean() + 40 * Math.sqrt(variance());
        double y = Double.isInfinite(lower) ? mean() - 6 * Math.sqrt(variance()) : lower;
        for (int it = 0; it < 200; it++) {
            double f = cdf(y, 1, 0) - p;
            if (f < 0) {
                lo = y;
            } else {
                hi = y;
            }
            if (hi - lo < 1e-13 * (1 + Math.abs(y))) {
                break;
            }
            double next = y - f / density(y);
            if (next > lo && next < hi && Double.isFinite(next)) {
                boolean converged = Math.abs(next - y) < 1e-14 * (1 + Math.abs(y));
                y = next;
                if (converged) {
                    break;
                }
            } else {
                y = 0.5 * (lo + hi);
            }
        }
        return y;
    }

    /** Φ by Marsaglia's series (2004): absolute error near 1e-15. */
    static double normalCdf(double x) {
        if (x < -9) {
            return 0;
        }
        if (x > 9) {
            return 1;
        }
        double s = x, t = 0, b = x, q = x * x, i = 1;
        while (s != t) {
            t = s;
            i += 2;
            b *= q / i;
            s = t + b;
        }
        return 0.5 + s * Math.exp(-0.5 * q - 0.91893853320467274178);
    }

    @Override
    public String toString() {
        return name;
    }
}
