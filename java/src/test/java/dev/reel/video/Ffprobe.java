package dev.reel.video;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.Loader;

/**
 * The ffprobe executable that the ffmpeg jar carries, run as an independent check of
 * what Reel writes. Loading it loads every FFmpeg preset, libavdevice too, which
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
