package dev.reel.provenance;

/**
 * What each cell of a {@code cols × rows} grid carries under one key: its chip (±1)
 * and its role, either the presence test or one coded payload bit.
 *
 * <p>The cells are put in a keyed random order (Fisher–Yates on the key's stream);
 * the first quarter of that order are the presence cells, the rest are dealt to
 * the coded bits in turn, so that every coded bit has cells spread over the whole
 * picture and a damaged region costs each bit a little rather than some bits
 * everything. At 32×32 cells that is 256 presence cells and 768 payload cells, three
 * per coded bit (two for six of them). A quarter is enough for the presence test,
 * whose z-score on Reel's own videos after a re-encode at half the bitrate and a
 * 0.75× resize stayed above 6 (threshold about 4.8), while the payload's soft
 * decoding gains from every cell: on 60 generations, a half for presence left the
 * payloads of finely textured clips undecoded even before any encoding, a third
 * missed 1 of 60 payloads at the default encode, a quarter none. The chips are independent fair coin flips of the key's stream, so
 * for a key drawn at random they are independent of any picture that was not marked
 * with it: that is what makes the presence test's null distribution exact.
 */
final class Layout {
    /** The role of a presence cell. */
    static final int PRESENCE = -1;

    final int cols, rows;
    /** The chip of each cell, +1 or −1, row-major. */
    final byte[] chips;
    /** {@link #PRESENCE} or the index of the coded bit the cell carries, row-major. */
    final int[] roles;
    private final int presence;

    Layout(WatermarkKey key, int cols, int rows) {
        this.cols = cols;
        this.rows = rows;
        int n = cols * rows;
        String grid = cols + "x" + rows;
        byte[] bits = key.stream("reel watermark v1 chips " + grid, (n + 7) / 8);
        chips = new byte[n];
        for (int c = 0; c < n; c++) {
            chips[c] = (byte) ((bits[c >>> 3] >>> (c & 7) & 1) == 1 ? 1 : -1);
        }
        int[] order = new int[n];
        for (int c = 0; c < n; c++) {
            order[c] = c;
        }
        byte[] r = key.stream("reel watermark v1 cells " + grid, 8 * n);
        for (int i = n - 1; i > 0; i--) {
            long v = 0;
            for (int b = 0; b < 8; b++) {
                v = v << 8 | (r[8 * i + b] & 0xff);
            }
            // (v >>> 1) % (i + 1): the bias is below (i + 1) / 2^63, nothing at these sizes
            int j = (int) ((v >>> 1) % (i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        presence = n / 4;
        roles = new int[n];
        for (int i = 0; i < n; i++) {
            roles[order[i]] = i < presence ? PRESENCE : (i - presence) % PayloadCode.CODED_BITS;
        }
    }

    int cells() {
        return chips.length;
    }

    int presenceCells() {
        return presence;
    }
}
