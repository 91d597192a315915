package dev.reel.bench;

import dev.reel.pipeline.GeneratedVideo;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.provenance.Detection;
import dev.reel.provenance.MarkedWriter;
import dev.reel.provenance.Provenance;
import dev.reel.provenance.SigningKey;
import dev.reel.provenance.Watermark;
import dev.reel.provenance.WatermarkKey;
import dev.reel.video.Scaling;
import dev.reel.video.Video;
import dev.reel.video.VideoFormat;
import dev.reel.video.VideoReader;
import dev.reel.video.VideoWriter;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The provenance measurement behind bench/RESULTS.md ("Provenance"), run by
 * {@code bench/provenance/run}:
 *
 * <ul>
 * <li>marked: {@code --marked} videos from the embedded model, random prompts and
 * seeds, written as {@code reel generate} writes them (MP4 256×256, 8 frames, through
 * {@link MarkedWriter}), then detected from the file; also as WebM and GIF, and the
 * MP4 decoded and re-encoded at half its bitrate at 0.75× the size (192×192, bicubic);
 * <li>unmarked: the same generations written without the mark, {@code --procedural}
 * procedural clips ({@link ProceduralClips}) and {@code --lavfi} clips from FFmpeg's
 * source filters (testsrc2, mandelbrot, life, cellauto, gradients, sierpinski,
 * zoneplate, bars), all encoded the same way, and detected;
 * <li>cost: the luma PSNR of marked against unmarked frames as encoded, and the
 * MP4's size with and without the mark at the same settings.
 * </ul>
 *
 * Writes a CSV per set, a markdown summary and a picture strip into {@code --out}.
 */
public final class ProvenanceBench {
    private static final String[] COLOURS = {"red", "green", "blue", "yellow", "cyan", "magenta", "orange", "white",
        "purple"};
    private static final String[] SHAPES = {"circle", "square", "triangle", "diamond"};
    private static final String[] DIRECTIONS = {"left", "right", "up", "down", "up-left", "up-right", "down-left",
        "down-right"};
    private static final String[] BACKGROUNDS = {"black", "gray", "navy", "brown"};

    private ProvenanceBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        int marked = Integer.parseInt(o.getOrDefault("marked", "200"));
        int procedural = Integer.parseInt(o.getOrDefault("procedural", "1200"));
        int lavfi = Integer.parseInt(o.getOrDefault("lavfi", "600"));
        Integer steps = o.containsKey("steps") ? Integer.valueOf(o.get("steps")) : null;
        Path out = Path.of(o.getOrDefault("out", "provenance-results"));
        Files.createDirectories(out);
        Path work = Files.createTempDirectory(out, "work");
        long start = System.nanoTime();
        Random random = new Random(Long.parseLong(o.getOrDefault("seed", "1")));
        VideoWriter plain = VideoWriter.builder().build();
        long halfRate = Math.max(VideoWriter.MIN_DEFAULT_BITRATE,
                Math.round(VideoWriter.DEFAULT_BITS_PER_PIXEL * 256 * 256 * 8)) / 2;
        VideoWriter attack = VideoWriter.builder().size(192, 192).scaling(Scaling.BICUBIC).bitrate(halfRate).build();

        List<Row> rows = new ArrayList<>();
        List<Null> nulls = new ArrayList<>();
        List<Video[]> stripFrames = new ArrayList<>();
        SigningKey signer = SigningKey.generate();
        try (Generator generator = Generator.embedded()) {
            MarkedWriter writer = MarkedWriter.builder(generator.model()).signingKey(signer).build();
            for (int i = 0; i < marked; i++) {
                GenerationRequest.Builder b = GenerationRequest.builder().prompt(prompt(random))
                        .seed(random.nextInt(1_000_000));
                if (steps != null) {
                    b.steps(steps);
                }
                GeneratedVideo v = generator.generate(b.build()).get(0);
                long id = Provenance.generationId(v, generator.model());
                Row row = new Row(v.prompt(), v.seed());
                Path mp4 = work.resolve("m.mp4"), raw = work.resolve("u.mp4");
                writer.write(v, mp4);
                Detection d = Provenance.detect(mp4);
                row.p = d.pValue();
                row.z = d.watermark().zScore();
                row.payload = d.watermark().payload().isPresent() && d.watermark().payload().getAsLong() == id;
                row.signed = d.signature() == Detection.Check.PASSED && d.frames() == Detection.Check.PASSED
                        && d.payload() == Detection.Check.PASSED;
                plain.write(v.video(), raw);
                Video frames = plain.resized(v.video(), VideoFormat.MP4);
                Video markedFrames = Watermark.embed(frames, WatermarkKey.defaultKey(), id);
                row.psnr = lumaPsnr(frames, markedFrames);
                // the mark's cost in the coded video alone: the same encode without the manifest's metadata
                Path bare = work.resolve("b.mp4");
                plain.write(markedFrames, bare);
                row.sizeMarked = Files.size(bare);
                row.sizeUnmarked = Files.size(raw);
                row.sizeManifest = Files.size(mp4) - Files.size(bare);
                Detection du = Provenance.detect(raw);
                nulls.add(new Null("reel, mark off", v.prompt() + " seed " + v.seed(), du.pValue(), du.watermark()
                        .zScore()));
                if (stripFrames.size() < 4) {
                    stripFrames.add(new Video[] {VideoReader.read(raw), VideoReader.read(mp4), frames, markedFrames});
                }
                Path attacked = work.resolve("a.mp4");
                attack.write(VideoReader.read(mp4), attacked);
                Detection da = Provenance.detect(attacked);
                row.pAttack = da.pValue();
                row.zAttack = da.watermark().zScore();
                row.payloadAttack = da.watermark().payload().isPresent() && da.watermark().payload().getAsLong() == id;
                for (String ext : new String[] {"webm", "gif"}) {
                    Path f = work.resolve("m." + ext);
                    writer.write(v, f);
                    Detection df = Provenance.detect(f);
                    boolean ok = df.watermark().payload().isPresent() && df.watermark().payload().getAsLong() == id;
                    if (ext.equals("webm")) {
                        row.pWebm = df.pValue();
                        row.payloadWebm = ok;
                    } else {
                        row.pGif = df.pValue();
                        row.payloadGif = ok;
                    }
                }
                rows.add(row);
                if ((i + 1) % 20 == 0) {
                    System.err.printf(Locale.ROOT, "marked %d/%d  %.0f s%n", i + 1, marked, seconds(start));
                }
            }
        }
        double markedSeconds = seconds(start);
        for (int i = 0; i < procedural; i++) {
            nulls.add(detectUnmarked(plain, work, ProceduralClips.clip(i, 256, 256, 8), "procedural",
                    ProceduralClips.family(i) + " " + i));
            if ((i + 1) % 200 == 0) {
                System.err.printf(Locale.ROOT, "procedural %d/%d  %.0f s%n", i + 1, procedural, seconds(start));
            }
        }
        for (int i = 0; i < lavfi; i++) {
            String source = lavfiSource(i);
            nulls.add(detectUnmarked(plain, work, VideoReader.synthetic(source, 8), "lavfi", source));
            if ((i + 1) % 200 == 0) {
                System.err.printf(Locale.ROOT, "lavfi %d/%d  %.0f s%n", i + 1, lavfi, seconds(start));
            }
        }
        double total = seconds(start);
        writeCsv(out.resolve("marked.csv"), rows);
        writeNullCsv(out.resolve("unmarked.csv"), nulls);
        if (!stripFrames.isEmpty()) {
            strip(stripFrames, Path.of(o.getOrDefault("strip", out.resolve("watermark-strip.png").toString())));
        }
        String summary = summary(rows, nulls, markedSeconds, total, steps);
        Files.writeString(out.resolve("summary.md"), summary);
        System.out.print(summary);
        try (var s = Files.walk(work)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One marked generation's results. */
    static final class Row {
        final String prompt;
        final long seed;
        double p, z, pAttack, zAttack, pWebm, pGif, psnr;
        boolean payload, signed, payloadAttack, payloadWebm, payloadGif;
        long sizeMarked, sizeUnmarked, sizeManifest;

        Row(String prompt, long seed) {
            this.prompt = prompt;
            this.seed = seed;
        }
    }

    /** One unmarked clip's result. */
    record Null(String kind, String what, double p, double z) {}

    private static Null detectUnmarked(VideoWriter plain, Path work, Video clip, String kind, String what) {
        Path f = work.resolve("n.mp4");
        plain.write(clip, f);
        Detection d = Provenance.detect(f);
        return new Null(kind, what, d.pValue(), d.watermark().zScore());
    }

    private static String prompt(Random r) {
        String motion = r.nextInt(9) == 0 ? "standing still" : "moving " + DIRECTIONS[r.nextInt(DIRECTIONS.length)];
        String setting = r.nextBoolean() ? " on a " + BACKGROUNDS[r.nextInt(BACKGROUNDS.length)] + " background" : "";
        String colour = COLOURS[r.nextInt(COLOURS.length)];
        return (colour.equals("orange") ? "an " : "a ") + colour + " " + SHAPES[r.nextInt(SHAPES.length)] + " "
                + motion + setting;
    }

    /** The i-th FFmpeg source clip: eight generators, each with parameters drawn from i. */
    static String lavfiSource(int i) {
        // spread the seeds: java.util.Random's first draws from nearby seeds are alike
        Random r = new Random(0x1AF1L ^ (i + 1) * 0x9E3779B97F4A7C15L);
        String base = "size=256x256:rate=8";
        return switch (Math.floorMod(i, 8)) {
            case 0 -> "testsrc2=size=" + (320 + r.nextInt(193)) + "x" + (320 + r.nextInt(193))
                    + ":rate=8,trim=start_frame=" + r.nextInt(200) + ",crop=256:256:" + r.nextInt(50) + ":" + r.nextInt(50);
            case 1 -> String.format(Locale.ROOT, "mandelbrot=%s:start_x=%.4f:start_y=%.4f:start_scale=%.3f:end_scale=%.4f",
                    base, -1.5 + r.nextDouble() * 2, -1 + r.nextDouble() * 2, 0.05 + r.nextDouble() * 3,
                    0.01 + r.nextDouble() * 0.5);
            case 2 -> String.format("life=%s:seed=%d:mold=%d:ratio=%.2f:life_color=#%06x:death_color=#%06x", base,
                    r.nextInt(1 << 30), r.nextInt(60), 0.05 + 0.6 * r.nextDouble(), r.nextInt(1 << 24),
                    r.nextInt(1 << 24));
            case 3 -> "cellauto=" + base + ":rule=" + r.nextInt(256) + ":seed=" + r.nextInt(1 << 30)
                    + ":random_fill_ratio=" + String.format(Locale.ROOT, "%.2f", 0.1 + 0.8 * r.nextDouble());
            case 4 -> "gradients=" + base + ":seed=" + r.nextInt(1 << 30) + ":nb_colors=" + (2 + r.nextInt(7))
                    + ":type=" + new String[] {"linear", "radial", "circular", "spiral", "square"}[r.nextInt(5)];
            case 5 -> "sierpinski=" + base + ":seed=" + r.nextInt(1 << 30) + ":jump=" + (1 + r.nextInt(20)) + ":type="
                    + (r.nextBoolean() ? "carpet" : "triangle");
            case 6 -> "zoneplate=" + base + ":k0=" + r.nextInt(50) + ":kx=" + r.nextInt(30) + ":ky=" + r.nextInt(30)
                    + ":kx2=" + r.nextInt(80) + ":ky2=" + r.nextInt(80) + ":kt=" + r.nextInt(20);
            default -> new String[] {"smptehdbars", "rgbtestsrc", "colorspectrum", "pal100bars"}[r.nextInt(4)]
                    + "=size=" + (320 + r.nextInt(193)) + "x" + (320 + r.nextInt(193)) + ":rate=8,crop=256:256:"
                    + r.nextInt(64) + ":" + r.nextInt(64) + (r.nextBoolean() ? "" : ",noise=alls="
                    + (2 + r.nextInt(30)) + ":allf=t");
        };
    }

    static double lumaPsnr(Video a, Video b) {
        byte[] x = a.rgb(), y = b.rgb();
        double se = 0;
        for (int i = 0; i < x.length; i += 3) {
            double d = 219.0 / 255 * (0.2126 * ((x[i] & 0xff) - (y[i] & 0xff)) + 0.7152 * ((x[i + 1] & 0xff)
                    - (y[i + 1] & 0xff)) + 0.0722 * ((x[i + 2] & 0xff) - (y[i + 2] & 0xff)));
            se += d * d;
        }
        double mse = se / (x.length / 3.0);
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
    }

    private static String summary(List<Row> rows, List<Null> nulls, double markedSeconds, double total,
                                  Integer steps) {
        int n = rows.size();
        double alpha = Watermark.FALSE_POSITIVE_RATE;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Marked: %d videos from the embedded model (%s steps, random prompts and "
                + "seeds), MP4 256x256 8 frames as `reel generate` writes them; unmarked: %d clips encoded the same way."
                + " Threshold: p <= %.0e. Run time %.0f s (marked set %.0f s).%n%n", n,
                steps == null ? "the model's default 25" : steps, nulls.size(), alpha, total, markedSeconds));
        s.append("| measure | result | target |\n|---|---|---|\n");
        s.append(row("TPR, default MP4", count(rows, r -> r.p <= alpha), n, "≥ 99%"));
        s.append(row("payload correct, default MP4", count(rows, r -> r.payload), n, "≥ 99%"));
        s.append(row("manifest: signature, frame hash and payload all pass", count(rows, r -> r.signed), n, ""));
        s.append(row("TPR, re-encoded at half the bitrate and 0.75× (192×192)", count(rows, r -> r.pAttack <= alpha),
                n, "≥ 90%"));
        s.append(row("payload correct after that re-encode", count(rows, r -> r.payloadAttack), n, ""));
        s.append(row("TPR, WebM (VP9)", count(rows, r -> r.pWebm <= alpha), n, "≥ 95%"));
        s.append(row("payload correct, WebM", count(rows, r -> r.payloadWebm), n, ""));
        s.append(row("TPR, GIF", count(rows, r -> r.pGif <= alpha), n, "≥ 95%"));
        s.append(row("payload correct, GIF", count(rows, r -> r.payloadGif), n, ""));
        long fp = nulls.stream().filter(x -> x.p() <= alpha).count();
        s.append(String.format(Locale.ROOT, "| false positives among unmarked (p ≤ 1e-6) | %d of %d | 0 |%n", fp,
                nulls.size()));
        for (double a : new double[] {1e-2, 1e-3}) {
            long k = nulls.stream().filter(x -> x.p() <= a).count();
            s.append(String.format(Locale.ROOT, "| unmarked with p ≤ %.0e (calibration) | %d of %d = %.2e | ≤ %.0e "
                    + "(the p-value is exact) |%n", a, k, nulls.size(), k / (double) nulls.size(), a));
        }
        double minNull = nulls.stream().mapToDouble(Null::p).min().orElse(1);
        s.append(String.format(Locale.ROOT, "| smallest unmarked p-value | %.2e | > 1e-6 |%n", minNull));
        double[] z = rows.stream().mapToDouble(r -> r.z).sorted().toArray();
        double[] za = rows.stream().mapToDouble(r -> r.zAttack).sorted().toArray();
        double[] zn = nulls.stream().mapToDouble(Null::z).sorted().toArray();
        s.append(String.format(Locale.ROOT, "| z-score marked MP4: min / median | %.1f / %.1f | |%n", at(z, 0),
                at(z, 0.5)));
        s.append(String.format(Locale.ROOT, "| z-score after re-encode: min / median | %.1f / %.1f | |%n", at(za, 0),
                at(za, 0.5)));
        s.append(String.format(Locale.ROOT, "| z-score unmarked: median / max | %.2f / %.2f | |%n", at(zn, 0.5),
                at(zn, 1)));
        double[] psnr = rows.stream().mapToDouble(r -> r.psnr).sorted().toArray();
        s.append(String.format(Locale.ROOT, "| luma PSNR marked vs unmarked: min / mean | %.2f / %.2f dB | ≥ 42 dB |%n",
                at(psnr, 0), Arrays.stream(psnr).average().orElse(0)));
        double[] growth = rows.stream().mapToDouble(r -> 100.0 * (r.sizeMarked - r.sizeUnmarked) / r.sizeUnmarked)
                .sorted().toArray();
        long marked = rows.stream().mapToLong(r -> r.sizeMarked).sum(), unmarked = rows.stream()
                .mapToLong(r -> r.sizeUnmarked).sum();
        s.append(String.format(Locale.ROOT, "| MP4 size growth from the mark, same settings: all files / median / max | "
                + "%+.1f%% / %+.1f%% / %+.1f%% | ≤ 5%% |%n", 100.0 * (marked - unmarked) / unmarked, at(growth, 0.5),
                at(growth, 1)));
        s.append(String.format(Locale.ROOT, "| the manifest's metadata, per file (mean) | %.0f bytes (%.1f%% of an "
                + "unmarked file) | |%n", rows.stream().mapToLong(r -> r.sizeManifest).average().orElse(0),
                100.0 * rows.stream().mapToLong(r -> r.sizeManifest).sum() / unmarked));
        s.append("\nUnmarked clips by source:\n\n| source | clips | p ≤ 1e-6 | p ≤ 1e-2 | median z |\n|---|---|---|---|---|\n");
        Map<String, List<Null>> bySource = new LinkedHashMap<>();
        for (Null x : nulls) {
            String key = x.kind().equals("lavfi") ? "lavfi " + x.what().split("=")[0]
                    : x.kind().equals("procedural") ? "procedural " + x.what().split(" ")[0] : x.kind();
            bySource.computeIfAbsent(key, k -> new ArrayList<>()).add(x);
        }
        bySource.forEach((k, v) -> {
            double[] zs = v.stream().mapToDouble(Null::z).sorted().toArray();
            s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.2f |%n", k, v.size(),
                    v.stream().filter(x -> x.p() <= alpha).count(), v.stream().filter(x -> x.p() <= 1e-2).count(),
                    at(zs, 0.5)));
        });
        return s.toString();
    }

    private static String row(String what, long k, int n, String target) {
        return String.format(Locale.ROOT, "| %s | %d of %d (%.1f%%) | %s |%n", what, k, n, 100.0 * k / Math.max(1, n),
                target);
    }

    private static long count(List<Row> rows, java.util.function.Predicate<Row> p) {
        return rows.stream().filter(p).count();
    }

    private static double at(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    /**
     * Four generations, middle frame: the unmarked MP4 as decoded, over the marked MP4
     * as decoded, over the mark itself (the luma of the marked frame minus the
     * unmarked one before encoding, 16× around mid-grey).
     */
    private static void strip(List<Video[]> sets, Path file) throws IOException {
        int w = sets.get(0)[0].width(), h = sets.get(0)[0].height(), gap = 4;
        BufferedImage img = new BufferedImage(sets.size() * (w + gap) - gap, 3 * h + 2 * gap,
                BufferedImage.TYPE_INT_RGB);
        for (int k = 0; k < sets.size(); k++) {
            Video u = sets.get(k)[0], m = sets.get(k)[1], before = sets.get(k)[2], after = sets.get(k)[3];
            int t = u.frames() / 2, x0 = k * (w + gap);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x0 + x, y, u.pixel(t, x, y));
                    img.setRGB(x0 + x, h + gap + y, m.pixel(t, x, y));
                    double d = luma(after.pixel(t, x, y)) - luma(before.pixel(t, x, y));
                    int g = (int) Math.max(0, Math.min(255, Math.round(128 + 16 * d)));
                    img.setRGB(x0 + x, 2 * (h + gap) + y, g << 16 | g << 8 | g);
                }
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    private static double luma(int rgb) {
        return 0.2126 * (rgb >> 16 & 0xff) + 0.7152 * (rgb >> 8 & 0xff) + 0.0722 * (rgb & 0xff);
    }

    private static void writeCsv(Path file, List<Row> rows) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("prompt,seed,p_mp4,z_mp4,payload_mp4,manifest_ok,p_reencoded,z_reencoded,payload_reencoded,"
                    + "p_webm,payload_webm,p_gif,payload_gif,luma_psnr_db,bytes_marked,bytes_unmarked,bytes_manifest");
            for (Row r : rows) {
                w.printf(Locale.ROOT, "\"%s\",%d,%.3e,%.3f,%b,%b,%.3e,%.3f,%b,%.3e,%b,%.3e,%b,%.3f,%d,%d,%d%n",
                        r.prompt, r.seed, r.p, r.z, r.payload, r.signed, r.pAttack, r.zAttack, r.payloadAttack, r.pWebm,
                        r.payloadWebm, r.pGif, r.payloadGif, r.psnr, r.sizeMarked, r.sizeUnmarked, r.sizeManifest);
            }
        }
    }

    private static void writeNullCsv(Path file, List<Null> nulls) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("kind,clip,p,z");
            for (Null x : nulls) {
                w.printf(Locale.ROOT, "%s,\"%s\",%.4e,%.3f%n", x.kind(), x.what(), x.p(), x.z());
            }
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: ProvenanceBench [--marked N] [--procedural N] [--lavfi N] "
                        + "[--steps N] [--seed N] [--out DIR] [--strip PNG]; got " + args[i]);
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }
}
