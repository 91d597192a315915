package dev.reel.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VideoTest {
    private static final Random RANDOM = new Random();

    /** The documented mapping, computed exactly: round-half-up of clamp((x + 1) / 2, 0, 1) · 255. */
    private static int referencePixel(float x) {
        BigDecimal u = new BigDecimal(x).add(BigDecimal.ONE).divide(BigDecimal.valueOf(2));
        u = u.max(BigDecimal.ZERO).min(BigDecimal.ONE);
        return u.multiply(BigDecimal.valueOf(255)).setScale(0, RoundingMode.HALF_UP).intValueExact();
    }

    @Test
    void fromLatentMatchesTheExactReferenceOnRandomValues() {
        int c = 3, t = 2, h = 5, w = 7;
        float[] x = new float[c * t * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (RANDOM.nextGaussian() * 0.8);
        }
        Video v = Video.fromLatent(x, c, t, h, w, FrameRate.of(8));
        byte[] rgb = v.rgb();
        int plane = t * h * w;
        for (int ch = 0; ch < c; ch++) {
            for (int p = 0; p < plane; p++) {
                float value = x[ch * plane + p];
                assertEquals(referencePixel(value), rgb[p * 3 + ch] & 0xff,
                        "channel " + ch + " pixel " + p + " of " + value);
            }
        }
    }

    @Test
    void fromLatentClampsAndRoundsHalvesUp() {
        float half = (float) (2 * 100.5 / 255 - 1); // nearest float to the value that maps to 100.5
        float[] x = {-1, 1, 0, -7, 3, Float.MAX_VALUE, -Float.MAX_VALUE, half};
        Video v = Video.fromLatent(x, 1, 1, 1, x.length, FrameRate.of(1));
        int[] want = {0, 255, 128, 0, 255, 255, 0, referencePixel(half)};
        for (int i = 0; i < x.length; i++) {
            int grey = v.pixel(0, i, 0);
            assertEquals(want[i] * 0x010101, grey, "value " + x[i]);
        }
    }

    @Test
    void oneChannelIsGrey() {
        Video v = Video.fromLatent(new float[] {-1, 0.5f}, 1, 1, 1, 2, FrameRate.of(1));
        assertEquals(0x000000, v.pixel(0, 0, 0));
        assertEquals(191 * 0x010101, v.pixel(0, 1, 0));
    }

    @Test
    void nanIsRefusedNamingItsIndex() {
        float[] x = new float[3 * 2 * 4 * 4];
        int index = 1 * 32 + 1 * 16 + 2 * 4 + 3; // [c=1, t=1, y=2, x=3]
        x[index] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Video.fromLatent(x, 3, 2, 4, 4, FrameRate.of(8)));
        assertTrue(e.getMessage().contains("x[" + index + "] = [1, 1, 2, 3]"), e.getMessage());
        x[index] = Float.POSITIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> Video.fromLatent(x, 3, 2, 4, 4, FrameRate.of(8)));
    }

    @Test
    void toLatentInvertsFromLatent() {
        Video v = TestVideos.movingSquare(3, 9, 7, 3, 8);
        float[] x = v.toLatent();
        assertEquals(3 * 3 * 7 * 9, x.length);
        assertArrayEquals(v.rgb(), Video.fromLatent(x, 3, 3, 7, 9, v.frameRate()).rgb());
        assertEquals(-1f, Video.fromLatent(new float[] {-1, -1, -1}, 3, 1, 1, 1, FrameRate.of(1)).toLatent()[0]);
    }

    @Test
    void sizesAreValidatedNamingTheArgument() {
        assertMessage("frames", () -> Video.ofRgb(new byte[0], 0, 1, 1, 8));
        assertMessage("height", () -> Video.ofRgb(new byte[0], 1, -1, 1, 8));
        assertMessage("width", () -> Video.ofRgb(new byte[0], 1, 1, 0, 8));
        assertMessage("rgb has 5 bytes", () -> Video.ofRgb(new byte[5], 1, 1, 1, 8));
        assertMessage("channels", () -> Video.fromLatent(new float[8], 2, 1, 2, 2, FrameRate.of(8)));
        assertMessage("x has 8 values", () -> Video.fromLatent(new float[8], 3, 1, 2, 2, FrameRate.of(8)));
        assertMessage("fps", () -> Video.ofRgb(new byte[3], 1, 1, 1, 0.0));
        assertMessage("frame is 1", () -> Video.ofRgb(new byte[3], 1, 1, 1, 8).rgb(1));
    }

    @Test
    void accessorsReturnCopies() {
        byte[] rgb = new byte[2 * 2 * 2 * 3];
        Video v = Video.ofRgb(rgb, 2, 2, 2, 8);
        rgb[0] = 1;
        v.rgb()[0] = 2;
        v.rgb(0)[0] = 3;
        assertEquals(0, v.pixel(0, 0, 0));
    }

    @Test
    void pixelAndFrameAccessAgreeWithTheLayout() {
        Video v = TestVideos.movingSquare(2, 32, 32, 8, 8);
        assertEquals(TestVideos.SQUARE, v.pixel(1, 5, 4));
        assertEquals(TestVideos.BACKGROUND, v.pixel(1, 4, 4));
        byte[] f = v.rgb(1);
        int i = (4 * 32 + 5) * 3;
        assertEquals(TestVideos.SQUARE, (f[i] & 0xff) << 16 | (f[i + 1] & 0xff) << 8 | f[i + 2] & 0xff);
        assertEquals(0.25, v.seconds(), 1e-12);
    }

    @Test
    void nearestResizeMakesBlocks() {
        Video v = TestVideos.movingSquare(2, 5, 3, 2, 8);
        Video up = v.resize(20, 9, Scaling.NEAREST);
        for (int t = 0; t < 2; t++) {
            for (int y = 0; y < 9; y++) {
                for (int x = 0; x < 20; x++) {
                    assertEquals(v.pixel(t, x / 4, y / 3), up.pixel(t, x, y), "frame " + t + " (" + x + ", " + y + ")");
                }
            }
        }
        assertSame(v, v.resize(5, 3, Scaling.LANCZOS));
    }

    @Test
    void filteredResizeKeepsFlatAreas() {
        Video v = TestVideos.movingSquare(1, 32, 32, 16, 8);
        for (Scaling s : new Scaling[] {Scaling.BILINEAR, Scaling.BICUBIC, Scaling.LANCZOS}) {
            Video up = v.resize(96, 64, s);
            assertEquals(96, up.width());
            assertEquals(64, up.height());
            assertEquals(TestVideos.BACKGROUND, up.pixel(0, 90, 60), s.toString());
            assertEquals(TestVideos.SQUARE, up.pixel(0, 30, 22), s.toString());
        }
    }

    @Test
    void frameRatesAreTidyFractions() {
        assertEquals(new FrameRate(24, 1), FrameRate.of(24.0));
        assertEquals(new FrameRate(30000, 1001), FrameRate.of(30000 / 1001.0));
        assertEquals(new FrameRate(2997, 100), FrameRate.of(29.97));
        assertEquals(new FrameRate(25, 2), new FrameRate(50, 4));
        assertEquals("30000/1001", new FrameRate(30000, 1001).toString());
        assertThrows(IllegalArgumentException.class, () -> new FrameRate(0, 1));
        assertThrows(IllegalArgumentException.class, () -> FrameRate.of(Double.NaN));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(part), "'" + e.getMessage() + "' should start with '" + part + "'");
    }
}
