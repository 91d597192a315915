package dev.reel.pipeline;

/** The phases of a generation, in order, as a {@link ProgressListener} sees them. */
public enum Phase {
    /** Loading the model folder (reported by callers that load one). */
    LOAD,
    /** Tokenising the prompts and computing what depends only on them. */
    ENCODE,
    /** One sampler step: a batched forward and the fused update. */
    STEP,
    /** Latents to frames. */
    DECODE,
    /** Encoding a file (reported by writers). */
    WRITE,
    /** Everything done. */
    DONE
}
