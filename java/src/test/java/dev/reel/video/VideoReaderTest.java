package dev.reel.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoReaderTest {
    @TempDir
    Path dir;

    @Test
    void missingFileIsAClearError() {
        Path missing = dir.resolve("nothing.mp4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VideoReader.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VideoReader.metadata(missing));
        assertThrows(IllegalArgumentException.class, () -> VideoReader.probe(missing));
    }

    @Test
    void fileThatIsNoVideoNamesTheFailingCall() throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.mp4"), "this is not a video file at all");
        VideoException e = assertThrows(VideoException.class, () -> VideoReader.read(junk));
        assertEquals("avformat_open_input", e.call());
        assertTrue(e.errorCode() < 0);
        assertTrue(e.getMessage().startsWith("avformat_open_input failed for " + junk + ": "), e.getMessage());
    }

    @Test
    void pngFolderWithAGapIsRefused() throws IOException {
        Path folder = dir.resolve("frames");
        VideoWriter.builder().size(8, 8).build().write(TestVideos.movingSquare(3, 8, 8, 2, 8), folder);
        Files.delete(folder.resolve("frame_0001.png"));
        VideoException e = assertThrows(VideoException.class, () -> VideoReader.read(folder));
        assertTrue(e.getMessage().contains("no frame 1"), e.getMessage());
    }

    @Test
    void pngFolderWithoutARateIsReadAtTheDefault() throws IOException {
        Path folder = dir.resolve("frames");
        VideoWriter.builder().size(8, 8).build().write(TestVideos.movingSquare(2, 8, 8, 2, 8), folder);
        Path other = Files.createDirectory(dir.resolve("other"));
        // frames from elsewhere: strip Reel's text chunks by re-encoding through the reader and a plain copy
        for (int i = 0; i < 2; i++) {
            byte[] png = Files.readAllBytes(folder.resolve(PngWriter.frameName(i, 2)));
            Files.write(other.resolve(PngWriter.frameName(i, 2)), stripText(png));
        }
        assertEquals(VideoReader.DEFAULT_PNG_FRAME_RATE, VideoReader.read(other).frameRate());
        assertEquals(VideoReader.read(folder).rgb().length, VideoReader.read(other).rgb().length);
    }

    /** The PNG without its tEXt/iTXt chunks. */
    private static byte[] stripText(byte[] png) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(png, 0, 8);
        int pos = 8;
        while (pos + 12 <= png.length) {
            int length = java.nio.ByteBuffer.wrap(png, pos, 4).getInt();
            String type = new String(png, pos + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
            if (!type.equals("tEXt") && !type.equals("iTXt")) {
                out.write(png, pos, length + 12);
            }
            pos += length + 12;
        }
        return out.toByteArray();
    }

    @Test
    void frameDigestIsOfThePicturesNotTheMetadata() throws Exception {
        Video v = TestVideos.movingSquare(4, 64, 48, 10, 8);
        for (String name : new String[] {"a.mp4", "a.webm", "a.gif", "a"}) {
            Path a = dir.resolve(name), b = dir.resolve("b-" + name);
            VideoWriter.builder().metadata(Map.of("note", "first")).build().write(v, a);
            VideoWriter.copyWithMetadata(a, b, Map.of("note", "second"));
            assertArrayEquals(VideoReader.frameDigest(a), VideoReader.frameDigest(b), name);
            assertEquals(32, VideoReader.frameDigest(a).length);
        }
        // a PNG folder decodes to rgb24: its digest is that of the RGB bytes themselves
        Video big = VideoReader.read(dir.resolve("a"));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(big.rgb()), VideoReader.frameDigest(dir.resolve("a")));
        Path other = dir.resolve("other.mp4");
        VideoWriter.builder().build().write(TestVideos.movingSquare(4, 64, 48, 12, 8), other);
        assertFalse(Arrays.equals(VideoReader.frameDigest(dir.resolve("a.mp4")), VideoReader.frameDigest(other)));
    }

    @Test
    void frameDigestIsWhatFfmpegsHashMuxerPrints() throws Exception {
        assumeTrue(Ffprobe.unavailable() == null, Ffprobe.unavailable());
        Video v = TestVideos.movingSquare(5, 64, 48, 10, 8);
        for (String name : new String[] {"h.mp4", "h.webm", "h.gif"}) {
            Path f = dir.resolve(name);
            VideoWriter.builder().build().write(v, f);
            assertEquals(Ffprobe.ffmpegFrameHash(f), HexFormat.of().formatHex(VideoReader.frameDigest(f)), name);
        }
    }

    @Test
    void syntheticSourcesMakeFramesAtTheirRate() {
        Video v = VideoReader.synthetic("testsrc2=size=64x48:rate=12", 5);
        assertEquals(5, v.frames());
        assertEquals(64, v.width());
        assertEquals(48, v.height());
        assertEquals(new FrameRate(12, 1), v.frameRate());
        Video life = VideoReader.synthetic("life=size=32x32:rate=8:seed=1:mold=10", 3);
        assertEquals(3, life.frames());
        assertThrows(VideoException.class, () -> VideoReader.synthetic("nosuchsource=size=8x8", 1));
        assertThrows(IllegalArgumentException.class, () -> VideoReader.synthetic("testsrc2", 0));
        assertThrows(IllegalArgumentException.class, () -> VideoReader.synthetic(" ", 1));
    }
}
