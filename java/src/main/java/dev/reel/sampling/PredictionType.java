package dev.reel.sampling;

/**
 * What a diffusion model predicts from a noisy sample {@code x = α·x0 + σ·ε}.
 * Every type determines the data prediction {@code x0} and the noise prediction
 * {@code ε} as linear functions of {@code x} and the model output {@code m};
 * {@link #at} gives their coefficients at one noise level.
 */
public enum PredictionType {
    /** The noise ε (DDPM, Stable Diffusion 1.x / 2.x base). */
    EPSILON,
    /** The velocity {@code v = α·ε − σ·x0} (Salimans and Ho 2022; SD 2.x 768-v). */
    V,
    /** The clean sample x0 itself. */
    SAMPLE,
    /** The rectified-flow velocity {@code u = ε − x0}, the time derivative of {@code x} when α = 1 − t, σ = t. */
    FLOW;

    /**
     * {@code x0 = x0x·x + x0m·m} and {@code ε = epsX·x + epsM·m}. A coefficient
     * is infinite where the type cannot determine the quantity (EPSILON at α = 0,
     * SAMPLE at σ = 0).
     */
    public record Conversion(double x0x, double x0m, double epsX, double epsM) {}

    /** The conversion at the noise level (α, σ). */
    public Conversion at(double alpha, double sigma) {
        switch (this) {
            case EPSILON:
                return new Conversion(1 / alpha, -sigma / alpha, 0, 1);
            case SAMPLE:
                return new Conversion(0, 1, 1 / sigma, -alpha / sigma);
            case V: {
                double d = alpha * alpha + sigma * sigma;
                return new Conversion(alpha / d, -sigma / d, sigma / d, alpha / d);
            }
            default: {
                double d = alpha + sigma;
                return new Conversion(1 / d, -sigma / d, 1 / d, alpha / d);
            }
        }
    }

    /** The output an ideal model of this type gives for the given x0 and ε at (α, σ). */
    public double output(double x0, double eps, double alpha, double sigma) {
        switch (this) {
            case EPSILON:
                return eps;
            case SAMPLE:
                return x0;
            case V:
                return alpha * eps - sigma * x0;
            default:
                return eps - x0;
        }
    }
}
