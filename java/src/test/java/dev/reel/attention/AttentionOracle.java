package dev.reel.attention;

/**
 * Spacetime attention written plainly in float64, straight from the definitions
 * in reel.h: every score of every query, no tiling, no exp2, no online softmax.
 * Operands are dense {@code [B, tokens, heads, d]} arrays of the values the kernel
 * sees (already rounded to the storage dtype).
 */
final class AttentionOracle {
    AttentionMode mode = AttentionMode.FULL;
    int batch, frames, height, width, heads, headDim;
    int contextLength;          // CROSS: M
    long[] contextLengths;      // CROSS: valid lengths, null for all M
    int[] tiles = {1, 1, 1};
    int[] window = {0, 0, 0};
    int[] rope;                 // (dt, dh, dw) or null
    double ropeTheta = 10000;
    double[] ropeOffsets = {0, 0, 0};
    double scale;               // 0: 1/sqrt(headDim)

    double[] lse;               // [B, heads, N] after run

    int tokens() {
        return frames * height * width;
    }

    double[] run(float[] q, float[] k, float[] v) {
        int n = tokens(), d = headDim;
        boolean cross = mode == AttentionMode.CROSS;
        int m = cross ? contextLength : n;
        double sc = scale == 0 ? 1 / Math.sqrt(d) : scale;
        double[] out = new double[batch * n * heads * d];
        lse = new double[batch * heads * n];
        double[] qr = new double[d], kr = new double[d], s = new double[m];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    row(q, b, i, h, n, qr);
                    if (rope != null) {
                        rotate(i, qr);
                    }
                    int limit = cross && contextLengths != null ? (int) contextLengths[b] : m;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < m; j++) {
                        s[j] = Double.NaN;
                        if (j >= limit || (!cross && !sees(i, j))) {
                            continue;
                        }
                        row(k, b, j, h, m, kr);
                        if (rope != null) {
                            rotate(j, kr);
                        }
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += qr[c] * kr[c];
                        }
                        s[j] = dot * sc;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    int o = ((b * n + i) * heads + h) * d;
                    for (int j = 0; j < m; j++) {
                        if (Double.isNaN(s[j])) {
                            continue;
                        }
                        double e = Math.exp(s[j] - max);
                        sum += e;
                        int vo = ((b * m + j) * heads + h) * d;
                        for (int c = 0; c < d; c++) {
                            out[o + c] += e * v[vo + c];
                        }
                    }
                    for (int c = 0; c < d; c++) {
                        out[o + c] = sum > 0 ? out[o + c] / sum : 0;
                    }
                    lse[(b * heads + h) * n + i] = sum > 0 ? max + Math.log(sum) : Double.NEGATIVE_INFINITY;
                }
            }
        }
        return out;
    }

    private void row(float[] x, int b, int token, int h, int tokens, double[] out) {
        int at = ((b * tokens + token) * heads + h) * headDim;
        for (int c = 0; c < headDim; c++) {
            out[c] = x[at + c];
        }
    }

    private boolean sees(int i, int j) {
        int hw = height * width;
        int ti = i / hw, hi = i / width % height, wi = i % width;
        int tj = j / hw, hj = j / width % height, wj = j % width;
        switch (mode) {
            case SPATIAL:
                return ti == tj;
            case TEMPORAL:
                return hi == hj && wi == wj;
            case WINDOW:
                return Math.abs(ti / tiles[0] - tj / tiles[0]) <= window[0]
                        && Math.abs(hi / tiles[1] - hj / tiles[1]) <= window[1]
                        && Math.abs(wi / tiles[2] - wj / tiles[2]) <= window[2];
            default:
                return true;
        }
    }

    /** reel.h: section a rotates pairs (c0+2i, c0+2i+1) by (pos + offset) * theta^(-2i/S). */
    private void rotate(int token, double[] x) {
        int[] pos = {token / (height * width), token / width % height, token % width};
        int c0 = 0;
        for (int a = 0; a < 3; a++) {
            int dim = rope[a];
            for (int i = 0; i < dim / 2; i++) {
                double angle = (pos[a] + ropeOffsets[a]) * Math.pow(ropeTheta, -2.0 * i / dim);
                double x0 = x[c0 + 2 * i], x1 = x[c0 + 2 * i + 1];
                x[c0 + 2 * i] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                x[c0 + 2 * i + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
            c0 += dim;
        }
    }
}
