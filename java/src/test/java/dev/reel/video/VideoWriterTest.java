package dev.reel.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VideoWriterTest {
    /**
     * PSNR floors for the lossy codecs at the default bitrate. Measured 40.2 to 40.4 dB
     * for both, at both sizes; the yuv420p round trip alone, with no codec, gives
     * 40.3 dB on these saturated edges, so the codecs lose almost nothing here.
     */
    private static final double MP4_FLOOR_DB = 36, WEBM_FLOOR_DB = 36;

    /** The 8-frame, 32×32 clip of the tests: a square moving over a background. */
    private static final Video CLIP = TestVideos.movingSquare(8, 32, 32, 8, 8);
    /** An odd size: short side 21, so the default factor is 13 and the default size 455×273. */
    private static final Video ODD = TestVideos.movingSquare(8, 35, 21, 6, 8);

    private static final VideoWriter DEFAULTS = VideoWriter.builder().build();

    @TempDir
    Path dir;

    @Test
    void mp4IsH264InYuv420pWithEveryFrameAndTheIndexFirst() throws Exception {
        Path file = dir.resolve("clip.mp4");
        DEFAULTS.write(CLIP, file);

        Video back = VideoReader.read(file);
        assertEquals(256, back.width());
        assertEquals(256, back.height());
        assertEquals(8, back.frames());
        assertEquals(FrameRate.of(8), back.frameRate());
        assertAbove(MP4_FLOOR_DB, CLIP.resize(256, 256, Scaling.NEAREST), back);

        VideoInfo info = VideoReader.probe(file);
        assertEquals("h264", info.codec());
        assertEquals("yuv420p", info.pixelFormat());
        assertEquals(8, info.frames());
        assertTrue(info.indexAtFront());
        List<String> boxes = topLevelBoxes(file);
        assertTrue(boxes.indexOf("moov") >= 0 && boxes.indexOf("moov") < boxes.indexOf("mdat"), boxes.toString());
        assertOnlyTheTarget(file);
    }

    @Test
    void ffprobeSeesH264Yuv420pEvenSizedWithEightFrames() throws Exception {
        assumeTrue(Ffprobe.unavailable() == null, Ffprobe.unavailable());
        Path file = dir.resolve("odd.mp4");
        DEFAULTS.write(ODD, file);
        JsonNode stream = Ffprobe.probe(file).path("streams").path(0);
        assertEquals("h264", stream.path("codec_name").asText());
        assertEquals("yuv420p", stream.path("pix_fmt").asText());
        assertEquals(456, stream.path("width").asInt());
        assertEquals(274, stream.path("height").asInt());
        assertEquals(8, stream.path("nb_read_frames").asInt());
        assertEquals(8, stream.path("nb_frames").asInt());
        assertEquals("8/1", stream.path("avg_frame_rate").asText());
        assertEquals("bt709", stream.path("color_space").asText());
    }

    @Test
    void oddDefaultSizeIsRoundedUpToEvenForMp4Only() throws Exception {
        Path mp4 = dir.resolve("odd.mp4"), webm = dir.resolve("odd.webm");
        DEFAULTS.write(ODD, mp4);
        DEFAULTS.write(ODD, webm);
        Video a = VideoReader.read(mp4), b = VideoReader.read(webm);
        assertEquals(List.of(456, 274), List.of(a.width(), a.height()));
        assertEquals(List.of(455, 273), List.of(b.width(), b.height()));
        assertAbove(MP4_FLOOR_DB, ODD.resize(456, 274, Scaling.NEAREST), a);
        assertAbove(WEBM_FLOOR_DB, ODD.resize(455, 273, Scaling.NEAREST), b);
    }

    @Test
    void oddSizeAskedForMp4IsRefused() {
        VideoWriter odd = VideoWriter.builder().size(255, 256).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> odd.write(CLIP, dir.resolve("clip.mp4")));
        assertTrue(e.getMessage().startsWith("width is 255") && e.getMessage().contains("even"), e.getMessage());
        assertOnlyTheTarget(null);
    }

    @Test
    void webmIsVp9InYuv420p() throws Exception {
        Path file = dir.resolve("clip.webm");
        DEFAULTS.write(CLIP, file);
        Video back = VideoReader.read(file);
        assertEquals(8, back.frames());
        assertEquals(FrameRate.of(8), back.frameRate());
        assertAbove(WEBM_FLOOR_DB, CLIP.resize(256, 256, Scaling.NEAREST), back);
        VideoInfo info = VideoReader.probe(file);
        assertEquals("vp9", info.codec());
        assertEquals("yuv420p", info.pixelFormat());
        assertEquals(8, info.frames());
        if (Ffprobe.unavailable() == null) {
            assertEquals(8, Ffprobe.probe(file).path("streams").path(0).path("nb_read_frames").asInt());
        }
    }

    @Test
    void gifHasEveryFrameAndItsTwoColoursExactly() throws Exception {
        Path file = dir.resolve("clip.gif");
        DEFAULTS.write(CLIP, file);
        Video back = VideoReader.read(file);
        assertEquals(8, back.frames());
        assertEquals(FrameRate.of(8), back.frameRate()); // delays 13, 12, 13, … hundredths
        assertArrayEquals(CLIP.resize(256, 256, Scaling.NEAREST).rgb(), back.rgb());
        assertEquals(8, VideoReader.probe(file).frames());
        if (Ffprobe.unavailable() == null) {
            JsonNode probe = Ffprobe.probe(file);
            assertEquals(8, probe.path("streams").path(0).path("nb_read_frames").asInt());
            assertEquals(1.0, probe.path("format").path("duration").asDouble(), 1e-9);
        }
    }

    @Test
    void gifFasterThanFiftyFramesPerSecondIsRefused() {
        VideoWriter fast = VideoWriter.builder().frameRate(FrameRate.of(60)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fast.write(CLIP, dir.resolve("clip.gif")));
        assertTrue(e.getMessage().contains("50"), e.getMessage());
    }

    @Test
    void pngFramesAreExactWithNearestScaling() {
        Path folder = dir.resolve("frames");
        DEFAULTS.write(ODD, folder);
        Video back = VideoReader.read(folder);
        assertEquals(FrameRate.of(8), back.frameRate());
        assertArrayEquals(ODD.resize(455, 273, Scaling.NEAREST).rgb(), back.rgb());
        assertTrue(Files.exists(folder.resolve("frame_0000.png")));
        assertTrue(Files.exists(folder.resolve("frame_0007.png")));
        VideoInfo info = VideoReader.probe(folder);
        assertEquals(List.of("png", "rgb24", 455, 273, 8L), List.of(info.codec(), info.pixelFormat(), info.width(),
                info.height(), info.frames()));
    }

    @Test
    void explicitSizeAndOneSidedSize() {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        VideoWriter.builder().size(64, 48).build().write(CLIP, a);
        VideoWriter.builder().width(96).build().write(ODD, b);
        Video va = VideoReader.read(a), vb = VideoReader.read(b);
        assertEquals(List.of(64, 48), List.of(va.width(), va.height()));
        assertEquals(List.of(96, 58), List.of(vb.width(), vb.height())); // 96·21/35 = 57.6
    }

    @Test
    void ntscRateSurvivesMp4AndWebm() {
        Video ntsc = CLIP.withFrameRate(new FrameRate(30000, 1001));
        VideoWriter small = VideoWriter.builder().size(32, 32).build();
        for (String name : new String[] {"clip.mp4", "clip.webm"}) {
            Path file = dir.resolve(name);
            small.write(ntsc, file);
            assertEquals(new FrameRate(30000, 1001), VideoReader.read(file).frameRate(), name);
            assertEquals(8, VideoReader.probe(file).frames(), name);
        }
    }

    @Test
    void higherFrameRateRepeatsFrames() {
        Path folder = dir.resolve("frames");
        VideoWriter.builder().size(32, 32).frameRate(FrameRate.of(24)).build().write(CLIP, folder);
        Video back = VideoReader.read(folder);
        assertEquals(24, back.frames());
        assertEquals(FrameRate.of(24), back.frameRate());
        for (int i = 0; i < 24; i++) {
            assertArrayEquals(CLIP.rgb(i / 3), back.rgb(i), "frame " + i);
        }
    }

    @Test
    void lowerFrameRateDropsFrames() {
        Path folder = dir.resolve("frames");
        VideoWriter.builder().size(32, 32).frameRate(FrameRate.of(4)).build().write(CLIP, folder);
        Video back = VideoReader.read(folder);
        assertEquals(4, back.frames());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(CLIP.rgb(2 * i), back.rgb(i), "frame " + i);
        }
    }

    @Test
    void interpolationMakesInBetweenFrames() {
        Path folder = dir.resolve("frames");
        VideoWriter.builder().frameRate(FrameRate.of(16)).interpolate(true).build().write(CLIP, folder);
        Video back = VideoReader.read(folder);
        Video up = CLIP.resize(256, 256, Scaling.NEAREST);
        assertEquals(16, back.frames());
        // Even frames are the source's (through a yuv444p round trip); odd ones are new.
        for (int i = 0; i < 14; i += 2) {
            assertAbove(40, Video.ofRgb(up.rgb(i / 2), 1, 256, 256, 1), Video.ofRgb(back.rgb(i), 1, 256, 256, 1));
        }
        byte[] between = back.rgb(7);
        assertFalse(java.util.Arrays.equals(between, back.rgb(6)), "frame 7 repeats frame 6");
        assertFalse(java.util.Arrays.equals(between, back.rgb(8)), "frame 7 repeats frame 8");
    }

    @Test
    void metadataSurvivesMp4AndWebm() {
        Map<String, String> tags = Map.of("reel.seed", "42", "reel.prompt", "a red circle, moving right – ünïcode");
        VideoWriter w = VideoWriter.builder().metadata(tags).build();
        for (String name : new String[] {"clip.mp4", "clip.webm"}) {
            Path file = dir.resolve(name);
            w.write(CLIP, file);
            Map<String, String> back = VideoReader.metadata(file);
            tags.forEach((k, v) -> assertEquals(v, back.get(k), name + " key " + k + " in " + back));
        }
    }

    @Test
    void webmTagNamesComeBackUpperCasedWithUnderscores() {
        Path file = dir.resolve("clip.webm");
        VideoWriter.builder().metadata("Reel note", "x").build().write(CLIP, file);
        Map<String, String> back = VideoReader.metadata(file);
        assertTrue(back.keySet().contains("REEL_NOTE"), back.toString());
        assertEquals("x", back.get("reel_note"));
    }

    @Test
    void metadataSurvivesPngFramesAsTextChunks() {
        Path folder = dir.resolve("frames");
        VideoWriter.builder().metadata(Map.of("reel.seed", "42", "Comment", "ünïcode ✓")).build()
                .write(CLIP, folder);
        Map<String, String> back = VideoReader.metadata(folder);
        assertEquals("42", back.get("reel.seed"));
        assertEquals("ünïcode ✓", back.get("Comment"));
        assertEquals("8/1", back.get(VideoWriter.PNG_FRAME_RATE_KEY));
    }

    @Test
    void pngKeysMustBeKeywordsAndFrameRateIsReserved() {
        assertThrows(IllegalArgumentException.class, () -> VideoWriter.builder().metadata("é✓", "x").build()
                .write(CLIP, dir.resolve("a")));
        assertThrows(IllegalArgumentException.class, () -> VideoWriter.builder().metadata("frame_rate", "1/1")
                .build().write(CLIP, dir.resolve("b")));
        assertOnlyTheTarget(null);
    }

    @Test
    void gifKeepsNoMetadata() {
        Path file = dir.resolve("clip.gif");
        VideoWriter.builder().metadata("reel.seed", "42").build().write(CLIP, file);
        assertEquals(Map.of(), VideoReader.metadata(file));
    }

    @ParameterizedTest
    @EnumSource(VideoFormat.class)
    void failureMidStreamLeavesNothing(VideoFormat format) {
        Path target = dir.resolve("clip" + (format.extension().isEmpty() ? "" : "." + format.extension()));
        VideoWriter failing = VideoWriter.builder().afterFrame(i -> {
            if (i == 3) {
                throw new IllegalStateException("disk on fire");
            }
        }).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> failing.write(CLIP, target));
        assertEquals("disk on fire", e.getMessage());
        assertDirectoryEmpty();
    }

    @ParameterizedTest
    @EnumSource(VideoFormat.class)
    void interruptStopsTheWriteAndLeavesNothing(VideoFormat format) {
        Path target = dir.resolve("clip" + (format.extension().isEmpty() ? "" : "." + format.extension()));
        VideoWriter interrupting = VideoWriter.builder().afterFrame(i -> {
            if (i == 2) {
                Thread.currentThread().interrupt();
            }
        }).build();
        try {
            VideoException e = assertThrows(VideoException.class, () -> interrupting.write(CLIP, target));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag stays set");
        } finally {
            Thread.interrupted();
        }
        assertDirectoryEmpty();
    }

    @Test
    void encoderThatCannotOpenIsAVideoExceptionNamingTheCall() {
        assumeTrue(VideoWriter.automaticH264Encoder().equals("libopenh264"), "h264_nvenc opens on this machine");
        VideoWriter nvenc = VideoWriter.builder().h264Encoder("h264_nvenc").build();
        VideoException e = assertThrows(VideoException.class, () -> nvenc.write(CLIP, dir.resolve("clip.mp4")));
        assertEquals("avcodec_open2", e.call());
        assertTrue(e.getMessage().startsWith("avcodec_open2 failed for encoder h264_nvenc: "), e.getMessage());
        assertDirectoryEmpty();
    }

    @Test
    void failedWriteKeepsThePreviousFile() throws IOException {
        Path file = dir.resolve("clip.mp4");
        DEFAULTS.write(CLIP, file);
        byte[] before = Files.readAllBytes(file);
        VideoWriter failing = VideoWriter.builder().bitrate(500_000).afterFrame(i -> {
            throw new IllegalStateException("stop");
        }).build();
        assertThrows(IllegalStateException.class, () -> failing.write(CLIP, file));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertOnlyTheTarget(file);
        VideoWriter.builder().size(64, 64).build().write(CLIP, file);
        assertEquals(64, VideoReader.read(file).width(), "a later write replaces the file");
    }

    @Test
    void targetThatIsADirectoryIsRefusedBeforeEncoding() throws IOException {
        Path target = Files.createDirectory(dir.resolve("clip.mp4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DEFAULTS.write(CLIP, target));
        assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("directory"), e.getMessage());
        assertOnlyTheTarget(target);
        assertTrue(Files.isDirectory(target));
    }

    @Test
    void missingDirectoryIsAClearError() {
        Path target = dir.resolve("no/such/dir/clip.mp4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DEFAULTS.write(CLIP, target));
        assertTrue(e.getMessage().contains(dir.resolve("no/such/dir").toString())
                && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void readOnlyDirectoryIsAClearError() throws IOException {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeTrue(!Files.isWritable(ro), "permissions do not bind this user (root)");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DEFAULTS.write(CLIP, ro.resolve("clip.mp4")));
            assertTrue(e.getMessage().contains("permission denied in " + ro), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void parentThatIsAFileIsAClearError() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.write(CLIP, file.resolve("clip.webm")));
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void pngFolderReplacesOnlyAnEmptyFolder() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("frames"));
        DEFAULTS.write(CLIP, folder);
        assertEquals(8, VideoReader.read(folder).frames());
        assertThrows(IllegalArgumentException.class, () -> DEFAULTS.write(CLIP, folder));
    }

    @Test
    void unknownExtensionNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.write(CLIP, dir.resolve("clip.avi")));
        assertTrue(e.getMessage().contains(".mp4, .webm, .gif"), e.getMessage());
        assertEquals(VideoFormat.MP4, VideoFormat.of(Path.of("A.MP4")));
        assertEquals(VideoFormat.PNG, VideoFormat.of(Path.of("frames")));
    }

    @Test
    void explicitFormatOverridesTheExtension() {
        Path file = dir.resolve("clip.bin");
        VideoWriter.builder().format(VideoFormat.WEBM).build().write(CLIP, file);
        assertEquals("vp9", VideoReader.probe(file).codec());
    }

    @Test
    void defaultSizeReachesTheShortSideByAWholeFactor() {
        VideoWriter w = VideoWriter.builder().build();
        assertEquals(new VideoWriter.Plan(256, 256, FrameRate.of(8)), w.plan(CLIP, VideoFormat.PNG));
        Video wide = TestVideos.movingSquare(1, 80, 48, 4, 8);
        assertEquals(new VideoWriter.Plan(480, 288, FrameRate.of(8)), w.plan(wide, VideoFormat.MP4));
        Video big = TestVideos.movingSquare(1, 301, 257, 4, 8);
        assertEquals(new VideoWriter.Plan(302, 258, FrameRate.of(8)), w.plan(big, VideoFormat.MP4));
        assertEquals(new VideoWriter.Plan(301, 257, FrameRate.of(8)), w.plan(big, VideoFormat.GIF));
    }

    @Test
    void h264EncoderCanBeChosenAndMustEncodeH264() {
        Path file = dir.resolve("clip.mp4");
        VideoWriter.builder().h264Encoder("libopenh264").build().write(CLIP, file);
        assertEquals("h264", VideoReader.probe(file).codec());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VideoWriter.builder().h264Encoder("libvpx-vp9").build().write(CLIP, dir.resolve("vp9.mp4")));
        assertTrue(e.getMessage().contains("does not encode H.264"), e.getMessage());
        assertOnlyTheTarget(file);
        assertTrue(List.of("libopenh264", "h264_nvenc").contains(VideoWriter.automaticH264Encoder()));
    }

    @Test
    void withoutTheNvidiaDriverMp4FallsBackToOpenH264() {
        assumeTrue(!CodecFileWriter.libcudaPresent(), "libcuda.so.1 is installed: h264_nvenc may open here");
        assertEquals("libopenh264", VideoWriter.automaticH264Encoder());
        Path file = dir.resolve("fallback.mp4");
        VideoWriter.builder().build().write(CLIP, file);
        assertEquals("h264", VideoReader.probe(file).codec());
    }

    @Test
    void writerIsPrintable() {
        String s = VideoWriter.builder().size(512, 288).scaling(Scaling.LANCZOS).build().toString();
        assertTrue(s.contains("512×288") && s.contains("LANCZOS"), s);
    }

    private static void assertAbove(double floorDb, Video want, Video got) {
        assertEquals(want.width(), got.width());
        assertEquals(want.height(), got.height());
        double psnr = TestVideos.psnr(want, got);
        assertTrue(psnr >= floorDb, "PSNR " + psnr + " dB is below the floor of " + floorDb + " dB");
    }

    /** The directory holds exactly {@code target} (or nothing): no temporary file is left. */
    private void assertOnlyTheTarget(Path target) {
        List<Path> entries = list();
        assertEquals(target == null ? List.of() : List.of(target.getFileName()), entries, "entries of " + dir);
    }

    private void assertDirectoryEmpty() {
        assertEquals(List.of(), list(), "entries of " + dir);
    }

    private List<Path> list() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(Path::getFileName).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The types of an MP4's top-level boxes, read independently of Reel's reader. */
    private static List<String> topLevelBoxes(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        List<String> types = new ArrayList<>();
        int pos = 0;
        while (pos + 8 <= b.limit()) {
            long size = Integer.toUnsignedLong(b.getInt(pos));
            types.add(new String(b.array(), pos + 4, 4, StandardCharsets.US_ASCII));
            if (size == 1) {
                size = b.getLong(pos + 8);
            }
            if (size < 8) {
                break;
            }
            pos += (int) size;
        }
        return types;
    }

    @Test
    void copyWithMetadataReplacesTheTagsAndKeepsEveryCodedFrame() throws Exception {
        Video v = TestVideos.movingSquare(4, 64, 48, 10, 8);
        for (String name : new String[] {"c.mp4", "c.webm", "c"}) {
            Path a = dir.resolve(name), b = dir.resolve("copy-" + name);
            VideoWriter.builder().metadata(Map.of("reel.a", "1", "reel.b", "2")).build().write(v, a);
            VideoWriter.copyWithMetadata(a, b, Map.of("reel.c", "three"));
            Map<String, String> meta = VideoReader.metadata(b);
            assertEquals("three", meta.get("reel.c"), name + ": " + meta);
            assertFalse(meta.containsKey("reel.a"), name + ": " + meta);
            assertArrayEquals(VideoReader.read(a).rgb(), VideoReader.read(b).rgb(), name);
            assertEquals(VideoReader.probe(a).frames(), VideoReader.probe(b).frames(), name);
            assertEquals(VideoReader.probe(a).frameRate(), VideoReader.probe(b).frameRate(), name);
        }
        assertTrue(VideoReader.probe(dir.resolve("copy-c.mp4")).indexAtFront());
        Path stripped = dir.resolve("stripped.mp4");
        VideoWriter.copyWithMetadata(dir.resolve("c.mp4"), stripped, Map.of());
        assertTrue(VideoReader.metadata(stripped).keySet().stream().noneMatch(k -> k.startsWith("reel.")));
        assertTrue(list().stream().noneMatch(p -> p.getFileName().toString().startsWith(".")), list().toString());
    }

    @Test
    void resizedIsWhatWriteEncodes() {
        Video v = TestVideos.movingSquare(2, 33, 20, 4, 8);
        Video mp4 = VideoWriter.builder().build().resized(v, VideoFormat.MP4);
        assertEquals(13 * 33 + 1, mp4.width(), "the default size, rounded up to even for MP4");
        assertEquals(260, mp4.height());
        Video gif = VideoWriter.builder().size(66, 40).build().resized(v, VideoFormat.GIF);
        assertEquals(66, gif.width());
        assertEquals(40, gif.height());
        assertEquals(v.pixel(1, 16, 10), gif.pixel(1, 33, 21), "nearest: each pixel a 2×2 block");
    }
}
