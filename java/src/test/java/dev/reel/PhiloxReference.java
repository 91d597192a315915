package dev.reel;

/**
 * A plain Java statement of Reel's noise (kernels/common/philox.h), written from
 * the contract, against which the native backends are tested. Java's double
 * arithmetic is IEEE with each operation rounded, exactly as the contract needs.
 */
final class PhiloxReference {
    private PhiloxReference() {}

    static int[] philox(int c0, int c1, int c2, int c3, int k0, int k1) {
        final long m0 = 0xD2511F53L, m1 = 0xCD9E8D57L;
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += 0x9E3779B9;
                k1 += 0xBB67AE85;
            }
            long p0 = m0 * Integer.toUnsignedLong(c0);
            long p1 = m1 * Integer.toUnsignedLong(c2);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    static double ln(double u) {
        long bits = Double.doubleToRawLongBits(u);
        int e = (int) ((bits >>> 52) & 0x7FF) - 1023;
        double m = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > 1.4142135623730951) {
            m = m * 0.5;
            e += 1;
        }
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double p = 0.0;
        for (int k = 12; k >= 0; k--) {
            p = p * s2 + 1.0 / (2 * k + 1);
        }
        return e * 0.6931471805599453 + (2.0 * s) * p;
    }

    /** Element i of the stream (seed, stream). */
    static float normal(long seed, long stream, long i) {
        long g = i >>> 2;
        int[] x = philox((int) g, (int) (g >>> 32), (int) stream, (int) (stream >>> 32), (int) seed,
                (int) (seed >>> 32));
        int j = (int) ((i & 3) >>> 1);
        double twoM32 = 0x1p-32;
        double u1 = (Integer.toUnsignedLong(x[2 * j]) + 0.5) * twoM32;
        double u2 = Integer.toUnsignedLong(x[2 * j + 1]) * twoM32;
        double r = Math.sqrt(-2.0 * ln(u1));
        double x4 = u2 * 4.0;
        int q = (int) x4;
        double a = (x4 - q) * 1.5707963267948966;
        double a2 = a * a;
        double ts = 1.0, tc = 1.0;
        for (int k = 11; k >= 1; k--) {
            ts = 1.0 - (a2 / ((2 * k) * (2 * k + 1))) * ts;
            tc = 1.0 - (a2 / ((2 * k - 1) * (2 * k))) * tc;
        }
        double sa = a * ts, ca = tc, c, s;
        switch (q) {
            case 0 -> { c = ca; s = sa; }
            case 1 -> { c = -sa; s = ca; }
            case 2 -> { c = -ca; s = -sa; }
            default -> { c = sa; s = -ca; }
        }
        return (float) (r * ((i & 1) == 0 ? c : s));
    }
}
