package dev.reel;

import java.util.Arrays;

/**
 * Round-to-nearest-even conversion to bf16 and f16 by search: every 16-bit value
 * is decoded exactly, and a float maps to the nearest one (ties to the even
 * pattern). Independent of the bit tricks the native code uses.
 */
final class DTypeReference {
    private DTypeReference() {}

    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = h >>> 15, exp = (h >>> 10) & 0x1F, mant = h & 0x3FF;
        double v;
        if (exp == 0x1F) {
            return mant == 0 ? (sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY) : Float.NaN;
        } else if (exp == 0) {
            v = mant * Math.pow(2, -24);
        } else {
            v = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
        }
        return (float) (sign == 0 ? v : -v);
    }

    private static final double[] F16_POSITIVE = new double[0x7C01];
    private static final double[] BF16_POSITIVE = new double[0x7F81];

    static {
        for (int b = 0; b <= 0x7C00; b++) {
            F16_POSITIVE[b] = f16ToFloat((short) b);
        }
        for (int b = 0; b <= 0x7F80; b++) {
            BF16_POSITIVE[b] = bf16ToFloat((short) b);
        }
    }

    private static int nearest(double[] table, double x, double maxFinite, double overflowAt) {
        if (x >= overflowAt) {
            return table.length - 1; // infinity
        }
        int i = Arrays.binarySearch(table, 0, table.length - 1, x);
        if (i >= 0) {
            return i;
        }
        int hi = -i - 1, lo = hi - 1;
        if (hi >= table.length - 1) {
            return table.length - 2;
        }
        double dlo = x - table[lo], dhi = table[hi] - x;
        if (dlo < dhi) {
            return lo;
        }
        if (dhi < dlo) {
            return hi;
        }
        return (lo & 1) == 0 ? lo : hi;
    }

    static short toF16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7E00;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        // 65520 is half-way between the largest half (65504) and 65536: it rounds to infinity.
        int mag = nearest(F16_POSITIVE, Math.abs((double) f), 65504, 65520);
        return (short) (sign | mag);
    }

    static short toBf16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        double overflow = (3.3895313892515355e38 + Math.pow(2, 128)) / 2; // half-way to 2^128
        int mag = nearest(BF16_POSITIVE, Math.abs((double) f), 3.3895313892515355e38, overflow);
        return (short) (sign | mag);
    }
}
