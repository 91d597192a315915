package dev.reel.provenance;

import dev.reel.video.Video;
import java.util.Arrays;

/**
 * The invisible watermark in a video's frames: a keyed ±1 pattern over a grid of
 * cells ({@link CellGrid}: 8×8 pixels at Reel's default 256×256), added to the
 * luma and the same in every frame. A quarter of the cells carry a presence
 * pattern, the rest a 64-bit payload under a convolutional code ({@link PayloadCode}).
 *
 * <p><b>Embedding.</b> A cell's pixels all move by the same {@code d} in R, G and B,
 * which moves the BT.709 luma {@code 0.2126R + 0.7152G + 0.0722B} — and so the
 * encoder's Y — by exactly {@code d} and leaves the chroma as it was;
 * {@code d = o + s·a}, where {@code s} is the cell's sign (chip, times the coded
 * bit for a payload cell), {@code a} a whole amplitude and {@code o} the smallest
 * shift that keeps both signs of the cell inside [0, 255] (a black background is
 * lifted a level or two instead of losing half the mark to clipping). The amplitude
 * follows the local texture (the luma's standard deviation over the 3×3 cells
 * around): full in flat and gently textured cells, falling linearly to half between
 * {@value #TEXTURE_FULL} and {@value #TEXTURE_HALF} levels, then scaled per frame so
 * that the frame's luma PSNR is {@value #PSNR_DB} dB, and at most
 * {@value #MAX_AMPLITUDE}. Flat cells get the most because that is where a codec
 * erases a weak mark and where, once it survives, it stands out of the least
 * picture noise; busy cells need less, since detection gives them little weight.
 * The measurements behind this rule are in bench/RESULTS.md ("Watermark strength").
 *
 * <p><b>Detection</b> sees only pixels and the key. Each cell's mean luma over all
 * frames, minus the mean of its 8 neighbours, is a residual {@code r}; divided by the
 * local residual energy (the mean of r² over the 3×3 cells around) plus a floor, it is the cell's evidence
 * {@code u}, so that busy regions, where the picture's own detail swamps the mark,
 * count for little. The presence statistic is {@code S = Σ chip·q} over the presence
 * cells, {@code q} the evidence rounded to a whole number in [−4, 4] on a scale set
 * by the evidence's RMS. For a video that does not carry this key's mark the
 * {@code q} are functions of its content alone, and the chips are independent fair
 * signs (the key's HMAC stream) that the content cannot know; so, given the content,
 * {@code S} is a sum of independent {@code ±|q|} — whose distribution
 * {@link RademacherTail} computes exactly. The p-value {@code P(S ≥ s)} is therefore
 * exact for any unmarked input, whatever it shows, and {@code p ≤ α} has a
 * false-positive rate of at most α. The payload's soft bits are the evidence summed
 * over each coded bit's cells.
 */
public final class Watermark {
    /** The false-positive rate that {@link WatermarkReading#marked()} is set for. */
    public static final double FALSE_POSITIVE_RATE = 1e-6;
    /** The luma PSNR of a marked frame against the original (before encoding). */
    public static final double PSNR_DB = 42.5;

    static final double TEXTURE_FULL = 4, TEXTURE_HALF = 16;
    static final int MAX_AMPLITUDE = 3;

    /**
     * Where the mark is how strong: the PSNR budget, the texture (luma standard
     * deviation) up to which cells get full weight and from which they get
     * {@code busyWeight}, linear between, and the largest amplitude. Package-private:
     * {@link #DEFAULT} is the one rule; others exist for the study that chose it.
     */
    record Strength(double psnrDb, double textureFull, double textureBusy, double busyWeight, int maxAmplitude) {
        static final Strength DEFAULT = new Strength(PSNR_DB, TEXTURE_FULL, TEXTURE_HALF, 0.5, MAX_AMPLITUDE);

        /** The squared luma change per pixel the PSNR allows, in RGB levels (Y' is 219/255 of them). */
        double budget() {
            return 255.0 * 255.0 / Math.pow(10, psnrDb / 10) / Math.pow(219.0 / 255.0, 2);
        }

        double weight(double texture) {
            double f = Math.max(0, Math.min(1, (texture - textureFull) / (textureBusy - textureFull)));
            return 1 - f * (1 - busyWeight);
        }
    }
    /** Quantisation of the presence evidence: whole levels in [−LEVELS, LEVELS], LEVELS_PER_RMS per RMS. */
    static final int LEVELS = 4;
    static final double LEVELS_PER_RMS = 2.5;
    /** The floor added to the local residual energy (luma levels²): keeps flat regions' weight finite. */
    static final double ENERGY_FLOOR = 0.5;

    /** BT.709 luma weights in 1/65536 (they sum to 65536, so equal steps in R, G, B move luma by the same step). */
    static final int KR = 13933, KG = 46871, KB = 4732;

    private Watermark() {}

    /**
     * The video with the mark of {@code payload} under {@code key} in every frame, at
     * the video's size: mark the frames as they will be encoded, after any resize.
     *
     * @throws IllegalArgumentException when the short side is under {@code 2·}{@value CellGrid#MIN_SHORT_SIDE_CELLS}
     *     pixels, too small for the grid
     */
    public static Video embed(Video video, WatermarkKey key, long payload) {
        return embed(video, key, payload, Strength.DEFAULT, CellGrid.SHORT_SIDE_CELLS);
    }

    /** {@link #embed(Video, WatermarkKey, long)} with another strength rule and grid, for studies. */
    static Video embed(Video video, WatermarkKey key, long payload, Strength strength, int shortSideCells) {
        if (video == null || key == null) {
            throw new IllegalArgumentException((video == null ? "video" : "key") + " is null");
        }
        CellGrid grid = CellGrid.of(video.width(), video.height(), shortSideCells);
        if (grid == null) {
            throw new IllegalArgumentException("a " + video.width() + "×" + video.height() + " video is too small "
                    + "for a watermark: the short side needs at least " + 2 * CellGrid.MIN_SHORT_SIDE_CELLS + " pixels");
        }
        byte[] sign = signs(key.layout(grid.cols, grid.rows), PayloadCode.encode(payload));
        byte[] rgb = video.rgb();
        FrameMarker marker = new FrameMarker(grid, sign, strength);
        int frameBytes = video.width() * video.height() * 3;
        for (int t = 0; t < video.frames(); t++) {
            marker.mark(rgb, t * frameBytes);
        }
        return Video.ofRgb(rgb, video.frames(), video.height(), video.width(), video.frameRate());
    }

    /** Each cell's sign: its chip, times {@code +1} for coded bit 0 and {@code −1} for 1 on a payload cell. */
    static byte[] signs(Layout layout, byte[] coded) {
        byte[] s = new byte[layout.cells()];
        for (int c = 0; c < s.length; c++) {
            int role = layout.roles[c];
            s[c] = (byte) (role == Layout.PRESENCE ? layout.chips[c] : layout.chips[c] * (1 - 2 * coded[role]));
        }
        return s;
    }

    /**
     * Reads the mark of {@code key} from a video's pixels, at any size: the grid
     * follows the aspect ratio. For a frame that is not square the three grids of
     * {@link CellGrid#candidates} are tried and the smallest p-value is multiplied by
     * 3 (Bonferroni), so the reported p-value still bounds the false-positive rate.
     */
    public static WatermarkReading detect(Video video, WatermarkKey key) {
        return detect(video, key, CellGrid.SHORT_SIDE_CELLS);
    }

    /** {@link #detect(Video, WatermarkKey)} on another grid, for studies. */
    static WatermarkReading detect(Video video, WatermarkKey key, int shortSideCells) {
        if (video == null || key == null) {
            throw new IllegalArgumentException((video == null ? "video" : "key") + " is null");
        }
        java.util.List<CellGrid> grids = CellGrid.candidates(video.width(), video.height(), shortSideCells);
        if (grids.isEmpty()) {
            return WatermarkReading.unreadable(video.width() + "×" + video.height() + " is too small to carry a mark");
        }
        WatermarkReading best = null;
        for (CellGrid grid : grids) {
            WatermarkReading r = read(residuals(video, grid), key.layout(grid.cols, grid.rows));
            if (best == null || r.pValue() < best.pValue()) {
                best = r;
            }
        }
        return grids.size() == 1 ? best : new WatermarkReading(Math.min(1, grids.size() * best.pValue()),
                best.zScore(), best.payload(), best.presenceCells(), null);
    }

    /** Each cell's mean luma over all frames, minus the mean of its (up to 8) neighbours. */
    static double[] residuals(Video video, CellGrid grid) {
        int w = video.width(), h = video.height(), n = grid.cells();
        long[] sum = new long[n];
        long[] count = new long[n];
        byte[] rgb = video.rgb();
        for (int t = 0; t < video.frames(); t++) {
            int base = t * w * h * 3;
            for (int y = 0; y < h; y++) {
                int rowCell = grid.rowOf[y] * grid.cols;
                for (int x = 0, i = base + y * w * 3; x < w; x++, i += 3) {
                    int c = rowCell + grid.colOf[x];
                    sum[c] += KR * (rgb[i] & 0xff) + KG * (rgb[i + 1] & 0xff) + KB * (rgb[i + 2] & 0xff);
                    count[c]++;
                }
            }
        }
        double[] m = new double[n];
        for (int c = 0; c < n; c++) {
            m[c] = sum[c] / (65536.0 * Math.max(1, count[c]));
        }
        double[] r = new double[n];
        for (int cy = 0; cy < grid.rows; cy++) {
            for (int cx = 0; cx < grid.cols; cx++) {
                double s = 0;
                int k = 0;
                for (int yy = Math.max(0, cy - 1); yy <= Math.min(grid.rows - 1, cy + 1); yy++) {
                    for (int xx = Math.max(0, cx - 1); xx <= Math.min(grid.cols - 1, cx + 1); xx++) {
                        if (yy != cy || xx != cx) {
                            s += m[yy * grid.cols + xx];
                            k++;
                        }
                    }
                }
                r[cy * grid.cols + cx] = m[cy * grid.cols + cx] - s / k;
            }
        }
        return r;
    }

    /** The presence test and the payload from the cells' residuals. */
    static WatermarkReading read(double[] r, Layout layout) {
        int n = r.length, cols = layout.cols, rows = layout.rows;
        double[] u = new double[n];
        double uu = 0;
        for (int cy = 0; cy < rows; cy++) {
            for (int cx = 0; cx < cols; cx++) {
                double e = 0;
                int k = 0;
                for (int yy = Math.max(0, cy - 1); yy <= Math.min(rows - 1, cy + 1); yy++) {
                    for (int xx = Math.max(0, cx - 1); xx <= Math.min(cols - 1, cx + 1); xx++) {
                        double v = r[yy * cols + xx];
                        e += v * v;
                        k++;
                    }
                }
                int c = cy * cols + cx;
                u[c] = r[c] / (e / k + ENERGY_FLOOR);
                uu += u[c] * u[c];
            }
        }
        double unit = Math.sqrt(uu / n) / LEVELS_PER_RMS;
        if (!(unit > 0)) {
            unit = 1;   // a flat picture: every u is 0 and so is every q
        }
        int[] counts = new int[LEVELS + 1];
        long s = 0;
        double[] soft = new double[PayloadCode.CODED_BITS];
        for (int c = 0; c < n; c++) {
            double v = Math.max(-LEVELS, Math.min(LEVELS, u[c] / unit));
            if (layout.roles[c] == Layout.PRESENCE) {
                int q = (int) Math.round(v);
                counts[Math.abs(q)]++;
                s += (long) q * layout.chips[c];
            } else {
                soft[layout.roles[c]] += v * layout.chips[c];
            }
        }
        double var = 0;
        for (int m = 1; m <= LEVELS; m++) {
            var += (double) m * m * counts[m];
        }
        double z = var == 0 ? 0 : s / Math.sqrt(var);
        double p = RademacherTail.upperTail(counts, s);
        Long payload = PayloadCode.decode(soft);
        return new WatermarkReading(p, z, payload, layout.presenceCells(), null);
    }

    /** Marks frames of one size in place, reusing its per-cell buffers. */
    private static final class FrameMarker {
        private final CellGrid grid;
        private final byte[] sign;
        private final Strength strength;
        private final long[] s1, s2;
        private final int[] count, lo, hi, amplitude, offset;
        private final double[] weight, dither;

        FrameMarker(CellGrid grid, byte[] sign, Strength strength) {
            this.grid = grid;
            this.sign = sign;
            this.strength = strength;
            int n = grid.cells();
            s1 = new long[n];
            s2 = new long[n];
            count = new int[n];
            lo = new int[n];
            hi = new int[n];
            amplitude = new int[n];
            offset = new int[n];
            weight = new double[n];
            dither = new double[n];
            for (int c = 0; c < n; c++) {
                dither[c] = (c * 0.6180339887498949) % 1.0;
            }
        }

        void mark(byte[] rgb, int base) {
            int w = grid.width, h = grid.height, n = grid.cells();
            Arrays.fill(s1, 0);
            Arrays.fill(s2, 0);
            Arrays.fill(count, 0);
            Arrays.fill(lo, 255);
            Arrays.fill(hi, 0);
            for (int y = 0; y < h; y++) {
                int rowCell = grid.rowOf[y] * grid.cols;
                for (int x = 0, i = base + y * w * 3; x < w; x++, i += 3) {
                    int r = rgb[i] & 0xff, g = rgb[i + 1] & 0xff, b = rgb[i + 2] & 0xff;
                    int c = rowCell + grid.colOf[x];
                    int l = (KR * r + KG * g + KB * b + 32768) >> 16;
                    s1[c] += l;
                    s2[c] += l * l;
                    count[c]++;
                    lo[c] = Math.min(lo[c], Math.min(r, Math.min(g, b)));
                    hi[c] = Math.max(hi[c], Math.max(r, Math.max(g, b)));
                }
            }
            for (int cy = 0; cy < grid.rows; cy++) {
                for (int cx = 0; cx < grid.cols; cx++) {
                    weight[cy * grid.cols + cx] = strength.weight(texture(cx, cy));
                }
            }
            // the largest scale within the PSNR budget, by bisection (the cost rises with the scale)
            double budget = strength.budget() * w * h, lower = 0;
            double upper = strength.maxAmplitude() / Math.min(1, strength.busyWeight());
            if (cost(upper) > budget) {
                for (int it = 0; it < 20; it++) {
                    double mid = 0.5 * (lower + upper);
                    if (cost(mid) > budget) {
                        upper = mid;
                    } else {
                        lower = mid;
                    }
                }
                upper = lower;
            }
            for (int c = 0; c < n; c++) {
                amplitude[c] = amplitude(c, upper);
                offset[c] = offset(amplitude[c], c);
            }
            for (int y = 0; y < h; y++) {
                int rowCell = grid.rowOf[y] * grid.cols;
                for (int x = 0, i = base + y * w * 3; x < w; x++, i += 3) {
                    int c = rowCell + grid.colOf[x];
                    int d = offset[c] + sign[c] * amplitude[c];
                    rgb[i] = clamp((rgb[i] & 0xff) + d);
                    rgb[i + 1] = clamp((rgb[i + 1] & 0xff) + d);
                    rgb[i + 2] = clamp((rgb[i + 2] & 0xff) + d);
                }
            }
        }

        /** The luma's standard deviation over the pixels of the 3×3 cells around (cx, cy). */
        private double texture(int cx, int cy) {
            double k = 0, q = 0, s = 0;
            for (int yy = Math.max(0, cy - 1); yy <= Math.min(grid.rows - 1, cy + 1); yy++) {
                for (int xx = Math.max(0, cx - 1); xx <= Math.min(grid.cols - 1, cx + 1); xx++) {
                    int c = yy * grid.cols + xx;
                    k += count[c];
                    q += s2[c];
                    s += s1[c];
                }
            }
            double mean = s / Math.max(1, k);
            return Math.sqrt(Math.max(0, q / Math.max(1, k) - mean * mean));
        }

        /**
         * Cell c's whole amplitude at {@code scale}: {@code min(MAX, scale·weight)}
         * rounded down or up by a fixed low-discrepancy dither over the cells, so that
         * the average follows the scale smoothly.
         */
        private int amplitude(int c, double scale) {
            return (int) (Math.min(strength.maxAmplitude(), scale * weight[c]) + dither[c]);
        }

        /** The shift that keeps {@code lo + o − a ≥ 0} and {@code hi + o + a ≤ 255}; where both cannot hold, the middle. */
        private int offset(int a, int c) {
            int down = a - lo[c], up = 255 - hi[c] - a;
            return down <= up ? Math.max(down, Math.min(0, up)) : (down + up) / 2;
        }

        /** The sum over the frame's pixels of the squared change at {@code scale}. */
        private double cost(double scale) {
            double total = 0;
            for (int c = 0; c < sign.length; c++) {
                int a = amplitude(c, scale);
                int d = offset(a, c) + sign[c] * a;
                total += (double) count[c] * d * d;
            }
            return total;
        }
    }

    private static byte clamp(int v) {
        return (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
