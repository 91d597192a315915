package dev.reel.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reel.model.Vocabulary;
import dev.reel.video.Video;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluator's pixel rules ({@code tools/reel/evaluate.py}, {@code analyse}) in Java: what
 * one video shows, measured from its pixels alone.
 *
 * <ul>
 *   <li>Object: in each frame the background is the per-channel median of the pixels; object
 *   pixels differ from it by more than {@link #THRESHOLD} in some channel; the largest
 *   4-connected component of them is the object (the first found, in row-major order, on a
 *   tie). Frames whose object has fewer than 4 pixels are skipped.</li>
 *   <li>Colour: the per-channel median, over all frames, of the object pixels at least as far
 *   from the background as the frame's median object pixel; the nearest named colour
 *   (squared RGB distance).</li>
 *   <li>Direction: the least-squares slope of the object's centroid over the kept frames;
 *   {@code static} when slope × (frames − 1) is shorter than {@link #STATIC_FRACTION} of the
 *   width, else the nearest of eight 45° sectors (y grows downwards).</li>
 *   <li>Shape, template rule ({@link Measurement#shape}, the rule of the embedded model's
 *   card): each shape of {@code tools/reel/data.py}'s {@code inside}, centred on the mask's
 *   centroid (less the shape's own centroid offset) at five sizes around the mask's area,
 *   scores its best IoU with the mask; the largest sum over frames wins.</li>
 *   <li>Shape, strict fill rule ({@link Measurement#shapeFill}): the mean over frames of the
 *   mask's fill of its bounding box — square above {@link #FILL_SQUARE}, circle from
 *   {@link #FILL_CIRCLE} to it; below, the triangle and the diamond both half fill their box,
 *   so the triangle is the one whose centroid lies {@link #TRIANGLE_OFFSET} of the box height
 *   or more off the box's middle (a symmetric figure is a diamond).</li>
 *   <li>Background: the per-channel median over frames of each frame's background; the
 *   nearest named background. Judged only where the prompt names one.</li>
 * </ul>
 *
 * Every step is the Python's, in the same order and in double precision, so the two agree
 * on every class and on every number to rounding ({@code PixelRulesTest} checks them on the
 * cases of {@code tools/make_evaluator_fixture.py}). Pixels are read as byte / 255.
 */
final class PixelRules {
    static final double THRESHOLD = 0.25;
    static final double STATIC_FRACTION = 0.11;
    static final double FILL_SQUARE = 0.88;
    static final double FILL_CIRCLE = 0.65;
    static final double TRIANGLE_OFFSET = 1.0 / 12;
    static final List<String> DIRECTIONS =
            List.of("right", "down-right", "down", "down-left", "left", "up-left", "up", "up-right");
    private static final double[] SIZES = {0.85, 0.92, 1.0, 1.08, 1.15};
    private static final int UNIT_GRID = 400;

    /** What one video shows; the class fields are null where no object was found. */
    record Measurement(boolean found, String colour, String shape, String shapeFill, String direction,
                       String background, double[] objectRgb, double vx, double vy, Map<String, Double> votes,
                       double fill, double offset, double[] backgroundRgb) {}

    /** Whether each attribute matches a caption; {@code background} is null when the caption names none. */
    record Verdict(boolean colour, boolean shape, boolean shapeFill, boolean direction, Boolean background) {
        boolean all() {
            return colour && shape && direction && (background == null || background);
        }
    }

    private final Map<String, double[]> colours;
    private final List<String> shapes;
    private final Map<String, double[]> backgrounds;
    private final Map<String, double[]> unit = new LinkedHashMap<>();

    PixelRules(Map<String, double[]> colours, List<String> shapes, Map<String, double[]> backgrounds) {
        this.colours = colours;
        this.shapes = shapes;
        this.backgrounds = backgrounds;
        for (String s : shapes) {
            unit.put(s, unitShape(s));
        }
    }

    /** The rules over the embedded model's vocabulary (its colours, shapes and backgrounds). */
    static PixelRules embedded() {
        JsonNode v = embeddedVocabulary();
        List<String> shapes = new ArrayList<>();
        v.get("shapes").forEach(s -> shapes.add(s.textValue()));
        return new PixelRules(table(v.get("colours")), shapes, table(v.get("backgrounds")));
    }

    /** The embedded model's vocabulary.json, as JSON (for the RGB values and vectors Vocabulary does not expose). */
    static JsonNode embeddedVocabulary() {
        try (InputStream in = PixelRules.class.getResourceAsStream("/dev/reel/model/embedded/vocabulary.json")) {
            if (in == null) {
                throw new IllegalStateException("the embedded vocabulary.json is not on the class path");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON object of number arrays, in the file's order. */
    static Map<String, double[]> table(JsonNode node) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode a = e.getValue();
            double[] v = new double[a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = a.get(i).doubleValue();
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    Measurement measure(Video video) {
        byte[] bytes = video.rgb();
        double[] rgb = new double[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            rgb[i] = (bytes[i] & 0xff) / 255.0;
        }
        return measure(rgb, video.frames(), video.height(), video.width());
    }

    /** {@code rgb}: {@code [frames, height, width, 3]} row-major, values clamped to [0, 1]. */
    Measurement measure(double[] rgb, int frames, int height, int width) {
        int plane = height * width;
        List<double[]> track = new ArrayList<>();
        Map<String, Double> votes = new LinkedHashMap<>();
        shapes.forEach(s -> votes.put(s, 0.0));
        List<double[]> interior = new ArrayList<>();
        double[][] frameBackground = new double[frames][];
        double fillSum = 0, offsetSum = 0;
        for (int t = 0; t < frames; t++) {
            double[] f = new double[plane * 3];
            for (int i = 0; i < f.length; i++) {
                f[i] = Math.min(1, Math.max(0, rgb[t * plane * 3 + i]));
            }
            double[] bg = new double[3];
            for (int c = 0; c < 3; c++) {
                bg[c] = channelMedian(f, c, plane);
            }
            frameBackground[t] = bg;
            boolean[] mask = largestComponent(far(f, bg, plane), height, width);
            int count = 0;
            long sx = 0, sy = 0;
            int x0 = width, x1 = -1, y0 = height, y1 = -1;
            for (int p = 0; p < plane; p++) {
                if (mask[p]) {
                    int x = p % width, y = p / width;
                    count++;
                    sx += x;
                    sy += y;
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x);
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y);
                }
            }
            if (count < 4) {
                continue;
            }
            double mx = (double) sx / count, my = (double) sy / count;
            int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
            fillSum += count / (double) (bw * bh);
            offsetSum += (my + 0.5 - (y0 + y1 + 1) / 2.0) / bh;
            track.add(new double[] {mx, my});
            double[] d = new double[count];
            double[][] px = new double[count][];
            for (int p = 0, k = 0; p < plane; p++) {
                if (mask[p]) {
                    px[k] = new double[] {f[p * 3], f[p * 3 + 1], f[p * 3 + 2]};
                    d[k] = Math.max(Math.abs(px[k][0] - bg[0]), Math.max(Math.abs(px[k][1] - bg[1]), Math.abs(px[k][2] - bg[2])));
                    k++;
                }
            }
            double q = quantile(d, 0.5);
            for (int k = 0; k < count; k++) {
                if (d[k] >= q) {
                    interior.add(px[k]);
                }
            }
            for (String s : shapes) {
                votes.merge(s, templateScore(s, mask, height, width, count, mx + 0.5, my + 0.5), Double::sum);
            }
        }
        double[] bgRgb = new double[3];
        for (int c = 0; c < 3; c++) {
            double[] v = new double[frames];
            for (int t = 0; t < frames; t++) {
                v[t] = frameBackground[t][c];
            }
            bgRgb[c] = median(v);
        }
        String background = nearest(backgrounds, bgRgb);
        if (track.isEmpty()) {
            return new Measurement(false, null, null, null, null, background, null, 0, 0, votes, 0, 0, bgRgb);
        }
        double[] objectRgb = new double[3];
        for (int c = 0; c < 3; c++) {
            double[] v = new double[interior.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = interior.get(k)[c];
            }
            objectRgb[c] = median(v);
        }
        String shape = null;
        double best = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Double> e : votes.entrySet()) {
            if (e.getValue() > best) {
                best = e.getValue();
                shape = e.getKey();
            }
        }
        double fill = fillSum / track.size(), offset = offsetSum / track.size();
        double vx = 0, vy = 0, dist = 0;
        if (track.size() >= 2) {
            vx = slope(track, 0);
            vy = slope(track, 1);
            dist = Math.hypot(vx, vy) * (frames - 1);
        }
        String direction;
        if (dist < STATIC_FRACTION * width) {
            direction = "static";
        } else {
            double ang = floorMod(Math.toDegrees(Math.atan2(vy, vx)), 360);
            direction = DIRECTIONS.get((int) Math.floor(floorMod(ang + 22.5, 360) / 45));
        }
        return new Measurement(true, nearest(colours, objectRgb), shape, fillShape(fill, offset), direction,
                background, objectRgb, vx, vy, votes, fill, offset, bgRgb);
    }

    /** How a measurement compares with what a caption states. */
    static Verdict judge(Measurement m, Vocabulary.Caption c) {
        return new Verdict(c.colour().equals(m.colour()), c.shape().equals(m.shape()), c.shape().equals(m.shapeFill()),
                c.direction().equals(m.direction()), c.background() == null ? null : c.background().equals(m.background()));
    }

    static String fillShape(double fill, double offset) {
        if (fill > FILL_SQUARE) {
            return "square";
        }
        if (fill >= FILL_CIRCLE) {
            return "circle";
        }
        return Math.abs(offset) >= TRIANGLE_OFFSET ? "triangle" : "diamond";
    }

    /** {@code tools/reel/data.py}'s {@code inside}: whether (dx, dy) from the centre lies in the shape of size r. */
    static boolean inside(String shape, double dx, double dy, double r) {
        switch (shape) {
            case "circle":
                return dx * dx + dy * dy <= r * r;
            case "square":
                return Math.max(Math.abs(dx), Math.abs(dy)) <= 0.85 * r;
            case "triangle": // apex up, base below the centre
                return dy <= 0.7 * r && Math.abs(dx) <= (dy + r) * 0.6;
            case "diamond":
                return Math.abs(dx) + Math.abs(dy) <= 1.15 * r;
            default:
                throw new IllegalArgumentException("unknown shape " + shape);
        }
    }

    /** {area of the unit shape, its centroid's dx, dy from the drawing centre}, on a 400² grid over [−2, 2]². */
    private static double[] unitShape(String shape) {
        long n = 0;
        double sx = 0, sy = 0;
        for (int i = 0; i < UNIT_GRID; i++) {
            double gy = (i + 0.5) / 100.0 - 2.0;
            for (int j = 0; j < UNIT_GRID; j++) {
                double gx = (j + 0.5) / 100.0 - 2.0;
                if (inside(shape, gx, gy, 1.0)) {
                    n++;
                    sx += gx;
                    sy += gy;
                }
            }
        }
        return new double[] {n / 1e4, sx / n, sy / n};
    }

    private double templateScore(String shape, boolean[] mask, int height, int width, int area, double cx, double cy) {
        double[] u = unit.get(shape);
        double r0 = Math.sqrt(area / u[0]);
        double best = 0;
        for (double k : SIZES) {
            double r = r0 * k;
            double ox = cx - u[1] * r, oy = cy - u[2] * r;
            int inter = 0, union = 0;
            for (int y = 0; y < height; y++) {
                double dy = (y + 0.5) - oy;
                for (int x = 0; x < width; x++) {
                    boolean t = inside(shape, (x + 0.5) - ox, dy, r);
                    boolean m = mask[y * width + x];
                    inter += t && m ? 1 : 0;
                    union += t || m ? 1 : 0;
                }
            }
            best = Math.max(best, inter / (double) union);
        }
        return best;
    }

    private static boolean[] far(double[] f, double[] bg, int plane) {
        boolean[] m = new boolean[plane];
        for (int p = 0; p < plane; p++) {
            double d = Math.max(Math.abs(f[p * 3] - bg[0]), Math.max(Math.abs(f[p * 3 + 1] - bg[1]), Math.abs(f[p * 3 + 2] - bg[2])));
            m[p] = d > THRESHOLD;
        }
        return m;
    }

    /** The largest 4-connected component; the first one found in row-major order wins a tie. */
    static boolean[] largestComponent(boolean[] mask, int height, int width) {
        int[] label = new int[mask.length];
        int next = 0, bestLabel = 0, bestSize = 0;
        ArrayDeque<Integer> stack = new ArrayDeque<>();
        for (int p0 = 0; p0 < mask.length; p0++) {
            if (!mask[p0] || label[p0] != 0) {
                continue;
            }
            int id = ++next, size = 0;
            label[p0] = id;
            stack.push(p0);
            while (!stack.isEmpty()) {
                int p = stack.pop();
                size++;
                int x = p % width, y = p / width;
                int[] around = {y > 0 ? p - width : -1, y < height - 1 ? p + width : -1, x > 0 ? p - 1 : -1,
                        x < width - 1 ? p + 1 : -1};
                for (int q : around) {
                    if (q >= 0 && mask[q] && label[q] == 0) {
                        label[q] = id;
                        stack.push(q);
                    }
                }
            }
            if (size > bestSize) {
                bestSize = size;
                bestLabel = id;
            }
        }
        boolean[] out = new boolean[mask.length];
        for (int p = 0; p < mask.length; p++) {
            out[p] = bestLabel != 0 && label[p] == bestLabel;
        }
        return out;
    }

    private static String nearest(Map<String, double[]> table, double[] rgb) {
        String best = null;
        double bestD = Double.POSITIVE_INFINITY;
        for (Map.Entry<String, double[]> e : table.entrySet()) {
            double[] c = e.getValue();
            double d0 = c[0] - rgb[0], d1 = c[1] - rgb[1], d2 = c[2] - rgb[2];
            double d = d0 * d0 + d1 * d1 + d2 * d2;
            if (d < bestD) {
                bestD = d;
                best = e.getKey();
            }
        }
        return best;
    }

    private static double channelMedian(double[] f, int c, int plane) {
        double[] v = new double[plane];
        for (int p = 0; p < plane; p++) {
            v[p] = f[p * 3 + c];
        }
        return median(v);
    }

    /** numpy's median: the middle value, or the mean of the two middle ones. */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** numpy's default ("linear") quantile, with its interpolation written as numpy writes it. */
    static double quantile(double[] values, double q) {
        double[] v = values.clone();
        Arrays.sort(v);
        double index = (v.length - 1) * q;
        int lo = (int) Math.floor(index);
        int hi = Math.min(lo + 1, v.length - 1);
        double g = index - lo, a = v[lo], b = v[hi];
        return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
    }

    /** Least-squares slope of coordinate {@code axis} of the track against its index. */
    private static double slope(List<double[]> track, int axis) {
        int n = track.size();
        double tm = (n - 1) / 2.0, vm = 0;
        for (double[] p : track) {
            vm += p[axis];
        }
        vm /= n;
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            num += (i - tm) * (track.get(i)[axis] - vm);
            den += (i - tm) * (i - tm);
        }
        return num / den;
    }

    /** Python's float {@code %}: the result has the divisor's sign. */
    private static double floorMod(double a, double m) {
        double r = a % m;
        return r < 0 ? r + m : r;
    }
}
