package dev.reel.provenance;

import dev.reel.video.Video;
import java.util.Random;

/** Random unmarked clips for the provenance tests: smooth noise, gradients, shapes, stripes, flat fields with grain. */
final class TestClips {
    private TestClips() {}

    /** Clip {@code index} of a deterministic family of {@code frames × height × width} pictures. */
    static Video clip(long index, int width, int height, int frames) {
        Random r = new Random(0x7e57c11bL ^ index * 0x9E3779B97F4A7C15L);
        int family = (int) Math.floorMod(index, 5);
        double[] a = colour(r), b = colour(r);
        double vx = r.nextDouble() * 6 - 3, vy = r.nextDouble() * 6 - 3;
        double cx = width * (0.2 + 0.6 * r.nextDouble()), cy = height * (0.2 + 0.6 * r.nextDouble());
        double radius = width * (0.05 + 0.25 * r.nextDouble()), angle = r.nextDouble() * Math.PI;
        double period = 3 + r.nextDouble() * 30, grain = 1 + r.nextDouble() * 8;
        double scale = 4 + r.nextDouble() * 40;
        double[] lattice = new double[64 * 64];
        for (int i = 0; i < lattice.length; i++) {
            lattice[i] = r.nextDouble();
        }
        byte[] rgb = new byte[frames * height * width * 3];
        for (int t = 0, i = 0; t < frames; t++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++, i += 3) {
                    double u = x + vx * t, v = y + vy * t, mix;
                    switch (family) {
                        case 0 -> mix = noise(lattice, u / scale, v / scale);
                        case 1 -> mix = clamp((x * Math.cos(angle) + y * Math.sin(angle)) / (1.5 * width) + 0.3);
                        case 2 -> mix = clamp(radius - Math.hypot(x - cx - vx * t, y - cy - vy * t) + 0.5);
                        case 3 -> mix = Math.floorMod((long) Math.floor((u * Math.cos(angle) + v * Math.sin(angle))
                                / period), 2);
                        default -> mix = 0.5 + r.nextGaussian() * grain / 255;
                    }
                    for (int c = 0; c < 3; c++) {
                        double value = family == 4 ? a[c] + (mix - 0.5) : a[c] * (1 - mix) + b[c] * mix;
                        rgb[i + c] = (byte) Math.max(0, Math.min(255, Math.round(value * 255)));
                    }
                }
            }
        }
        return Video.ofRgb(rgb, frames, height, width, 8.0);
    }

    private static double[] colour(Random r) {
        return new double[] {r.nextDouble(), r.nextDouble(), r.nextDouble()};
    }

    private static double clamp(double v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }

    /** Smoothed value noise on a 64×64 lattice, in [0, 1]. */
    private static double noise(double[] g, double x, double y) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        double fx = x - x0, fy = y - y0;
        fx = fx * fx * (3 - 2 * fx);
        fy = fy * fy * (3 - 2 * fy);
        double p = g[Math.floorMod(y0, 64) * 64 + Math.floorMod(x0, 64)];
        double q = g[Math.floorMod(y0, 64) * 64 + Math.floorMod(x0 + 1, 64)];
        double s = g[Math.floorMod(y0 + 1, 64) * 64 + Math.floorMod(x0, 64)];
        double w = g[Math.floorMod(y0 + 1, 64) * 64 + Math.floorMod(x0 + 1, 64)];
        return (p * (1 - fx) + q * fx) * (1 - fy) + (s * (1 - fx) + w * fx) * fy;
    }

    /** Luma PSNR in dB (BT.709 Y' in limited range, as the encoders see it) of two same-sized videos. */
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
}
