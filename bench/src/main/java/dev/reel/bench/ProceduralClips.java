package dev.reel.bench;

import dev.reel.video.Video;
import java.util.Random;

/**
 * Procedural clips that no watermark has touched, for the false-positive side of the
 * provenance measurement: eight families (a shape over a flat field, a gradient with
 * a square, value noise, stripes, sinusoid plaids, sensor-like grain, random 8×8-pixel
 * blocks like an upscaled model frame, scrolling rectangles), each clip drawn from
 * its index with its own colours, sizes and motion.
 */
final class ProceduralClips {
    static final int FAMILIES = 8;

    private ProceduralClips() {}

    static String family(int index) {
        return new String[] {"shape", "gradient", "noise", "stripes", "plaid", "grain", "blocks", "rectangles"}
                [Math.floorMod(index, FAMILIES)];
    }

    static Video clip(int index, int width, int height, int frames) {
        // spread the seeds: java.util.Random's first draws from nearby seeds are alike
        Random r = new Random(0xC11B5L ^ (index + 1) * 0x9E3779B97F4A7C15L);
        int family = Math.floorMod(index, FAMILIES);
        double[] a = colour(r), b = colour(r), c = colour(r);
        double vx = (r.nextDouble() * 2 - 1) * 6, vy = (r.nextDouble() * 2 - 1) * 6;
        double cx = width * (0.2 + 0.6 * r.nextDouble()), cy = height * (0.2 + 0.6 * r.nextDouble());
        double radius = width * (0.05 + 0.2 * r.nextDouble()), angle = r.nextDouble() * Math.PI;
        double period = 4 + r.nextDouble() * 40, grain = 2 + 8 * r.nextDouble();
        double scale = 4 + r.nextInt(29);
        boolean checker = r.nextBoolean();
        double[] lattice = new double[64 * 64];
        for (int i = 0; i < lattice.length; i++) {
            lattice[i] = r.nextDouble();
        }
        double[][] waves = new double[3][3];
        for (double[] w : waves) {
            w[0] = 0.01 + 0.2 * r.nextDouble();
            w[1] = r.nextDouble() * 2 * Math.PI;
            w[2] = r.nextDouble() * 2 * Math.PI;
        }
        int[][] rects = new int[20][4];
        for (int[] q : rects) {
            q[0] = r.nextInt(width);
            q[1] = r.nextInt(height);
            q[2] = 2 + r.nextInt(Math.max(1, width / 8));
            q[3] = 2 + r.nextInt(Math.max(1, height / 8));
        }
        byte[] blocks = new byte[32 * 32 * 3];
        r.nextBytes(blocks);
        byte[] rgb = new byte[frames * height * width * 3];
        double[] px = new double[3];
        for (int t = 0, i = 0; t < frames; t++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++, i += 3) {
                    double u = x + vx * t, v = y + vy * t;
                    switch (family) {
                        case 0 -> mix(px, a, b, clamp(radius - Math.hypot(x - cx - vx * t, y - cy - vy * t) + 0.5));
                        case 1 -> {
                            mix(px, a, b, clamp((x * Math.cos(angle) + y * Math.sin(angle)) / (width * 1.4) + 0.2));
                            double d = Math.max(Math.abs(x - cx - vx * t), Math.abs(y - cy - vy * t));
                            mix(px, px.clone(), c, clamp(radius - d + 0.5));
                        }
                        case 2 -> mix(px, a, b, 0.6 * noise(lattice, u / scale, v / scale)
                                + 0.3 * noise(lattice, u / (scale / 2) + 17, v / (scale / 2) + 5)
                                + 0.1 * noise(lattice, u / (scale / 4) + 3, v / (scale / 4) + 9));
                        case 3 -> {
                            long s = (long) Math.floor((u * Math.cos(angle) + v * Math.sin(angle)) / period);
                            long q = (long) Math.floor((-u * Math.sin(angle) + v * Math.cos(angle)) / period);
                            mix(px, a, b, (Math.floorMod(s, 2) == 0) ^ (checker && Math.floorMod(q, 2) == 0) ? 1 : 0);
                        }
                        case 4 -> {
                            double s = 0;
                            for (double[] w : waves) {
                                s += Math.sin(w[0] * x + w[1] + 0.3 * t) * Math.cos(w[0] * 0.7 * y + w[2]);
                            }
                            mix(px, a, b, clamp(0.5 + s / 6));
                        }
                        case 5 -> {
                            for (int k = 0; k < 3; k++) {
                                px[k] = a[k] + r.nextGaussian() * grain / 255;
                            }
                        }
                        case 6 -> {
                            int bx = Math.floorMod((int) Math.floor(u * 32.0 / width), 32);
                            int by = Math.floorMod((int) Math.floor(v * 32.0 / height), 32);
                            for (int k = 0; k < 3; k++) {
                                px[k] = (blocks[(by * 32 + bx) * 3 + k] & 0xff) / 255.0;
                            }
                        }
                        default -> {
                            System.arraycopy(a, 0, px, 0, 3);
                            for (int[] q : rects) {
                                if (x >= q[0] + vx * t && x < q[0] + q[2] + vx * t && y >= q[1] && y < q[1] + q[3]) {
                                    System.arraycopy(b, 0, px, 0, 3);
                                }
                            }
                        }
                    }
                    for (int k = 0; k < 3; k++) {
                        rgb[i + k] = (byte) Math.max(0, Math.min(255, Math.round(px[k] * 255)));
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

    private static void mix(double[] out, double[] a, double[] b, double t) {
        for (int k = 0; k < 3; k++) {
            out[k] = a[k] * (1 - t) + b[k] * t;
        }
    }

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
}
