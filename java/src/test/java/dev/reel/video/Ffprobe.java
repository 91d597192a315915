package dev.reel.video;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.Loader;

/**
 * The ffprobe and ffmpeg executables that the ffmpeg jar carries, run as an
 * independent check of what Reel writes. Loading it loads every FFmpeg preset, libavdevice too, which
 * needs PulseAudio's libpulse.so.0: where that is missing, {@link #unavailable()}
 * says so and the checks that need ffprobe are skipped.
 */
final class Ffprobe {
    private static final Path EXECUTABLE;
    private static final String UNAVAILABLE;

    static {
        Path exe = null;
        String why = null;
        try {
            exe = Path.of(Loader.load(org.bytedeco.ffmpeg.ffprobe.class));
            Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        } catch (Throwable t) {
            Throwable root = t;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            why = "the bundled ffprobe does not load here: " + root.getMessage();
        }
        EXECUTABLE = exe;
        UNAVAILABLE = why;
    }

    private Ffprobe() {}

    /** Null when ffprobe runs, else why not. */
    static String unavailable() {
        return UNAVAILABLE;
    }

    /**
     * {@code ffmpeg -i file -map 0:v:0 -f hash -hash sha256 -}: the SHA-256 of the decoded
     * pictures as the ffmpeg tool computes it, lower-case hex.
     */
    static String ffmpegFrameHash(Path file) throws IOException, InterruptedException {
        Path ffmpeg = EXECUTABLE.resolveSibling("ffmpeg");
        Process p = new ProcessBuilder(ffmpeg.toString(), "-v", "error", "-i", file.toString(), "-map", "0:v:0",
                "-f", "hash", "-hash", "sha256", "-").start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        String err = new String(p.getErrorStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("SHA256=")) {
            throw new IOException("ffmpeg -f hash failed on " + file + ": " + err + out);
        }
        return out.substring("SHA256=".length());
    }

    /** {@code ffprobe -show_streams -show_format -count_frames -of json file}, parsed. */
    static JsonNode probe(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(EXECUTABLE.toString(), "-v", "error", "-show_streams", "-show_format",
                "-count_frames", "-of", "json", file.toString()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("ffprobe failed on " + file + ": " + err);
        }
        return new ObjectMapper().readTree(out);
    }
}
