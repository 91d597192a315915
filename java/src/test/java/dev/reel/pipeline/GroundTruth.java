package dev.reel.pipeline;

import dev.reel.model.Vocabulary;
import dev.reel.video.Video;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code tools/reel/data.py}'s {@code render} in Java: one shape of size r moving in a straight
 * line over a plain background, edges anti-aliased by a 3×3 supersample, with the training
 * data's ranges for size, speed and start (the whole track stays inside the frame). Its random
 * draws are Java's, not Python's: the videos are alike, not the same.
 */
final class GroundTruth {
    static final double[] RADIUS = {4.5, 6.5};
    static final double[] SPEED = {1.2, 1.8};
    static final int SUPERSAMPLE = 3;

    private final Map<String, double[]> colours = PixelRules.table(PixelRules.embeddedVocabulary().get("colours"));
    private final Map<String, double[]> backgrounds =
            PixelRules.table(PixelRules.embeddedVocabulary().get("backgrounds"));
    private final Map<String, double[]> directions =
            PixelRules.table(PixelRules.embeddedVocabulary().get("directions"));

    /** A caption with every attribute (background included) drawn uniformly. */
    Vocabulary.Caption randomCaption(SplittableRandom rng, List<String> shapes) {
        return new Vocabulary.Caption(pick(rng, List.copyOf(colours.keySet())), pick(rng, shapes),
                pick(rng, List.copyOf(directions.keySet())), pick(rng, List.copyOf(backgrounds.keySet())));
    }

    private static String pick(SplittableRandom rng, List<String> from) {
        return from.get(rng.nextInt(from.size()));
    }

    /** The caption drawn on {@code frames} frames of {@code size × size}; the background must be named. */
    Video render(Vocabulary.Caption c, int frames, int size, SplittableRandom rng) {
        double r = uniform(rng, RADIUS);
        double speed = uniform(rng, SPEED);
        double[] d = directions.get(c.direction());
        double travel = speed * (frames - 1);
        double lo = r + 1.0, hi = size - r - 1.0;
        double x0 = start(rng, d[0], lo, hi, travel), y0 = start(rng, d[1], lo, hi, travel);
        double[] colour = colours.get(c.colour()), bg = backgrounds.get(c.background());
        byte[] rgb = new byte[frames * size * size * 3];
        for (int t = 0; t < frames; t++) {
            double cx = x0 + d[0] * speed * t, cy = y0 + d[1] * speed * t;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double cov = coverage(c.shape(), x, y, cx, cy, r);
                    int p = ((t * size + y) * size + x) * 3;
                    for (int ch = 0; ch < 3; ch++) {
                        double v = bg[ch] * (1 - cov) + colour[ch] * cov;
                        rgb[p + ch] = (byte) Math.floor(Math.min(1, Math.max(0, v)) * 255 + 0.5);
                    }
                }
            }
        }
        return Video.ofRgb(rgb, frames, size, size, Generator.DEFAULT_FPS);
    }

    private static double coverage(String shape, int x, int y, double cx, double cy, double r) {
        int in = 0;
        for (int i = 0; i < SUPERSAMPLE; i++) {
            double sy = y + (i + 0.5) / SUPERSAMPLE;
            for (int j = 0; j < SUPERSAMPLE; j++) {
                double sx = x + (j + 0.5) / SUPERSAMPLE;
                in += PixelRules.inside(shape, sx - cx, sy - cy, r) ? 1 : 0;
            }
        }
        return in / (double) (SUPERSAMPLE * SUPERSAMPLE);
    }

    private static double start(SplittableRandom rng, double d, double lo, double hi, double travel) {
        if (d > 0) {
            return lo + rng.nextDouble() * (hi - travel - lo);
        }
        if (d < 0) {
            return lo + travel + rng.nextDouble() * (hi - lo - travel);
        }
        return lo + rng.nextDouble() * (hi - lo);
    }

    private static double uniform(SplittableRandom rng, double[] range) {
        return range[0] + rng.nextDouble() * (range[1] - range[0]);
    }
}
