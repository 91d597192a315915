package dev.reel.sampling;

import dev.reel.Tensor;
import dev.reel.sampling.NoiseSchedule.Point;
import java.util.List;
import java.util.Locale;

/**
 * A diffusion sampler that a pipeline drives one model evaluation at a time:
 *
 * <pre>{@code
 * try (Sampler sampler = Sampler.builder(SamplerKind.DPM_SOLVER_2M)
 *         .schedule(NoiseSchedule.ddpm(NoiseSchedule.BetaSchedule.SCALED_LINEAR))
 *         .steps(25).prediction(PredictionType.EPSILON).guidance(7.5).seed(42).build()) {
 *     sampler.initialNoise(latent);
 *     while (!sampler.isDone()) {
 *         double t = sampler.timestep();            // where the model must be evaluated
 *         model.forward(latent, t, cond, uncond);   // conditional and unconditional outputs
 *         sampler.step(latent, cond, uncond);       // latent updated in place, one fused pass
 *     }
 * }
 * }</pre>
 *
 * <p>Each {@link #step} is one {@link SchedulerStep} whose coefficients were
 * computed in double when the sampler was built ({@link #evaluations()} lists
 * them, for callers that run the kernel on their own memory and stream). Heun
 * asks for two evaluations per step. Samplers that need memory between
 * evaluations (Heun, DPM-Solver++ 2M) keep one state-sized tensor, freed by
 * {@link #close()}.
 *
 * <p>Noise: {@link #initialNoise} uses Philox stream 0 of the seed; the noise of
 * step i (0-based) is stream {@code i + 1}, element k at index k — so a seed
 * gives the same result on the CPU and on CUDA, and run to run.
 */
public interface Sampler extends AutoCloseable {
    /**
     * One model evaluation: the step it belongs to, the point where the model is
     * evaluated, the update, and whether it reads and writes the sampler's memory
     * (the {@code prev} and {@code aux} of {@link SchedulerStep#apply}), and whether it
     * applies classifier-free guidance (else it reads the conditional output alone and
     * needs no unconditional one: see {@link Builder#guidanceInterval}).
     */
    record Evaluation(int step, Point point, SchedulerStep update, boolean readsMemory, boolean writesMemory,
            boolean guided) {}

    SamplerKind kind();

    /** Sampler steps. */
    int steps();

    /** Model evaluations of the whole run (Heun: {@code 2·steps − 1}). */
    int modelEvaluations();

    /** The plan of every evaluation, in order. */
    List<Evaluation> evaluations();

    /** Evaluations done so far. */
    int evaluationsDone();

    boolean isDone();

    /** The point of the next evaluation. */
    Point point();

    /**
     * Whether the next evaluation applies guidance, and so needs the unconditional
     * output: false when the scale is 1 or the point lies outside the guidance interval.
     */
    default boolean guidedNow() {
        if (isDone()) {
            throw new IllegalStateException("this sampler has done all " + modelEvaluations() + " evaluations");
        }
        return evaluations().get(evaluationsDone()).guided();
    }

    /** The timestep to give the model at the next evaluation. */
    default double timestep() {
        return point().timestep();
    }

    /**
     * Fills {@code x} with the starting sample {@code σ_0·ε}: Philox stream 0 of
     * the seed, scaled by the first point's σ (the data's part α_0·x0 of the
     * first noisy sample is not known and is left out).
     */
    void initialNoise(Tensor x);

    /**
     * Fills {@code x} with the start of a video-to-video run: {@code α_0·clean + σ_0·ε}
     * at the first planned point (see {@link Builder#strength}), ε from Philox stream 0
     * of the seed. With strength 0 that is {@code clean} itself.
     */
    void initialLatent(Tensor x, Tensor clean);

    /**
     * Takes the model's outputs at {@code x} and the current {@link #point()} and
     * advances {@code x} in place. {@code uncond} may be null when the evaluation
     * applies no guidance ({@link #guidedNow()} false), and is then not read.
     */
    void step(Tensor x, Tensor cond, Tensor uncond);

    /** Frees the sampler's memory tensor; the sampler cannot step afterwards. */
    @Override
    void close();

    static Builder builder(SamplerKind kind) {
        return new Builder(kind);
    }

    /** Options with defaults: SD's scaled-linear DDPM schedule, 25 steps, EPSILON, guidance 1, seed 0. */
    final class Builder {
        private final SamplerKind kind;
        private NoiseSchedule schedule = NoiseSchedule.ddpm(NoiseSchedule.BetaSchedule.SCALED_LINEAR);
        private int steps = 25;
        private PredictionType prediction = PredictionType.EPSILON;
        private double guidance = 1;
        private double guidanceFrom = 0, guidanceTo = 1;
        private double rescale;
        private double eta = Double.NaN;
        private long seed;
        private double strength = 1;

        private Builder(SamplerKind kind) {
            if (kind == null) {
                throw new IllegalArgumentException("kind is null");
            }
            this.kind = kind;
        }

        public Builder schedule(NoiseSchedule value) {
            if (value == null) {
                throw new IllegalArgumentException("schedule is null");
            }
            this.schedule = value;
            return this;
        }

        public Builder steps(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("steps must be >= 1, got " + value);
            }
            this.steps = value;
            return this;
        }

        public Builder prediction(PredictionType value) {
            if (value == null) {
                throw new IllegalArgumentException("prediction is null");
            }
            this.prediction = value;
            return this;
        }

        /** Classifier-free guidance scale: finite and >= 0 (1: the conditional output alone). */
        public Builder guidance(double scale) {
            if (!Double.isFinite(scale) || scale < 0) {
                throw new IllegalArgumentException("guidance scale must be finite and >= 0, got " + scale);
            }
            this.guidance = scale;
            return this;
        }

        /**
         * Applies the guidance scale only at evaluations whose noise level
         * {@code σ / (α + σ)} — for a flow schedule the time t itself — lies in
         * {@code [from, to]}; elsewhere the conditional output is taken alone (scale 1)
         * and the unconditional forward can be skipped (Kynkäänniemi et al. 2024, guidance
         * in a limited interval). Default {@code [0, 1]}: every evaluation.
         */
        public Builder guidanceInterval(double from, double to) {
            if (!(from >= 0 && from <= to && to <= 1)) {
                throw new IllegalArgumentException("guidance interval must satisfy 0 <= from <= to <= 1, got ["
                        + from + ", " + to + "]");
            }
            this.guidanceFrom = from;
            this.guidanceTo = to;
            return this;
        }

        /** Guidance rescale φ in [0, 1] (Lin et al. 2023). */
        public Builder guidanceRescale(double phi) {
            if (!(phi >= 0 && phi <= 1)) {
                throw new IllegalArgumentException("guidance rescale must be in [0, 1], got " + phi);
            }
            this.rescale = phi;
            return this;
        }

        /** DDIM's η in [0, 1]; only for {@link SamplerKind#DDIM} (default 0). */
        public Builder eta(double value) {
            if (kind != SamplerKind.DDIM) {
                throw new IllegalArgumentException("eta applies to DDIM, not to " + kind);
            }
            if (!(value >= 0 && value <= 1)) {
                throw new IllegalArgumentException("eta must be in [0, 1], got " + value);
            }
            this.eta = value;
            return this;
        }

        /** The Philox seed of the initial noise and of every noisy step. */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /**
         * Video-to-video: run only the last {@code round(strength·steps)} steps, starting
         * from an input noised to that step's level with {@link #initialLatent}
         * (1, the default: every step from pure noise; 0: no step, the input itself).
         */
        public Builder strength(double value) {
            if (!(value >= 0 && value <= 1)) {
                throw new IllegalArgumentException("strength must be in [0, 1], got " + value);
            }
            this.strength = value;
            return this;
        }

        /**
         * Plans every evaluation. Throws {@link IllegalArgumentException} when the
         * prediction type cannot be used on the schedule (EPSILON where α = 0).
         */
        public Sampler build() {
            int first = steps - (int) Math.round(strength * steps);
            return new PlannedSampler(kind, schedule, steps, first, prediction, guidance, guidanceFrom, guidanceTo,
                    rescale, Double.isNaN(eta) ? 0 : eta, seed, toString());
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "Sampler(%s, %s, steps=%d, prediction=%s, guidance=%s%s, rescale=%s%s, seed=%s%s)",
                    kind, schedule, steps, prediction, guidance, guidanceFrom == 0 && guidanceTo == 1 ? ""
                            : " in [" + guidanceFrom + ", " + guidanceTo + "]", rescale, kind == SamplerKind.DDIM
                            ? ", eta=" + (Double.isNaN(eta) ? 0.0 : eta) : "", Long.toUnsignedString(seed),
                    strength == 1 ? "" : ", strength=" + strength);
        }
    }
}
