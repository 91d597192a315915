package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The exact tail of a weighted sum of fair signs, against enumeration and exact binomial sums. */
class RademacherTailTest {
    /** How many of the 2^n sign patterns of the weights give each sum, indexed by sum + 64. */
    private static long[] enumerate(int[] weights) {
        long[] ways = new long[129];
        for (long mask = 0; mask < 1L << weights.length; mask++) {
            int sum = 0;
            for (int i = 0; i < weights.length; i++) {
                sum += (mask >>> i & 1) == 1 ? weights[i] : -weights[i];
            }
            ways[sum + 64]++;
        }
        return ways;
    }

    @Test
    void matchesEnumerationForSmallMixedWeights() {
        Random r = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            int n = 1 + r.nextInt(16);
            int[] weights = new int[n];
            int[] counts = new int[5];
            for (int i = 0; i < n; i++) {
                weights[i] = 1 + r.nextInt(4);
                counts[weights[i]]++;
            }
            long[] ways = enumerate(weights);
            for (int s = -64; s <= 64; s++) {
                long hits = 0;
                for (int t = s; t <= 64; t++) {
                    hits += ways[t + 64];
                }
                assertEquals(hits / (double) (1L << n), RademacherTail.upperTail(counts, s), 1e-12,
                        "weights " + java.util.Arrays.toString(weights) + ", s = " + s);
            }
        }
    }

    @Test
    void zeroWeightsCountForNothing() {
        assertEquals(1.0, RademacherTail.upperTail(new int[] {100, 0, 0}, 0));
        assertEquals(0.0, RademacherTail.upperTail(new int[] {100, 0, 0}, 1));
        assertEquals(0.5 + 0.25, RademacherTail.upperTail(new int[] {7, 2}, 0), 1e-15);
    }

    @Test
    void equalWeightsAreAnExactBinomialTailFarOut() {
        // 500 signs of weight 1: P(S ≥ s) = P(B ≥ (500 + s) / 2), B ~ Binomial(500, 1/2), to 1e-100 and beyond
        int n = 500;
        for (int s : new int[] {0, 40, 100, 200, 300, 400}) {
            BigInteger hits = BigInteger.ZERO;
            for (int k = (n + s + 1) / 2; k <= n; k++) {
                hits = hits.add(binomial(n, k));
            }
            double exact = new BigDecimal(hits).divide(new BigDecimal(BigInteger.TWO.pow(n)), MathContext.DECIMAL128)
                    .doubleValue();
            double got = RademacherTail.upperTail(new int[] {0, n}, s);
            assertEquals(exact, got, exact * 1e-9, "s = " + s);
        }
    }

    private static BigInteger binomial(int n, int k) {
        BigInteger b = BigInteger.ONE;
        for (int i = 0; i < k; i++) {
            b = b.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
        }
        return b;
    }
}
