package dev.reel.sampling;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The noise levels a sampler visits, in double precision. A noisy sample is
 * {@code x = α·x0 + σ·ε}; a schedule of {@code N} steps is {@code N + 1}
 * {@link Point}s from the noisiest to the clean data ({@code α = 1, σ = 0}).
 *
 * <ul>
 *   <li>{@link #ddpm} — variance preserving ({@code α² + σ² = 1}) from the training
 *   betas of DDPM: {@code α = sqrt(ᾱ_t)}, {@code ᾱ_t = Π_{i≤t}(1 − β_i)}. Inference
 *   timesteps follow a {@link Spacing} (as diffusers' {@code timestep_spacing}),
 *   or Karras et al. (2022) sigmas with ρ = 7, mapped back to fractional
 *   timesteps by interpolating log σ.</li>
 *   <li>{@link #flow} — rectified flow / flow matching: {@code α = 1 − t, σ = t},
 *   {@code t} from 1 to 0 in equal steps, then shifted
 *   {@code t' = shift·t / (1 + (shift − 1)·t)} (SD3; Reel's embedded model, see
 *   tools/reel/flow.py); the model's timestep is {@code t'} itself, in [0, 1]
 *   (models trained with diffusers' convention take {@code 1000·t'}).</li>
 * </ul>
 *
 * <p>Immutable; the {@code with*} methods return a modified copy.
 */
public final class NoiseSchedule {
    /** How DDPM training betas grow with the timestep. */
    public enum BetaSchedule {
        /** {@code β} linear in t (DDPM: 1e-4 to 0.02). */
        LINEAR(1e-4, 0.02),
        /** {@code sqrt β} linear in t (Stable Diffusion: 0.00085 to 0.012). */
        SCALED_LINEAR(0.00085, 0.012),
        /** The cosine schedule of Nichol and Dhariwal (2021), β capped at 0.999. */
        SQUAREDCOS_CAP_V2(Double.NaN, Double.NaN);

        final double defaultStart;
        final double defaultEnd;

        BetaSchedule(double defaultStart, double defaultEnd) {
            this.defaultStart = defaultStart;
            this.defaultEnd = defaultEnd;
        }
    }

    /** Which training timesteps N inference steps use (diffusers' {@code timestep_spacing}). */
    public enum Spacing {
        /** {@code round(linspace(0, T − 1, N))}, descending. */
        LINSPACE,
        /** {@code i·(T div N)} for i = N − 1 … 0: never reaches the noisiest timestep. */
        LEADING,
        /** {@code round(T − i·T/N) − 1} for i = 0 … N − 1: starts at the noisiest timestep. */
        TRAILING
    }

    /**
     * One noise level: the timestep to give the model, α and σ. The log
     * signal-to-noise ratio {@link #lambda} is −∞ at α = 0 and +∞ at σ = 0.
     */
    public record Point(double timestep, double alpha, double sigma) {
        public double lambda() {
            return Math.log(alpha) - Math.log(sigma);
        }
    }

    private enum Kind { DDPM, FLOW }

    private final Kind kind;
    private final BetaSchedule betas;
    private final int trainSteps;
    private final double betaStart;
    private final double betaEnd;
    private final Spacing spacing;
    private final boolean karras;
    private final double shift;
    private final double[] alphasCumprod; // DDPM only

    private NoiseSchedule(Kind kind, BetaSchedule betas, int trainSteps, double betaStart, double betaEnd,
            Spacing spacing, boolean karras, double shift) {
        this.kind = kind;
        this.betas = betas;
        this.trainSteps = trainSteps;
        this.betaStart = betaStart;
        this.betaEnd = betaEnd;
        this.spacing = spacing;
        this.karras = karras;
        this.shift = shift;
        this.alphasCumprod = kind == Kind.DDPM ? cumulativeAlphas(betas, trainSteps, betaStart, betaEnd) : null;
    }

    /** A DDPM schedule of 1000 training steps with the usual betas of {@code betas}, trailing spacing. */
    public static NoiseSchedule ddpm(BetaSchedule betas) {
        if (betas == null) {
            throw new IllegalArgumentException("betas is null");
        }
        return ddpm(betas, 1000, betas.defaultStart, betas.defaultEnd);
    }

    /**
     * A DDPM schedule; {@code betaStart} and {@code betaEnd} are ignored by
     * {@link BetaSchedule#SQUAREDCOS_CAP_V2}. Spacing is {@link Spacing#TRAILING},
     * which starts sampling from the noisiest training timestep.
     */
    public static NoiseSchedule ddpm(BetaSchedule betas, int trainSteps, double betaStart, double betaEnd) {
        if (betas == null) {
            throw new IllegalArgumentException("betas is null");
        }
        if (trainSteps < 2) {
            throw new IllegalArgumentException("trainSteps must be >= 2, got " + trainSteps);
        }
        if (betas != BetaSchedule.SQUAREDCOS_CAP_V2
                && !(betaStart > 0 && betaEnd >= betaStart && betaEnd < 1)) {
            throw new IllegalArgumentException(
                    "betas must satisfy 0 < betaStart <= betaEnd < 1, got " + betaStart + " and " + betaEnd);
        }
        return new NoiseSchedule(Kind.DDPM, betas, trainSteps, betaStart, betaEnd, Spacing.TRAILING, false, 1);
    }

    /** Rectified flow with timestep shift ({@code shift = 1}: none; SD3 uses 3). */
    public static NoiseSchedule flow(double shift) {
        if (!(shift > 0) || Double.isInfinite(shift)) {
            throw new IllegalArgumentException("shift must be finite and > 0, got " + shift);
        }
        return new NoiseSchedule(Kind.FLOW, null, 1000, Double.NaN, Double.NaN, Spacing.LINSPACE, false, shift);
    }

    /** This DDPM schedule with another timestep spacing. */
    public NoiseSchedule withSpacing(Spacing newSpacing) {
        if (newSpacing == null) {
            throw new IllegalArgumentException("spacing is null");
        }
        requireDdpm("timestep spacing");
        return new NoiseSchedule(kind, betas, trainSteps, betaStart, betaEnd, newSpacing, karras, shift);
    }

    /** This DDPM schedule with Karras sigmas (ρ = 7) between its smallest and largest noise level. */
    public NoiseSchedule withKarrasSigmas(boolean on) {
        requireDdpm("Karras sigmas");
        return new NoiseSchedule(kind, betas, trainSteps, betaStart, betaEnd, spacing, on, shift);
    }

    private void requireDdpm(String what) {
        if (kind != Kind.DDPM) {
            throw new IllegalArgumentException(what + " apply to DDPM schedules, not to flow matching");
        }
    }

    /** Whether this is a flow-matching schedule (α + σ = 1) rather than a variance-preserving one. */
    public boolean isFlow() {
        return kind == Kind.FLOW;
    }

    /** The {@code steps + 1} points of a run of {@code steps} sampler steps, the last one clean data. */
    public List<Point> points(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        List<Point> points = new ArrayList<>(steps + 1);
        if (kind == Kind.FLOW) {
            for (int i = 0; i < steps; i++) {
                double t = 1.0 - (double) i / steps;
                double s = shift * t / (1 + (shift - 1) * t);
                points.add(new Point(s, 1 - s, s));
            }
        } else if (karras) {
            double sigmaMin = veSigma(alphasCumprod[0]), sigmaMax = veSigma(alphasCumprod[trainSteps - 1]);
            double rho = 7, lo = Math.pow(sigmaMin, 1 / rho), hi = Math.pow(sigmaMax, 1 / rho);
            for (int i = 0; i < steps; i++) {
                double ramp = steps == 1 ? 0 : (double) i / (steps - 1);
                double ve = Math.pow(hi + ramp * (lo - hi), rho);
                double alpha = 1 / Math.sqrt(1 + ve * ve);
                points.add(new Point(timestepOfSigma(ve), alpha, ve * alpha));
            }
        } else {
            if (steps > trainSteps) {
                throw new IllegalArgumentException("steps (" + steps + ") exceed the " + trainSteps + " training steps");
            }
            for (int i = 0; i < steps; i++) {
                int t = trainingTimestep(i, steps);
                double abar = alphasCumprod[t];
                points.add(new Point(t, Math.sqrt(abar), Math.sqrt(1 - abar)));
            }
        }
        points.add(new Point(0, 1, 0));
        return Collections.unmodifiableList(points);
    }

    private int trainingTimestep(int i, int steps) {
        int tmax = trainSteps - 1;
        switch (spacing) {
            case LINSPACE:
                return (int) Math.rint(tmax * (double) (steps - 1 - i) / Math.max(steps - 1, 1));
            case LEADING:
                return (steps - 1 - i) * (trainSteps / steps);
            default:
                return (int) Math.rint(trainSteps - i * (double) trainSteps / steps) - 1;
        }
    }

    private static double veSigma(double abar) {
        return Math.sqrt((1 - abar) / abar);
    }

    // Fractional training timestep whose VE sigma is `sigma`, interpolating log sigma.
    private double timestepOfSigma(double sigma) {
        double ls = Math.log(sigma);
        for (int t = 0; t < trainSteps - 1; t++) {
            double a = Math.log(veSigma(alphasCumprod[t])), b = Math.log(veSigma(alphasCumprod[t + 1]));
            if (ls <= b) {
                return t + Math.max(0, Math.min(1, (ls - a) / (b - a)));
            }
        }
        return trainSteps - 1;
    }

    private static double[] cumulativeAlphas(BetaSchedule betas, int steps, double start, double end) {
        double[] abar = new double[steps];
        double prod = 1;
        for (int t = 0; t < steps; t++) {
            double beta;
            switch (betas) {
                case LINEAR:
                    beta = start + (end - start) * t / (steps - 1);
                    break;
                case SCALED_LINEAR: {
                    double r = Math.sqrt(start) + (Math.sqrt(end) - Math.sqrt(start)) * t / (steps - 1);
                    beta = r * r;
                    break;
                }
                default:
                    beta = Math.min(1 - cosineAlphaBar((t + 1.0) / steps) / cosineAlphaBar((double) t / steps), 0.999);
                    break;
            }
            prod *= 1 - beta;
            abar[t] = prod;
        }
        return abar;
    }

    private static double cosineAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    @Override
    public String toString() {
        if (kind == Kind.FLOW) {
            return String.format(Locale.ROOT, "NoiseSchedule.flow(shift=%s)", shift);
        }
        String b = betas == BetaSchedule.SQUAREDCOS_CAP_V2 ? ""
                : String.format(Locale.ROOT, ", betaStart=%s, betaEnd=%s", betaStart, betaEnd);
        return String.format(Locale.ROOT, "NoiseSchedule.ddpm(%s, trainSteps=%d%s, %s)", betas, trainSteps, b,
                karras ? "karras sigmas" : "spacing=" + spacing);
    }
}
