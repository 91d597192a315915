package dev.reel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NoiseTest {
    private static final Random RANDOM = new Random();

    @Test
    void philoxMatchesTheRandom123KnownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                PhiloxReference.philox(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                PhiloxReference.philox(-1, -1, -1, -1, -1, -1));
    }

    @Test
    void cpuNoiseEqualsTheJavaReferenceBitForBit() {
        long seed = RANDOM.nextLong(), stream = RANDOM.nextInt(1000);
        long offset = RANDOM.nextInt(1 << 20);
        int n = 4099;
        try (Reel reel = Reel.open(Backend.CPU); Tensor t = reel.empty(DType.F32, Shape.of(n))) {
            Noise.fillNormal(t, seed, stream, offset);
            float[] got = t.toFloatArray();
            for (int k = 0; k < n; k++) {
                float want = PhiloxReference.normal(seed, stream, offset + k);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[k]),
                        "element " + k + " of seed " + seed + ": " + want + " vs " + got[k]);
            }
        }
    }

    @Test
    void referenceIsCloseToTheTextbookFormula() {
        // Guards the reference itself against a shared mistake in the polynomials.
        long seed = RANDOM.nextLong();
        for (long i = 0; i < 2000; i++) {
            long g = i >>> 2;
            int[] x = PhiloxReference.philox((int) g, 0, 0, 0, (int) seed, (int) (seed >>> 32));
            int j = (int) ((i & 3) >>> 1);
            double u1 = (Integer.toUnsignedLong(x[2 * j]) + 0.5) * 0x1p-32;
            double u2 = Integer.toUnsignedLong(x[2 * j + 1]) * 0x1p-32;
            double r = Math.sqrt(-2 * Math.log(u1));
            double want = (i & 1) == 0 ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
            assertEquals(want, PhiloxReference.normal(seed, 0, i), 2e-6 * Math.max(1, Math.abs(want)));
        }
    }

    @Test
    void committedVectorsMatchReferenceAndBackend() throws IOException {
        String text;
        try (InputStream in = NoiseTest.class.getResourceAsStream("philox_vectors.txt")) {
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        int lines = 0;
        try (Reel reel = Reel.open(Backend.CPU); Tensor one = reel.empty(DType.F32, Shape.of(1))) {
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                long seed = Long.parseUnsignedLong(f[0]), stream = Long.parseUnsignedLong(f[1]);
                long index = Long.parseUnsignedLong(f[2]);
                int bits = Integer.parseUnsignedInt(f[3], 16);
                assertEquals(bits, Float.floatToRawIntBits(PhiloxReference.normal(seed, stream, index)), line);
                Noise.fillNormal(one, seed, stream, index);
                assertEquals(bits, Float.floatToRawIntBits(one.toFloatArray()[0]), line);
                lines++;
            }
        }
        assertTrue(lines >= 50, "expected at least 50 vectors, found " + lines);
    }

    @Test
    void sameSeedSameNoiseAndOtherSeedOtherNoise() {
        try (Reel reel = Reel.open(Backend.CPU);
                Tensor a = reel.randn(DType.F32, Shape.of(2, 3, 64), 7);
                Tensor b = reel.randn(DType.F32, Shape.of(2, 3, 64), 7);
                Tensor c = reel.randn(DType.F32, Shape.of(2, 3, 64), 8)) {
            assertArrayEquals(a.toFloatArray(), b.toFloatArray());
            assertNotEquals(a.toFloatArray()[0], c.toFloatArray()[0]);
        }
    }

    @Test
    void sixteenBitNoiseIsTheRoundedFloatNoise() {
        try (Reel reel = Reel.open(Backend.CPU);
                Tensor f = reel.randn(DType.F32, Shape.of(999), 3);
                Tensor h = reel.randn(DType.BF16, Shape.of(999), 3);
                Tensor g = reel.randn(DType.F16, Shape.of(999), 3)) {
            float[] ref = f.toFloatArray();
            short[] hb = h.toBits(), gb = g.toBits();
            for (int k = 0; k < ref.length; k++) {
                assertEquals(DTypeReference.toBf16(ref[k]), hb[k], "bf16 element " + k);
                assertEquals(DTypeReference.toF16(ref[k]), gb[k], "f16 element " + k);
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Noise.fillNormal(Device.CPU, 0L, DType.F32, 4, 1, 0, 0, 0));
        assertTrue(e.getMessage().contains("address"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Noise.fillNormal(Device.CPU, 64L, DType.F32, -1, 1, 0, 0, 0));
        assertTrue(e.getMessage().contains("count"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Noise.fillNormal(Device.CPU, 64L, DType.F32, 8, 1, 0, -7L, 0));
        assertTrue(e.getMessage().contains("overflow"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Noise.fillNormal(null, 1, 0, 0));
    }
}
