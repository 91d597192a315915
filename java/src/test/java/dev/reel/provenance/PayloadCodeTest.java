package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The payload's convolutional code, CRC and Viterbi decoder. */
class PayloadCodeTest {
    private static double[] clean(byte[] coded) {
        double[] soft = new double[coded.length];
        for (int i = 0; i < coded.length; i++) {
            soft[i] = coded[i] == 0 ? 1 : -1;
        }
        return soft;
    }

    @Test
    void cleanCodewordsDecodeToTheirPayload() {
        Random r = new Random(1);
        for (int i = 0; i < 200; i++) {
            long payload = i < 2 ? (i == 0 ? 0 : -1) : r.nextLong();
            byte[] coded = PayloadCode.encode(payload);
            assertEquals(PayloadCode.CODED_BITS, coded.length);
            assertEquals(payload, PayloadCode.decode(clean(coded)));
        }
    }

    @Test
    void correctsFlippedBitsSpreadOverTheCodeword() {
        Random r = new Random(2);
        for (int i = 0; i < 100; i++) {
            long payload = r.nextLong();
            double[] soft = clean(PayloadCode.encode(payload));
            // free distance 15: any 7 errors are correctable; spread them so no two fall in one constraint span
            for (int k = 0; k < 7; k++) {
                int at = k * 36 + r.nextInt(18);
                soft[at] = -soft[at];
            }
            assertEquals(payload, PayloadCode.decode(soft));
        }
    }

    @Test
    void decodesSoftValuesAtAModerateNoiseLevel() {
        // Es/N0 = 0 dB per coded bit (noise sd 0.707 against ±1), Eb/N0 about 4.3 dB
        Random r = new Random(3);
        int ok = 0;
        for (int i = 0; i < 200; i++) {
            long payload = r.nextLong();
            double[] soft = clean(PayloadCode.encode(payload));
            for (int k = 0; k < soft.length; k++) {
                soft[k] += r.nextGaussian() * Math.sqrt(0.5);
            }
            Long got = PayloadCode.decode(soft);
            if (got != null && got == payload) {
                ok++;
            }
        }
        assertTrue(ok >= 196, ok + " of 200 decoded");
    }

    @Test
    void noiseAloneRarelyPassesTheCrc() {
        Random r = new Random(4);
        int passed = 0;
        for (int i = 0; i < 3000; i++) {
            double[] soft = new double[PayloadCode.CODED_BITS];
            for (int k = 0; k < soft.length; k++) {
                soft[k] = r.nextGaussian();
            }
            if (PayloadCode.decode(soft) != null) {
                passed++;
            }
        }
        // 2^-16 per try: 0.05 expected in 3000
        assertTrue(passed <= 2, passed + " random inputs passed the CRC");
    }

    @Test
    void crcIsCcittFalse() {
        // CRC-16/CCITT-FALSE of the ASCII bytes "12345678", from a reference implementation that gives the
        // standard check value 0x29B1 for "123456789"
        assertEquals(0xA12B, PayloadCode.crc16(0x3132333435363738L));
    }

    @Test
    void allZeroEvidenceDecodesToNothingOrTheZeroPayload() {
        Long got = PayloadCode.decode(new double[PayloadCode.CODED_BITS]);
        assertTrue(got == null || got == 0, "decoded " + got);
    }

    @Test
    void wrongLengthIsRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PayloadCode.decode(new double[10]));
    }
}
