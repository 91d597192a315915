import dev.reel.video.Video;
import dev.reel.video.VideoReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Decodes video files with Reel's VideoReader into NumPy arrays the evaluator reads
 * ({@code tools/reel/frames_io.py}: a uint8 .npy is [T, H, W, 3] bytes): {@code name.mp4} becomes
 * {@code name.npy} beside it. The evaluator's own path for video files needs an ffmpeg
 * executable on PATH, and the one in the ffmpeg jar does not start on a machine without
 * libpulse; decoding in Reel uses the same libavcodec in process.
 *
 * <pre>java -cp java/target/reel-core-0.1.0.jar bench/adherence/DecodeFrames.java FOLDER_OR_FILES…</pre>
 */
public final class DecodeFrames {
    public static void main(String[] args) throws IOException {
        int n = 0;
        for (String a : args) {
            Path p = Path.of(a);
            List<Path> files;
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    files = s.filter(f -> f.toString().endsWith(".mp4")).sorted().collect(Collectors.toList());
                }
            } else {
                files = List.of(p);
            }
            for (Path f : files) {
                String name = f.getFileName().toString();
                Path out = f.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".npy");
                writeNpy(VideoReader.read(f), out);
                n++;
            }
        }
        System.err.println("decoded " + n + " file(s)");
    }

    /** NumPy format 1.0: magic, version, header length, a Python dict literal padded to 64 bytes, the data. */
    static void writeNpy(Video v, Path out) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + v.frames() + ", " + v.height() + ", "
                + v.width() + ", 3), }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (OutputStream o = Files.newOutputStream(tmp)) {
            o.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (h.length & 0xff), (byte) (h.length >> 8)});
            o.write(h);
            o.write(v.rgb());
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
