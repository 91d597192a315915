package dev.reel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reel.provenance.WatermarkKey;
import dev.reel.video.VideoReader;
import dev.reel.video.VideoWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reel detect}: what it prints, and its exit codes (0 marked, 1 not marked, 2 error). */
class DetectCommandTest {
    @TempDir
    Path temp;

    private Path generated(String name) {
        Path file = temp.resolve(name);
        GenerateCommandTest.Run r = GenerateCommandTest.run("generate", "-q", "--prompt", "a cyan circle moving up",
                "--steps", "6", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        return file;
    }

    @Test
    void aGeneratedFileIsMarkedAndItsManifestChecksOut() throws Exception {
        Path file = generated("c.mp4");
        GenerateCommandTest.Run r = GenerateCommandTest.run("detect", file.toString());
        assertEquals(Detect.MARKED, r.code(), r.err());
        assertTrue(r.out().contains("watermarked"), r.out());
        assertTrue(r.out().contains("matches the manifest"), r.out());
        assertTrue(r.out().contains("signature passed"), r.out());
        GenerateCommandTest.Run json = GenerateCommandTest.run("detect", "--json", file.toString());
        assertEquals(Detect.MARKED, json.code());
        JsonNode t = new ObjectMapper().readTree(json.out());
        assertTrue(t.get("watermarked").asBoolean());
        assertTrue(t.get("p_value").asDouble() < 1e-6);
        assertEquals("passed", t.get("signature_check").asText());
        assertEquals("passed", t.get("frames_check").asText());
        assertEquals("a cyan circle moving up", t.get("manifest").get("prompt").asText());
    }

    @Test
    void aFileWithoutTheMarkExitsOne() {
        Path file = temp.resolve("plain.mp4");
        VideoWriter.builder().build().write(VideoReader.synthetic("testsrc2=size=256x256:rate=8", 8), file);
        GenerateCommandTest.Run r = GenerateCommandTest.run("detect", file.toString());
        assertEquals(Detect.NOT_MARKED, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("not watermarked"), r.out());
    }

    @Test
    void anotherKeyExitsOne() throws Exception {
        Path file = generated("c.mp4");
        Path key = temp.resolve("other.key");
        WatermarkKey.generate().write(key);
        assertEquals(Detect.NOT_MARKED, GenerateCommandTest.run("detect", "--key", key.toString(), file.toString()).code());
    }

    @Test
    void errorsExitTwo() throws Exception {
        GenerateCommandTest.Run missing = GenerateCommandTest.run("detect", temp.resolve("nothing.mp4").toString());
        assertEquals(Detect.ERROR, missing.code());
        assertTrue(missing.err().startsWith("reel: "), missing.err());
        Path junk = temp.resolve("junk.mp4");
        Files.writeString(junk, "not a video");
        assertEquals(Detect.ERROR, GenerateCommandTest.run("detect", junk.toString()).code());
        Path badKey = temp.resolve("bad.key");
        Files.writeString(badKey, "zz");
        assertEquals(Detect.ERROR, GenerateCommandTest.run("detect", "--key", badKey.toString(),
                junk.toString()).code());
        assertEquals(Detect.ERROR, GenerateCommandTest.run("detect").code(), "no FILE is a usage error");
    }
}
