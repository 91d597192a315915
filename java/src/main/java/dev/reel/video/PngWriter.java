package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * A folder of RGB PNG frames, {@code frame_0000.png} on. libavcodec's PNG encoder
 * makes each file; the metadata and the frame rate are added as text chunks
 * ({@link PngText}).
 */
final class PngWriter {
    private PngWriter() {}

    /** The name of frame {@code i} of a clip of {@code n} frames. */
    static String frameName(int i, int n) {
        int digits = Math.max(4, Integer.toString(Math.max(0, n - 1)).length());
        return String.format("frame_%0" + digits + "d.png", i);
    }

    static void write(Frames frames, Path folder, VideoWriter options) {
        int w = frames.width(), h = frames.height(), n = frames.count();
        FrameRate rate = frames.rate();
        Map<String, String> text = new LinkedHashMap<>(options.metadata());
        text.put(VideoWriter.PNG_FRAME_RATE_KEY, rate.numerator() + "/" + rate.denominator());
        byte[] chunks = PngText.chunks(text);
        AVFrame rgb = null;
        int[] written = {0};
        try (Encoder encoder = new Encoder("png", false, ctx -> ctx.width(w).height(h).pix_fmt(AV_PIX_FMT_RGB24)
                .time_base(Av.rational(rate.denominator(), rate.numerator()))
                .framerate(Av.rational(rate.numerator(), rate.denominator())), Map.of("pred", "mixed"))) {
            rgb = Av.frame(AV_PIX_FMT_RGB24, w, h);
            Encoder.PacketSink sink = packet -> {
                byte[] png = new byte[packet.size()];
                packet.data().get(png);
                Path out = folder.resolve(frameName(written[0]++, n));
                try {
                    Files.write(out, PngText.insert(png, chunks));
                } catch (IOException e) {
                    throw new UncheckedIOException("could not write " + out, e);
                }
            };
            for (int i = 0; i < n; i++) {
                VideoWriter.checkInterrupt(folder);
                Av.check(av_frame_make_writable(rgb), "av_frame_make_writable", "rgb24 frame");
                Av.putRows(rgb, frames.next(), 0, w * 3, h);
                rgb.pts(i).duration(1);
                encoder.encode(rgb, sink);
                options.afterFrame(i);
            }
            encoder.encode(null, sink);
        } finally {
            if (rgb != null) {
                av_frame_free(rgb);
            }
        }
        if (written[0] != n) {
            throw new VideoException("the PNG encoder gave " + written[0] + " images for " + n + " frames");
        }
    }

    /** Copies the frames of {@code from} into the empty folder {@code to} with {@code metadata} as their text chunks. */
    static void retext(Path from, Path to, Map<String, String> metadata) throws IOException {
        java.util.List<Path> files;
        try (java.util.stream.Stream<Path> s = Files.list(from)) {
            files = s.filter(p -> p.getFileName().toString().matches("frame_\\d+\\.png")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new VideoException("folder " + from + " has no frame_NNNN.png files");
        }
        for (Path file : files) {
            byte[] png = Files.readAllBytes(file);
            Map<String, String> text = new LinkedHashMap<>(metadata);
            String rate = PngText.read(png).get(VideoWriter.PNG_FRAME_RATE_KEY);
            if (rate != null) {
                text.put(VideoWriter.PNG_FRAME_RATE_KEY, rate);
            }
            Files.write(to.resolve(file.getFileName()), PngText.insert(PngText.strip(png), PngText.chunks(text)));
        }
    }
}
