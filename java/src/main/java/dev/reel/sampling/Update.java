package dev.reel.sampling;

/**
 * One model evaluation's update as a linear form in the quantities samplers are
 * written in: the sample x the model saw, its data and noise predictions x0 and
 * ε, the sampler's memory {@code prev} and fresh noise z (for {@code out}), and
 * x, x0, ε (for {@code aux}). {@link #fold} turns it into the kernel's form in
 * (x, m, prev, z) through the prediction type's conversion, in double.
 */
final class Update {
    double x;
    double x0;
    double eps;
    double prev;
    double z;
    boolean writesAux;
    double auxX;
    double auxX0;
    double auxEps;

    Update out(double xc, double x0c, double epsc) {
        this.x = xc;
        this.x0 = x0c;
        this.eps = epsc;
        return this;
    }

    Update prev(double c) {
        this.prev = c;
        return this;
    }

    Update noise(double c) {
        this.z = c;
        return this;
    }

    Update aux(double xc, double x0c, double epsc) {
        this.writesAux = true;
        this.auxX = xc;
        this.auxX0 = x0c;
        this.auxEps = epsc;
        return this;
    }

    /**
     * The step for a model evaluated at (α, σ). A term with coefficient 0 drops
     * out even where the conversion is infinite (EPSILON at α = 0 needs no x0 if
     * the sampler uses none).
     */
    SchedulerStep.Builder fold(PredictionType prediction, double alpha, double sigma, String where) {
        PredictionType.Conversion c = prediction.at(alpha, sigma);
        double cX = x + term(x0, c.x0x()) + term(eps, c.epsX());
        double cM = term(x0, c.x0m()) + term(eps, c.epsM());
        double aX = auxX + term(auxX0, c.x0x()) + term(auxEps, c.epsX());
        double aM = term(auxX0, c.x0m()) + term(auxEps, c.epsM());
        for (double v : new double[] {cX, cM, prev, z, aX, aM}) {
            if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
                throw new IllegalArgumentException(prediction + " prediction cannot be used at " + where
                        + " (alpha = " + alpha + ", sigma = " + sigma + "): the update's coefficients are not finite");
            }
        }
        return SchedulerStep.builder().out(cX, cM, prev, z).aux(aX, aM);
    }

    private static double term(double coefficient, double conversion) {
        return coefficient == 0 ? 0 : coefficient * conversion;
    }
}
