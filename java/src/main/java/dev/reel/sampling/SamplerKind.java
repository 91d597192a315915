package dev.reel.sampling;

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
    DPM_SOLVER_2M
}
