package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.video.Scaling;
import dev.reel.video.Video;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The watermark in memory: embedding, its cost in PSNR, detection, and the exactness of the null. */
class WatermarkTest {
    private static final WatermarkKey KEY = WatermarkKey.defaultKey();

    private static WatermarkKey key(long seed) {
        byte[] b = new byte[WatermarkKey.BYTES];
        new Random(seed).nextBytes(b);
        return WatermarkKey.of(b);
    }

    /**
     * Gradients, shapes and grain ({@link TestClips} families 1, 2 and 4), and a clip
     * of coarse noise. Pictures with far more detail at the cells' 8-pixel scale than
     * a mark within the PSNR budget can stand out of — fine noise, sharp high-contrast
     * stripes (families 0 and 3 at small scales) — leave detection little power (and,
     * as for any unmarked input, no false positives).
     */
    @Test
    void aMarkedClipIsFoundWithItsPayload() {
        for (int i : new int[] {0, 1, 2, 4, 6, 7, 9, 11, 12, 14}) {
            Video clip = TestClips.clip(i, 256, 256, 8);
            long payload = 0x0123456789abcdefL * (i + 1);
            WatermarkReading r = Watermark.detect(Watermark.embed(clip, KEY, payload), KEY);
            assertTrue(r.marked(), "clip " + i + ": " + r);
            assertTrue(r.payload().isPresent(), "clip " + i + ": " + r);
            assertEquals(payload, r.payload().getAsLong(), "clip " + i);
        }
    }

    @Test
    void theMarkCostsAtMostItsPsnrBudget() {
        for (int i = 0; i < 10; i++) {
            Video clip = TestClips.clip(i, 256, 192, 4);
            double psnr = TestClips.lumaPsnr(clip, Watermark.embed(clip, KEY, i));
            assertTrue(psnr >= Watermark.PSNR_DB - 0.01, "clip " + i + ": " + psnr + " dB");
            assertTrue(psnr < Watermark.PSNR_DB + 6, "clip " + i + ": " + psnr + " dB, far under budget");
        }
    }

    @Test
    void blackAndWhiteFieldsAreMarkedByShiftingTheirLevel() {
        for (int level : new int[] {0, 255}) {
            byte[] rgb = new byte[4 * 128 * 128 * 3];
            java.util.Arrays.fill(rgb, (byte) level);
            Video flat = Video.ofRgb(rgb, 4, 128, 128, 8.0);
            Video marked = Watermark.embed(flat, KEY, 7);
            assertTrue(TestClips.lumaPsnr(flat, marked) >= Watermark.PSNR_DB - 0.01);
            WatermarkReading r = Watermark.detect(marked, KEY);
            assertTrue(r.marked(), level + ": " + r);
            assertEquals(7L, r.payload().orElse(-1));
        }
    }

    @Test
    void survivesAResizeWithoutBeingTold() {
        Video clip = TestClips.clip(2, 256, 256, 8);
        Video marked = Watermark.embed(clip, KEY, 99);
        for (int side : new int[] {192, 320}) {
            WatermarkReading r = Watermark.detect(marked.resize(side, side, Scaling.BICUBIC), KEY);
            assertTrue(r.marked(), side + ": " + r);
        }
        Video wide = Watermark.embed(TestClips.clip(0, 320, 180, 4), KEY, 5);
        assertTrue(Watermark.detect(wide.resize(240, 136, Scaling.BILINEAR), KEY).marked());
    }

    @Test
    void anotherKeyDoesNotSeeTheMark() {
        Video marked = Watermark.embed(TestClips.clip(1, 256, 256, 4), KEY, 1);
        WatermarkReading r = Watermark.detect(marked, key(11));
        assertFalse(r.marked(), r.toString());
        assertTrue(r.payload().isEmpty(), r.toString());
    }

    @Test
    void aUniformPictureScoresNothing() {
        byte[] rgb = new byte[2 * 64 * 64 * 3];
        java.util.Arrays.fill(rgb, (byte) 90);
        WatermarkReading r = Watermark.detect(Video.ofRgb(rgb, 2, 64, 64, 8.0), KEY);
        assertEquals(1.0, r.pValue());
    }

    /**
     * The null distribution, checked empirically: for unmarked clips the p-value is
     * exact, so about 1% of 400 fall at or under 0.01 and about 10% at or under 0.1.
     * A wrong null (p-values too small) fails the first bound; a degenerate one
     * (everything near 1) the second. Half the clips use the default key, half a fresh
     * key each.
     */
    @Test
    void unmarkedPValuesAreUniform() {
        int n = 400, under1 = 0, under10 = 0, under50 = 0;
        for (int i = 0; i < n; i++) {
            Video clip = TestClips.clip(1000 + i, 128, 128, 4);
            double p = Watermark.detect(clip, i % 2 == 0 ? KEY : key(i)).pValue();
            under1 += p <= 0.01 ? 1 : 0;
            under10 += p <= 0.1 ? 1 : 0;
            under50 += p <= 0.5 ? 1 : 0;
        }
        // Binomial(400, 0.01): P(≥ 10) ≈ 0.008; Binomial(400, 0.1) lies in [20, 62] with probability > 0.999
        assertTrue(under1 <= 9, under1 + " of " + n + " unmarked clips had p <= 0.01");
        assertTrue(under10 >= 20 && under10 <= 62, under10 + " of " + n + " unmarked clips had p <= 0.1");
        assertTrue(under50 >= 160 && under50 <= 240, under50 + " of " + n + " unmarked clips had p <= 0.5");
    }

    @Test
    void framesTooSmallAreRefusedOrUnreadable() {
        Video tiny = Video.ofRgb(new byte[16 * 16 * 3], 1, 16, 16, 8.0);
        assertThrows(IllegalArgumentException.class, () -> Watermark.embed(tiny, KEY, 0));
        WatermarkReading r = Watermark.detect(tiny, KEY);
        assertFalse(r.marked());
        assertTrue(r.note().contains("too small"), r.note());
    }

    @Test
    void theGridFollowsTheAspectRatio() {
        CellGrid square = CellGrid.of(256, 256), wide = CellGrid.of(1920, 1080), resized = CellGrid.of(1440, 810);
        assertEquals(32, square.cols);
        assertEquals(32, square.rows);
        assertEquals(57, wide.cols);
        assertEquals(32, wide.rows);
        assertEquals(wide.cols, resized.cols);
        assertEquals(8, 256 / square.cols, "8-pixel cells at the default size");
    }
}
