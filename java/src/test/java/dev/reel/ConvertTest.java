package dev.reel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvertTest {
    private static float[] samples(int n) {
        Random r = new Random();
        float[] v = new float[n];
        float[] special = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 65504f, 65520f, 65519.99f,
            5.9604645e-8f, 2.9802322e-8f, 2.98e-8f, 6.1035156e-5f, 1e-10f, Float.MAX_VALUE, Float.MIN_VALUE,
            1.00390625f, 1.005859375f};
        for (int i = 0; i < n; i++) {
            v[i] = i < special.length ? special[i]
                    : i % 3 == 0 ? Float.intBitsToFloat(r.nextInt()) // every magnitude
                            : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(10) - 5));
            if (Float.isNaN(v[i])) {
                v[i] = 1.5f;
            }
        }
        return v;
    }

    @Test
    void bf16RoundsToNearestEven() {
        float[] v = samples(20000);
        try (Reel reel = Reel.open(Backend.CPU); Tensor t = reel.tensor(v, DType.BF16, Shape.of(v.length))) {
            short[] bits = t.toBits();
            for (int i = 0; i < v.length; i++) {
                assertEquals(DTypeReference.toBf16(v[i]), bits[i], "value " + v[i]);
            }
        }
    }

    @Test
    void f16RoundsToNearestEvenIncludingSubnormalsAndOverflow() {
        float[] v = samples(20000);
        try (Reel reel = Reel.open(Backend.CPU); Tensor t = reel.tensor(v, DType.F16, Shape.of(v.length))) {
            short[] bits = t.toBits();
            for (int i = 0; i < v.length; i++) {
                assertEquals(DTypeReference.toF16(v[i]), bits[i], "value " + v[i]);
            }
        }
    }

    @Test
    void sixteenBitValuesWidenExactly() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        try (Reel reel = Reel.open(Backend.CPU);
                Tensor h = reel.empty(DType.F16, Shape.of(all.length));
                Tensor b = reel.empty(DType.BF16, Shape.of(all.length))) {
            h.copyFromBits(all);
            b.copyFromBits(all);
            float[] hf = h.toFloatArray(), bf = b.toFloatArray();
            for (int i = 0; i < all.length; i++) {
                float wantH = DTypeReference.f16ToFloat(all[i]), wantB = DTypeReference.bf16ToFloat(all[i]);
                assertTrue(Float.isNaN(wantH) ? Float.isNaN(hf[i]) : Float.compare(wantH, hf[i]) == 0, "f16 " + i);
                assertTrue(Float.isNaN(wantB) ? Float.isNaN(bf[i]) : Float.compare(wantB, bf[i]) == 0, "bf16 " + i);
            }
        }
    }

    @Test
    void nanStaysNan() {
        float[] v = {Float.NaN, Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00000)};
        try (Reel reel = Reel.open(Backend.CPU);
                Tensor b = reel.tensor(v, DType.BF16, Shape.of(3));
                Tensor h = reel.tensor(v, DType.F16, Shape.of(3))) {
            for (float x : b.toFloatArray()) {
                assertTrue(Float.isNaN(x));
            }
            for (float x : h.toFloatArray()) {
                assertTrue(Float.isNaN(x));
            }
        }
    }
}
