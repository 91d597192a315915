package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.pipeline.GeneratedVideo;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.video.Scaling;
import dev.reel.video.VideoReader;
import dev.reel.video.VideoWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written with provenance, and what detect says about them and about files without it. */
class ProvenanceTest {
    private static Generator generator;
    private static GeneratedVideo video;
    private static MarkedWriter writer;
    private static final SigningKey SIGNER = SigningKey.generate();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path temp;

    @BeforeAll
    static void generate() {
        generator = Generator.embedded();
        video = generator.generate(GenerationRequest.builder().prompt("a green triangle moving down-left on a gray "
                + "background").steps(10).seed(7).build()).get(0);
        writer = MarkedWriter.builder(generator.model()).signingKey(SIGNER).clock(CLOCK).build();
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    private long id() {
        return Provenance.generationId(video, generator.model());
    }

    @Test
    void everyWriterProducesFilesThatDetectFindsMarked() {
        for (String name : new String[] {"v.mp4", "v.webm", "v.gif", "frames"}) {
            Path file = temp.resolve(name);
            writer.write(video, file);
            Detection d = Provenance.detect(file);
            assertTrue(d.watermarked(), name + ": " + d.watermark());
            assertEquals(id(), d.watermark().payload().orElseThrow(), name);
            Detection.Check expected = name.endsWith(".gif") ? Detection.Check.MISSING : Detection.Check.PASSED;
            assertEquals(expected, d.signature(), name + " " + d.notes());
            assertEquals(expected, d.frames(), name + " " + d.notes());
            assertEquals(expected, d.payload(), name + " " + d.notes());
        }
    }

    @Test
    void theManifestSaysHowTheVideoWasMade() {
        Path file = temp.resolve("v.mp4");
        Manifest written = writer.write(video, file);
        Manifest m = Provenance.detect(file).manifest().orElseThrow();
        assertEquals(written.fields(), m.fields());
        assertEquals("Reel", m.get("generator"));
        assertEquals("embedded", m.get("model"));
        assertEquals(generator.model().folder().weightsSha256(), m.get("model_sha256"));
        assertEquals(video.prompt(), m.get("prompt"));
        assertEquals("7", m.get("seed"));
        assertEquals("euler", m.get("sampler"));
        assertEquals("10", m.get("steps"));
        assertEquals(Double.toString(generator.model().config().guidance()), m.get("guidance"));
        assertEquals("2026-12-01T12:00:00Z", m.get("created"));
        assertEquals(video.request().toString(), m.get("request"));
        assertEquals(String.format("%016x", id()), m.get("watermark"));
        assertEquals(SIGNER.fingerprint(), m.signer());
    }

    @Test
    void theSameGenerationWritesTheSameFile() throws Exception {
        GeneratedVideo again = generator.generate(video.request()).get(0);
        Path a = temp.resolve("a.mp4"), b = temp.resolve("b.mp4");
        writer.write(video, a);
        writer.write(again, b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void videosWithoutTheMarkAreNotMarked() {
        Path plain = temp.resolve("plain.mp4");
        VideoWriter.builder().build().write(video.video(), plain);
        Detection d = Provenance.detect(plain);
        assertFalse(d.watermarked(), d.watermark().toString());
        assertTrue(d.manifest().isEmpty());
        for (String source : new String[] {"testsrc2=size=256x256:rate=8", "mandelbrot=size=256x256:rate=8",
            "life=size=256x256:rate=8:seed=3:mold=10"}) {
            Path f = temp.resolve("synthetic.mp4");
            VideoWriter.builder().build().write(VideoReader.synthetic(source, 8), f);
            assertFalse(Provenance.detect(f).watermarked(), source);
        }
    }

    @Test
    void strippedMetadataLeavesTheWatermark() {
        Path file = temp.resolve("v.mp4"), stripped = temp.resolve("stripped.mp4");
        writer.write(video, file);
        VideoWriter.copyWithMetadata(file, stripped, Map.of());
        Detection d = Provenance.detect(stripped);
        assertTrue(d.watermarked(), d.watermark().toString());
        assertEquals(id(), d.watermark().payload().orElseThrow());
        assertTrue(d.manifest().isEmpty());
        assertEquals(Detection.Check.MISSING, d.signature());
        assertTrue(d.notes().get(0).contains("stripped"), d.notes().toString());
    }

    @Test
    void anEditedManifestFailsItsSignature() {
        Path file = temp.resolve("v.webm"), edited = temp.resolve("edited.webm");
        writer.write(video, file);
        Map<String, String> meta = reelKeys(VideoReader.metadata(file));
        meta.put("reel.prompt", "a red circle moving right");
        VideoWriter.copyWithMetadata(file, edited, meta);
        Detection d = Provenance.detect(edited);
        assertTrue(d.watermarked());
        assertEquals(Detection.Check.FAILED, d.signature());
        assertEquals(Detection.Check.PASSED, d.frames(), "the pictures are the signed ones");
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("signature")), d.notes().toString());
    }

    @Test
    void reEncodedPicturesFailTheFrameHashAndKeepTheMark() {
        Path file = temp.resolve("v.mp4"), again = temp.resolve("again.mp4");
        writer.write(video, file);
        VideoWriter.builder().size(192, 192).scaling(Scaling.BICUBIC).bitrate(100_000)
                .metadata(reelKeys(VideoReader.metadata(file))).build().write(VideoReader.read(file), again);
        Detection d = Provenance.detect(again);
        assertTrue(d.watermarked(), d.watermark().toString());
        assertEquals(Detection.Check.PASSED, d.signature(), "the metadata was copied unchanged");
        assertEquals(Detection.Check.FAILED, d.frames());
    }

    @Test
    void anotherKeysMarkIsNotThisKeys() {
        WatermarkKey mine = WatermarkKey.generate();
        Path file = temp.resolve("mine.mp4");
        MarkedWriter.builder(generator.model()).watermarkKey(mine).signingKey(SIGNER).build().write(video, file);
        assertTrue(Provenance.detect(file, mine).watermarked());
        assertFalse(Provenance.detect(file).watermarked(), "Reel's default key does not see a private key's mark");
    }

    private static Map<String, String> reelKeys(Map<String, String> metadata) {
        Map<String, String> m = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (k.toLowerCase(java.util.Locale.ROOT).startsWith(Manifest.PREFIX)) {
                m.put(k, v);
            }
        });
        return m;
    }
}
