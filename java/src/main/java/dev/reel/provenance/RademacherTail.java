package dev.reel.provenance;

/**
 * The exact upper tail of {@code S = Σ_c k_c·q_c}, where the {@code q_c} are fixed
 * integers and the {@code k_c} independent fair signs (±1, probability ½ each).
 *
 * <p>Only the magnitudes matter: with {@code n_m} of the {@code q_c} equal to ±m,
 * {@code S = Σ_m m·(2·B_m − n_m)} with independent {@code B_m ~ Binomial(n_m, ½)},
 * so the distribution of S is the convolution of a few scaled binomials, computed
 * here exactly in double precision. Probabilities below about 1e-300 are not
 * resolved (they come back as 0).
 */
final class RademacherTail {
    /** Binomial probabilities below this are dropped: they change no tail above 1e-300. */
    private static final double NEGLIGIBLE = 1e-320;

    private RademacherTail() {}

    /** {@code P(S ≥ s)} for counts {@code counts[m]} of magnitude m (index 0 is ignored). */
    static double upperTail(int[] counts, long s) {
        long total = 0;
        int max = 0;
        for (int m = 1; m < counts.length; m++) {
            total += (long) m * counts[m];
            max = Math.max(max, counts[m]);
        }
        // S = 2T − total with T = Σ m·B_m ∈ [0, total]
        long need = Math.floorDiv(s + total + 1, 2);
        if (need <= 0) {
            return 1;
        }
        if (need > total) {
            return 0;
        }
        double[] logFactorial = new double[max + 1];
        for (int i = 1; i <= max; i++) {
            logFactorial[i] = logFactorial[i - 1] + Math.log(i);
        }
        double[] dist = {1};
        for (int m = 1; m < counts.length; m++) {
            int n = counts[m];
            if (n == 0) {
                continue;
            }
            double[] pmf = new double[n + 1];
            double half = n * Math.log(2);
            for (int k = 0; k <= n; k++) {
                pmf[k] = Math.exp(logFactorial[n] - logFactorial[k] - logFactorial[n - k] - half);
            }
            int lo = 0, hi = n;
            while (lo < hi && pmf[lo] < NEGLIGIBLE) {
                lo++;
            }
            while (hi > lo && pmf[hi] < NEGLIGIBLE) {
                hi--;
            }
            double[] out = new double[dist.length + m * n];
            for (int t = 0; t < dist.length; t++) {
                double d = dist[t];
                if (d == 0) {
                    continue;
                }
                for (int k = lo, at = t + m * lo; k <= hi; k++, at += m) {
                    out[at] += d * pmf[k];
                }
            }
            dist = out;
        }
        double tail = 0;
        for (long t = dist.length - 1; t >= need; t--) {
            tail += dist[(int) t];
        }
        return Math.min(1, tail);
    }
}
