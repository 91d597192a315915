package dev.reel.provenance;

import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.video.Scaling;
import dev.reel.video.Video;
import dev.reel.video.VideoReader;
import dev.reel.video.VideoWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The measurement behind the watermark's strength rule and cell size
 * (bench/RESULTS.md, "Watermark strength"), run by {@code bench/provenance/study}:
 * on generations of the embedded model written as default MP4s,
 *
 * <ol>
 * <li>how much of a uniform mark of amplitude 1, 2 or 3 survives H.264, by the
 * picture's local texture, and how strong the unmarked picture's own residual (the
 * detector's noise) is there;
 * <li>four rules at the same luma PSNR: the default (full weight on flat cells, half
 * on busy ones), uniform, masking (busy cells twice the weight of flat ones), and the
 * default on 4-pixel cells — z-scores and payloads at the default encode and after a
 * re-encode at half the bitrate and 0.75×, and the MP4's size.
 * </ol>
 *
 * Not a test: a program on the test class path, for package access.
 */
public final class StrengthStudy {
    private static final double[] BINS = {0, 0.5, 1, 2, 4, 8, 16, 32, Double.POSITIVE_INFINITY};

    private StrengthStudy() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Path work = Files.createTempDirectory("strength");
        WatermarkKey key = WatermarkKey.defaultKey();
        VideoWriter plain = VideoWriter.builder().build();
        VideoWriter attack = VideoWriter.builder().size(192, 192).scaling(Scaling.BICUBIC).bitrate(100_000).build();
        List<Video> clips = new ArrayList<>();
        Random r = new Random(2);
        String[] colours = {"red", "green", "blue", "yellow", "cyan", "magenta", "white", "purple"};
        String[] shapes = {"circle", "square", "triangle", "diamond"};
        String[] moves = {"left", "right", "up", "down", "up-left", "down-right"};
        String[] backgrounds = {"black", "gray", "navy", "brown"};
        try (Generator g = Generator.embedded()) {
            for (int i = 0; i < n; i++) {
                String prompt = "a " + colours[r.nextInt(colours.length)] + " " + shapes[r.nextInt(shapes.length)]
                        + " moving " + moves[r.nextInt(moves.length)] + " on a "
                        + backgrounds[r.nextInt(backgrounds.length)] + " background";
                Video v = g.generate(GenerationRequest.builder().prompt(prompt).seed(r.nextInt(100000)).build())
                        .get(0).video();
                clips.add(plain.resized(v, dev.reel.video.VideoFormat.MP4));
            }
        }
        System.out.printf(Locale.ROOT, "%d generations, MP4 256×256 at the default bitrate%n%n", n);

        System.out.println("| texture (luma sd, 3×3 cells) | cells | unmarked residual sd | kept of amplitude 1 | "
                + "of 2 | of 3 |");
        System.out.println("|---|---|---|---|---|---|");
        int bins = BINS.length - 1;
        double[][] kept = new double[4][bins];
        double[] noise = new double[bins], cells = new double[bins];
        for (int a = 1; a <= 3; a++) {
            Watermark.Strength uniform = new Watermark.Strength(0, 4, 16, 1, a);
            for (int i = 0; i < n; i++) {
                Video clip = clips.get(i);
                CellGrid grid = CellGrid.of(clip.width(), clip.height());
                byte[] sign = Watermark.signs(key.layout(grid.cols, grid.rows), PayloadCode.encode(i));
                Path u = work.resolve("u.mp4"), m = work.resolve("m.mp4");
                plain.write(clip, u);
                plain.write(Watermark.embed(clip, key, i, uniform, CellGrid.SHORT_SIDE_CELLS), m);
                double[] ru = Watermark.residuals(VideoReader.read(u), grid);
                double[] rm = Watermark.residuals(VideoReader.read(m), grid);
                double[] texture = textures(clip, grid);
                for (int c = 0; c < grid.cells(); c++) {
                    int b = 0;
                    while (texture[c] >= BINS[b + 1]) {
                        b++;
                    }
                    kept[a][b] += (rm[c] - ru[c]) * sign[c] / a;
                    if (a == 1) {
                        noise[b] += ru[c] * ru[c];
                        cells[b]++;
                    }
                }
            }
        }
        for (int b = 0; b < bins; b++) {
            if (cells[b] == 0) {
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s–%s | %.0f | %.2f | %.2f | %.2f | %.2f |%n", num(BINS[b]),
                    num(BINS[b + 1]), cells[b], Math.sqrt(noise[b] / cells[b]), kept[1][b] / cells[b],
                    kept[2][b] / cells[b], kept[3][b] / cells[b]);
        }

        System.out.println();
        System.out.println("| rule (luma PSNR " + Watermark.PSNR_DB + " dB) | z default: mean / min | payloads | "
                + "z re-encoded: mean / min | detected re-encoded | payloads re-encoded | MP4 size growth |");
        System.out.println("|---|---|---|---|---|---|---|");
        Object[][] rules = {
            {"default: weight 1 up to texture 4, ½ from 16 (8-pixel cells)", Watermark.Strength.DEFAULT, 32},
            {"uniform weight", new Watermark.Strength(Watermark.PSNR_DB, 4, 16, 1, 3), 32},
            {"masking: weight 1 up to 4, 2 from 16", new Watermark.Strength(Watermark.PSNR_DB, 4, 16, 2, 3), 32},
            {"default on 4-pixel cells (64 on the short side)", Watermark.Strength.DEFAULT, 64},
        };
        for (Object[] rule : rules) {
            Watermark.Strength s = (Watermark.Strength) rule[1];
            int grid = (Integer) rule[2];
            double zSum = 0, zMin = 1e9, zaSum = 0, zaMin = 1e9;
            int payloads = 0, detected = 0, payloadsAttacked = 0;
            long bytesMarked = 0, bytesPlain = 0;
            for (int i = 0; i < n; i++) {
                Video clip = clips.get(i);
                long payload = 0x5EEDL * (i + 1);
                Path u = work.resolve("u.mp4"), m = work.resolve("m.mp4"), a = work.resolve("a.mp4");
                plain.write(clip, u);
                plain.write(Watermark.embed(clip, key, payload, s, grid), m);
                bytesMarked += Files.size(m);
                bytesPlain += Files.size(u);
                WatermarkReading w = Watermark.detect(VideoReader.read(m), key, grid);
                zSum += w.zScore();
                zMin = Math.min(zMin, w.zScore());
                payloads += w.payload().isPresent() && w.payload().getAsLong() == payload ? 1 : 0;
                attack.write(VideoReader.read(m), a);
                WatermarkReading wa = Watermark.detect(VideoReader.read(a), key, grid);
                zaSum += wa.zScore();
                zaMin = Math.min(zaMin, wa.zScore());
                detected += wa.marked() ? 1 : 0;
                payloadsAttacked += wa.payload().isPresent() && wa.payload().getAsLong() == payload ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "| %s | %.1f / %.1f | %d/%d | %.1f / %.1f | %d/%d | %d/%d | %+.1f%% |%n",
                    rule[0], zSum / n, zMin, payloads, n, zaSum / n, zaMin, detected, n, payloadsAttacked, n,
                    100.0 * (bytesMarked - bytesPlain) / bytesPlain);
        }
    }

    private static String num(double v) {
        return Double.isInfinite(v) ? "∞" : v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Each cell's texture as the embedder measures it, averaged over the frames. */
    private static double[] textures(Video v, CellGrid grid) {
        int w = v.width(), h = v.height(), n = grid.cells();
        double[] out = new double[n];
        byte[] rgb = v.rgb();
        for (int t = 0; t < v.frames(); t++) {
            long[] s1 = new long[n], s2 = new long[n];
            int[] count = new int[n];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = ((t * h + y) * w + x) * 3;
                    int l = (Watermark.KR * (rgb[i] & 0xff) + Watermark.KG * (rgb[i + 1] & 0xff)
                            + Watermark.KB * (rgb[i + 2] & 0xff) + 32768) >> 16;
                    int c = grid.rowOf[y] * grid.cols + grid.colOf[x];
                    s1[c] += l;
                    s2[c] += (long) l * l;
                    count[c]++;
                }
            }
            for (int cy = 0; cy < grid.rows; cy++) {
                for (int cx = 0; cx < grid.cols; cx++) {
                    double k = 0, q = 0, s = 0;
                    for (int yy = Math.max(0, cy - 1); yy <= Math.min(grid.rows - 1, cy + 1); yy++) {
                        for (int xx = Math.max(0, cx - 1); xx <= Math.min(grid.cols - 1, cx + 1); xx++) {
                            int c = yy * grid.cols + xx;
                            k += count[c];
                            q += s2[c];
                            s += s1[c];
                        }
                    }
                    out[cy * grid.cols + cx] += Math.sqrt(Math.max(0, q / k - (s / k) * (s / k))) / v.frames();
                }
            }
        }
        return out;
    }
}
