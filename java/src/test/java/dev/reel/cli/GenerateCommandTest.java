package dev.reel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.video.Video;
import dev.reel.video.VideoInfo;
import dev.reel.video.VideoReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code reel generate} end to end: the files it writes, and one clear line and exit code for every mistake. */
class GenerateCommandTest {
    /** The embedded model's frame count, which every default video has. */
    static final int EMBEDDED_FRAMES;

    static {
        try (dev.reel.model.ModelFolder m = dev.reel.model.ModelFolder.embedded()) {
            EMBEDDED_FRAMES = m.config().frames();
        }
    }

    @TempDir
    Path temp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesAnMp4ThatPlaysEverywhere() {
        Path file = temp.resolve("red.mp4");
        Run r = run("generate", "--prompt", "a red circle moving right", "--steps", "8", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(file.toAbsolutePath().toString(), r.out().trim());
        VideoInfo info = VideoReader.probe(file);
        assertEquals("h264", info.codec());
        assertEquals("yuv420p", info.pixelFormat());
        assertEquals(0, info.width() % 2);
        assertEquals(0, info.height() % 2);
        assertTrue(info.width() >= 256 && info.height() >= 256, info.toString());
        assertEquals(EMBEDDED_FRAMES, info.frames());
        assertTrue(info.indexAtFront(), "moov must come before mdat (+faststart)");
        assertTrue(r.err().contains("reel generate --prompt 'a red circle moving right' --steps 8 --seed 42"), r.err());
        assertNoTemporaryFiles();
    }

    @Test
    void everyFormatDecodesBackWithItsSizeAndFrames() {
        for (String name : new String[] {"v.webm", "v.gif", "frames"}) {
            Path file = temp.resolve(name);
            Run r = run("generate", "-q", "--prompt", "a blue square moving up", "--steps", "4", "--size", "64x64",
                    "--out", file.toString());
            assertEquals(0, r.code(), name + ": " + r.err());
            Video v = VideoReader.read(file);
            assertEquals(EMBEDDED_FRAMES, v.frames(), name);
            assertEquals(64, v.width(), name);
            assertEquals(64, v.height(), name);
        }
    }

    @Test
    void variationsWriteOneFileEachAndAContactSheet() throws Exception {
        Path file = temp.resolve("ad.mp4");
        Run r = run("generate", "-q", "--prompt", "a green diamond moving down", "--steps", "4", "--variations", "3",
                "--seed", "10", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        for (String n : List.of("ad-seed10.mp4", "ad-seed11.mp4", "ad-seed12.mp4", "ad-contact.png")) {
            assertTrue(Files.size(temp.resolve(n)) > 0, n);
        }
        java.awt.image.BufferedImage sheet = javax.imageio.ImageIO.read(temp.resolve("ad-contact.png").toFile());
        assertTrue(sheet.getWidth() > 2 * 192, "a grid of 3 pictures: " + sheet.getWidth());
    }

    @Test
    void mistakesGetOneLineAndADocumentedExitCode() throws Exception {
        Path out = temp.resolve("x.mp4").toString().isEmpty() ? null : temp.resolve("x.mp4");
        String o = out.toString();
        assertMistake(run("generate", "--prompt", "a red elephant moving right", "--out", o), ExitCodes.USAGE, "elephant");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--sampler", "magic", "--out", o),
                ExitCodes.USAGE, "magic");
        assertMistake(run("generate", "--prompt", "a red circle", "--out", o), ExitCodes.USAGE, "motion");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--size", "0x10", "--out", o),
                ExitCodes.USAGE, "size");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--size", "big", "--out", o),
                ExitCodes.USAGE, "--size");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--init", o, "--strength", "1.5"),
                ExitCodes.IO, "--init");
        Path init = temp.resolve("init.gif");
        Files.write(init, new byte[] {1, 2, 3});
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--init", init.toString(), "--strength",
                "1.5", "--out", o), ExitCodes.USAGE, "strength");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--out",
                temp.resolve("missing/dir/x.mp4").toString()), ExitCodes.IO, "does not exist");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--out", temp.resolve("x.avi").toString()),
                ExitCodes.USAGE, ".avi");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--model",
                temp.resolve("no-model").toString(), "--out", o), ExitCodes.MODEL, "no-model");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--steps", "x"), ExitCodes.USAGE, "steps");
        assertMistake(run("generate"), ExitCodes.USAGE, "--prompt");
        assertFalse(Files.exists(out), "a failed run left a file");
        assertNoTemporaryFiles();
    }

    @Test
    void aMalformedModelFolderIsOneLine() throws Exception {
        Path model = temp.resolve("broken");
        Path fixture = Path.of(getClass().getResource("/dev/reel/model/fixtures/tiny-full").toURI());
        Files.createDirectories(model);
        for (String f : new String[] {"config.json", "vocabulary.json"}) {
            Files.copy(fixture.resolve(f), model.resolve(f));
        }
        byte[] weights = Files.readAllBytes(fixture.resolve("model.safetensors"));
        Files.write(model.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length / 2));
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--model", model.toString(), "--out",
                temp.resolve("y.mp4").toString()), ExitCodes.MODEL, "model.safetensors");
    }

    @Test
    void aBadOrAbsentDeviceIsAUsageError() {
        String o = temp.resolve("d.mp4").toString();
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--device", "gpu", "--out", o),
                ExitCodes.USAGE, "expected cpu, cuda or cuda:N");
        int absent = dev.reel.Reel.cudaDevices().size();
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--device", "cuda:" + absent, "--out", o),
                ExitCodes.USAGE, "not available");
        assertFalse(java.nio.file.Files.exists(temp.resolve("d.mp4")));
    }

    @Test
    void aBadGuidanceIntervalIsAUsageError() {
        String o = temp.resolve("g.mp4").toString();
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--guidance-interval", "0.9", "--out", o),
                ExitCodes.USAGE, "--guidance-interval must be FROM,TO");
        assertMistake(run("generate", "--prompt", "a red circle moving right", "--guidance-interval", "0.9,0.2", "--out",
                o), ExitCodes.USAGE, "0 <= from <= to <= 1");
        assertFalse(java.nio.file.Files.exists(temp.resolve("g.mp4")));
    }

    @Test
    void deviceCpuGenerates() {
        Path file = temp.resolve("cpu.mp4");
        Run r = run("generate", "--prompt", "a red circle moving right", "--steps", "2", "--device", "cpu", "--out",
                file.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("on the CPU"), r.err());
        assertTrue(java.nio.file.Files.exists(file));
    }

    private static void assertMistake(Run r, int code, String mentions) {
        assertEquals(code, r.code(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line expected, got: " + r.err());
        assertTrue(lines[0].startsWith("reel: "), lines[0]);
        assertTrue(lines[0].contains(mentions), "'" + lines[0] + "' should mention " + mentions);
        assertFalse(r.err().contains("\tat "), "a stack trace: " + r.err());
    }

    private void assertNoTemporaryFiles() {
        try (Stream<Path> files = Files.list(temp)) {
            List<Path> hidden = files.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertTrue(hidden.isEmpty(), "temporary files left: " + hidden);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
