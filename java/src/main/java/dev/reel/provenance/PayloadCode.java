package dev.reel.provenance;

/**
 * The error-correcting code of the 64-bit payload: the payload and its CRC-16 (80
 * bits, most significant first), six zero tail bits, and the rate-1/3 convolutional
 * code of constraint length 7 with generators 133, 171, 165 (octal; the code of LTE's
 * control channels): 86 × 3 = {@value #CODED_BITS} coded bits.
 *
 * <p>Why this code: detection ends with a soft value per coded bit (a correlation
 * summed over that bit's cells and every frame), and Viterbi decoding uses those
 * values as they are — maximum likelihood for Gaussian noise — where an algebraic
 * block code such as BCH decodes hard bits and throws away about 2 dB. The CRC turns
 * "Viterbi always answers" into "the payload decoded": a wrong path passes it with
 * probability 2⁻¹⁶.
 */
final class PayloadCode {
    static final int INFO_BITS = 80;
    static final int TAIL = 6;
    static final int CODED_BITS = 3 * (INFO_BITS + TAIL);
    private static final int[] GENERATORS = {0133, 0171, 0165};
    private static final int STATES = 64;

    private PayloadCode() {}

    /** The coded bits (0 or 1) of a payload. */
    static byte[] encode(long payload) {
        int[] info = infoBits(payload);
        byte[] out = new byte[CODED_BITS];
        int state = 0;
        for (int i = 0; i < INFO_BITS + TAIL; i++) {
            int u = i < INFO_BITS ? info[i] : 0;
            int reg = u << 6 | state;
            for (int g = 0; g < 3; g++) {
                out[3 * i + g] = (byte) (Integer.bitCount(reg & GENERATORS[g]) & 1);
            }
            state = reg >>> 1;
        }
        return out;
    }

    /**
     * Viterbi decoding of soft values, one per coded bit: positive means the bit is
     * more likely 0, negative 1, the magnitude the confidence (any common scale).
     * Returns the payload when the decoded CRC matches, else null.
     */
    static Long decode(double[] soft) {
        if (soft.length != CODED_BITS) {
            throw new IllegalArgumentException("expected " + CODED_BITS + " soft values, got " + soft.length);
        }
        int steps = INFO_BITS + TAIL;
        double[] metric = new double[STATES];
        double[] next = new double[STATES];
        java.util.Arrays.fill(metric, Double.NEGATIVE_INFINITY);
        metric[0] = 0;
        // decision[i][s]: the predecessor's low bit (the bit shifted out) on the best path into s at step i
        byte[][] decision = new byte[steps][STATES];
        int[][] branch = new int[STATES * 2][];
        for (int s = 0; s < STATES; s++) {
            for (int u = 0; u < 2; u++) {
                int reg = u << 6 | s;
                branch[2 * s + u] = new int[] {Integer.bitCount(reg & GENERATORS[0]) & 1,
                    Integer.bitCount(reg & GENERATORS[1]) & 1, Integer.bitCount(reg & GENERATORS[2]) & 1};
            }
        }
        for (int i = 0; i < steps; i++) {
            java.util.Arrays.fill(next, Double.NEGATIVE_INFINITY);
            double y0 = soft[3 * i], y1 = soft[3 * i + 1], y2 = soft[3 * i + 2];
            int maxU = i < INFO_BITS ? 1 : 0;
            for (int s = 0; s < STATES; s++) {
                if (metric[s] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                for (int u = 0; u <= maxU; u++) {
                    int[] out = branch[2 * s + u];
                    double m = metric[s] + (out[0] == 0 ? y0 : -y0) + (out[1] == 0 ? y1 : -y1)
                            + (out[2] == 0 ? y2 : -y2);
                    int t = (u << 6 | s) >>> 1;
                    if (m > next[t]) {
                        next[t] = m;
                        decision[i][t] = (byte) (s & 1);
                    }
                }
            }
            double[] swap = metric;
            metric = next;
            next = swap;
        }
        int[] info = new int[INFO_BITS];
        int state = 0;
        for (int i = steps - 1; i >= 0; i--) {
            int u = state >>> 5;
            if (i < INFO_BITS) {
                info[i] = u;
            }
            state = (state << 1 & (STATES - 1)) | decision[i][state];
        }
        long payload = 0;
        for (int i = 0; i < 64; i++) {
            payload = payload << 1 | info[i];
        }
        int crc = 0;
        for (int i = 64; i < INFO_BITS; i++) {
            crc = crc << 1 | info[i];
        }
        return crc == crc16(payload) ? payload : null;
    }

    private static int[] infoBits(long payload) {
        int[] bits = new int[INFO_BITS];
        for (int i = 0; i < 64; i++) {
            bits[i] = (int) (payload >>> (63 - i) & 1);
        }
        int crc = crc16(payload);
        for (int i = 0; i < 16; i++) {
            bits[64 + i] = crc >>> (15 - i) & 1;
        }
        return bits;
    }

    /** CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of the payload's 8 bytes, big-endian. */
    static int crc16(long payload) {
        int crc = 0xFFFF;
        for (int b = 7; b >= 0; b--) {
            crc ^= (int) (payload >>> (8 * b) & 0xff) << 8;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1 ^ 0x1021) & 0xFFFF : crc << 1 & 0xFFFF;
            }
        }
        return crc;
    }
}
