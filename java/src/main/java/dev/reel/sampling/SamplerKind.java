package dev.reel.sampling;

import java.util.Locale;

/** The sampling algorithms {@link Sampler#builder} can build; all deterministic unless noted. */
public enum SamplerKind {
    /** DDPM ancestral sampling: the forward process's posterior, with noise. Stochastic. */
    DDPM,
    /** DDIM with η (0: deterministic; 1: DDPM's variance). Stochastic for η > 0. */
    DDIM,
    /** Euler on the probability-flow ODE (VE coordinates, or x itself for flow schedules). */
    EULER,
    /** Euler ancestral (η = 1). Stochastic. */
    EULER_ANCESTRAL,
    /** Heun's second-order method: two model evaluations per step, one for the final step. */
    HEUN,
    /** DPM-Solver++(2M): second-order multistep, one model evaluation per step. */
    DPM_SOLVER_2M;

    /**
     * The sampler a user names: any case, {@code -} or {@code _} between words
     * ({@code euler-ancestral}, {@code DPM_SOLVER_2M}), and {@code dpm} or
     * {@code dpm-solver} for DPM-Solver++ 2M.
     *
     * @throws IllegalArgumentException for a name that is none of them, listing the known ones
     */
    public static SamplerKind named(String name) {
        if (name == null) {
            throw new IllegalArgumentException("sampler name is null");
        }
        String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (n.equals("DPM") || n.equals("DPM_SOLVER") || n.equals("DPMSOLVER_2M")) {
            n = "DPM_SOLVER_2M";
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown sampler '" + name + "'; known: euler, heun, dpm-solver-2m, "
                    + "ddim, ddpm, euler-ancestral");
        }
    }
}
