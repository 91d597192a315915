package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PNG;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_get_pix_fmt_name;
import static org.bytedeco.ffmpeg.global.avutil.av_image_copy_to_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_image_get_buffer_size;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.BytePointer;

/**
 * Reads video files back: any file FFmpeg's libraries decode (MP4, WebM, GIF among
 * them), or a folder of PNG frames as {@link VideoWriter} writes it, decoded
 * in-process to RGB 8-bit.
 *
 * <p>A missing path is an {@link IllegalArgumentException}; a file that cannot be
 * decoded is a {@link VideoException} naming the FFmpeg call.
 */
public final class VideoReader {
    /** The frame rate of a PNG folder that does not record one. */
    public static final FrameRate DEFAULT_PNG_FRAME_RATE = FrameRate.of(24);

    private static final Pattern FRAME_NAME = Pattern.compile("frame_(\\d+)\\.png");

    private VideoReader() {}

    /** Decodes every frame of {@code path} (a file, or a folder of PNG frames). */
    public static Video read(Path path) {
        checkExists(path);
        if (Files.isDirectory(path)) {
            return readPngFolder(path);
        }
        try (FileDecoder in = new FileDecoder(path, true); ToRgb rgb = new ToRgb()) {
            ByteArrayOutputStream pixels = new ByteArrayOutputStream();
            byte[] buf = null;
            int frames = 0;
            for (AVFrame f; (f = in.nextFrame()) != null; frames++) {
                if (buf == null) {
                    buf = new byte[f.width() * f.height() * 3];
                }
                rgb.convert(f, buf, 0, path);
                pixels.write(buf, 0, buf.length);
            }
            if (frames == 0) {
                throw new VideoException(path + " has a video stream but no frame could be decoded");
            }
            return Video.wrap(pixels.toByteArray(), frames, rgb.height(), rgb.width(), frameRate(in));
        }
    }

    /**
     * The container's metadata tags (not the streams'), with the container's own
     * (MP4's {@code major_brand}, {@code encoder}, …). Keys compare without regard to
     * case, since FFmpeg writes Matroska (WebM) tag names upper-cased, spaces turned to
     * underscores: {@code get("reel.seed")} finds {@code REEL.SEED}. Iteration is in key
     * order. For a PNG folder, the text chunks of its first frame, {@code frame_rate}
     * included.
     */
    public static Map<String, String> metadata(Path path) {
        checkExists(path);
        Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (Files.isDirectory(path)) {
            List<Path> files = pngFrames(path);
            out.putAll(PngText.read(readAll(files.get(0))));
        } else {
            try (FileDecoder in = new FileDecoder(path, false)) {
                out.putAll(Av.entries(in.input().metadata()));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The SHA-256 of the decoded pictures, each in the pixel format its decoder
     * gives (yuv420p for Reel's MP4 and WebM, rgb24 for its PNG frames) with its
     * planes packed one after another and no row padding, frame after frame: what
     * {@code ffmpeg -i FILE -map 0:v:0 -f hash -hash sha256 -} prints, so another tool
     * can check it. It depends only on the coded pictures, not on the container's
     * metadata or on any colour conversion, and H.264 and VP9 decoding is exact, so
     * any conforming decoder gives the same digest.
     */
    public static byte[] frameDigest(Path path) {
        checkExists(path);
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
        try (PictureBytes bytes = new PictureBytes()) {
            if (Files.isDirectory(path)) {
                try (PngDecoder png = new PngDecoder()) {
                    for (Path file : pngFrames(path)) {
                        sha.update(bytes.of(png.decode(readAll(file), file), file));
                    }
                }
            } else {
                try (FileDecoder in = new FileDecoder(path, true)) {
                    for (AVFrame f; (f = in.nextFrame()) != null; ) {
                        sha.update(bytes.of(f, path));
                    }
                }
            }
        }
        return sha.digest();
    }

    /**
     * Frames made by an FFmpeg source filter graph — the ffmpeg tool's {@code -f lavfi}
     * inputs — converted to RGB: {@code frames} of them (fewer if the source ends
     * first), e.g. {@code synthetic("testsrc2=size=256x256:rate=8", 8)},
     * {@code "mandelbrot=size=256x256:rate=8"}, {@code "life=size=256x256:rate=8:seed=7:mold=10"}.
     * The frame rate is the graph's.
     *
     * @throws IllegalArgumentException when {@code frames} is not positive or the source is blank
     * @throws VideoException when libavfilter cannot build the graph or it makes no frame
     */
    public static Video synthetic(String source, int frames) {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("source is " + (source == null ? "null" : "blank")
                    + ": expected a filter graph such as testsrc2=size=256x256:rate=8");
        }
        if (frames <= 0) {
            throw new IllegalArgumentException("frames is " + frames + ": expected a positive count");
        }
        AVFrame f = null;
        try (FilterGraph graph = FilterGraph.source(source + ",format=rgb24"); ToRgb rgb = new ToRgb()) {
            f = Av.notNull(av_frame_alloc(), "av_frame_alloc", null);
            ByteArrayOutputStream pixels = new ByteArrayOutputStream();
            byte[] buf = null;
            int got = 0;
            while (got < frames) {
                av_frame_unref(f);
                if (graph.pull(f) != FilterGraph.Pull.FRAME) {
                    break;
                }
                if (buf == null) {
                    buf = new byte[f.width() * f.height() * 3];
                }
                rgb.convert(f, buf, 0, source);
                pixels.write(buf, 0, buf.length);
                got++;
            }
            if (got == 0) {
                throw new VideoException("the filter graph '" + source + "' made no frame");
            }
            FrameRate rate = graph.sinkRate();
            return Video.wrap(pixels.toByteArray(), got, rgb.height(), rgb.width(),
                    rate != null ? rate : DEFAULT_PNG_FRAME_RATE);
        } finally {
            if (f != null) {
                av_frame_free(f);
            }
        }
    }

    /** The container, codec, size, frame count and rate of {@code path}, read without decoding. */
    public static VideoInfo probe(Path path) {
        checkExists(path);
        if (Files.isDirectory(path)) {
            List<Path> files = pngFrames(path);
            byte[] first = readAll(files.get(0));
            try (PngDecoder png = new PngDecoder()) {
                AVFrame f = png.decode(first, files.get(0));
                return new VideoInfo("png folder", "png", av_get_pix_fmt_name(f.format()).getString(), f.width(),
                        f.height(), files.size(), pngFrameRate(PngText.read(first), files.get(0)), false);
            }
        }
        try (FileDecoder in = new FileDecoder(path, true)) {
            AVStream s = in.stream();
            long frames = 0;
            AVPacket p = Av.notNull(av_packet_alloc(), "av_packet_alloc", null);
            try {
                while (in.nextPacket(p)) {
                    frames++;
                }
            } finally {
                av_packet_free(p);
            }
            String container = in.input().iformat().name().getString();
            int format = s.codecpar().format();
            String pixelFormat = format < 0 || av_get_pix_fmt_name(format) == null ? "none"
                    : av_get_pix_fmt_name(format).getString();
            return new VideoInfo(container, avcodec_get_name(s.codecpar().codec_id()).getString(), pixelFormat,
                    s.codecpar().width(), s.codecpar().height(), frames, frameRate(in),
                    container.contains("mp4") && Mp4Boxes.moovBeforeMdat(path));
        }
    }

    private static void checkExists(Path path) {
        if (path == null) {
            throw new IllegalArgumentException("path is null");
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("cannot read " + path + ": no such file or folder");
        }
    }

    /**
     * A GIF has no frame rate, only per-frame delays: its rate is the frame count over
     * the total delay (FFmpeg's stream rate for GIF comes from the delays it sampled,
     * 25/3 for delays alternating 13 and 12). Other containers store a rate (MP4's
     * sample durations, Matroska's default duration), which is exact where the packet
     * times are not (WebM's are whole milliseconds): the stream's average rate, else
     * its base rate, else the packets'.
     */
    private static FrameRate frameRate(FileDecoder in) {
        FrameRate measured = in.packetRate();
        if (measured != null && in.input().iformat().name().getString().equals("gif")) {
            return measured;
        }
        AVStream s = in.stream();
        for (AVRational r : new AVRational[] {s.avg_frame_rate(), s.r_frame_rate()}) {
            if (r.num() > 0 && r.den() > 0) {
                FrameRate exact = new FrameRate(r.num(), r.den());
                return exact.denominator() <= 1001 ? exact : FrameRate.of(exact.fps());
            }
        }
        if (measured != null) {
            return measured;
        }
        throw new VideoException(in.file + ": the video stream has no frame rate");
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static Video readPngFolder(Path folder) {
        List<Path> files = pngFrames(folder);
        try (PngDecoder png = new PngDecoder(); ToRgb rgb = new ToRgb()) {
            byte[] pixels = null;
            FrameRate rate = null;
            for (int i = 0; i < files.size(); i++) {
                byte[] file = readAll(files.get(i));
                AVFrame f = png.decode(file, files.get(i));
                if (pixels == null) {
                    pixels = new byte[Math.toIntExact((long) files.size() * f.width() * f.height() * 3)];
                    rate = pngFrameRate(PngText.read(file), files.get(0));
                }
                rgb.convert(f, pixels, i * f.width() * f.height() * 3, files.get(i));
            }
            return Video.wrap(pixels, files.size(), rgb.height(), rgb.width(), rate);
        }
    }

    private static FrameRate pngFrameRate(Map<String, String> text, Path file) {
        String value = text.get(VideoWriter.PNG_FRAME_RATE_KEY);
        if (value == null) {
            return DEFAULT_PNG_FRAME_RATE;
        }
        Matcher m = Pattern.compile("(\\d+)/(\\d+)").matcher(value.trim());
        try {
            if (m.matches()) {
                return new FrameRate(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            }
        } catch (IllegalArgumentException e) {
            // fall through to the error below
        }
        throw new VideoException(file + ": text chunk " + VideoWriter.PNG_FRAME_RATE_KEY + " is '" + value
                + "', expected a rate such as 24/1");
    }

    /** The folder's frame_NNNN.png files in order; they must be numbered 0, 1, 2, … */
    private static List<Path> pngFrames(Path folder) {
        TreeMap<Long, Path> byIndex = new TreeMap<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Matcher m = FRAME_NAME.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).length() < 10) {
                    byIndex.put(Long.parseLong(m.group(1)), p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        if (byIndex.isEmpty()) {
            throw new VideoException("folder " + folder + " has no frame_NNNN.png files");
        }
        long expected = 0;
        for (long index : new TreeSet<>(byIndex.keySet())) {
            if (index != expected) {
                throw new VideoException("folder " + folder + " has no frame " + expected + " (frames are numbered "
                        + "from 0 without gaps; the next is " + byIndex.get(index).getFileName() + ")");
            }
            expected++;
        }
        return new ArrayList<>(byIndex.values());
    }

    /** A decoded picture's planes packed without padding ({@code av_image_copy_to_buffer}, alignment 1). */
    private static final class PictureBytes implements AutoCloseable {
        private BytePointer buffer;
        private byte[] bytes;

        byte[] of(AVFrame f, Object file) {
            int size = Av.check(av_image_get_buffer_size(f.format(), f.width(), f.height(), 1),
                    "av_image_get_buffer_size", file);
            if (bytes == null || bytes.length != size) {
                if (buffer != null) {
                    buffer.close();
                }
                buffer = new BytePointer(size);
                bytes = new byte[size];
            }
            Av.check(av_image_copy_to_buffer(buffer, size, f.data(), f.linesize(), f.format(), f.width(), f.height(),
                    1), "av_image_copy_to_buffer", file);
            buffer.position(0).get(bytes);
            return bytes;
        }

        @Override
        public void close() {
            if (buffer != null) {
                buffer.close();
                buffer = null;
            }
        }
    }

    /** libavcodec's PNG decoder, fed whole files as single packets. */
    private static final class PngDecoder implements AutoCloseable {
        private AVCodecContext context;
        private AVPacket packet;
        private AVFrame frame;

        PngDecoder() {
            try {
                AVCodec codec = Av.notNull(avcodec_find_decoder(AV_CODEC_ID_PNG), "avcodec_find_decoder", "png");
                context = Av.notNull(avcodec_alloc_context3(codec), "avcodec_alloc_context3", "png");
                AVDictionary opts = new AVDictionary(null);
                try {
                    Av.check(avcodec_open2(context, codec, opts), "avcodec_open2", "the PNG decoder");
                } finally {
                    av_dict_free(opts);
                }
                packet = Av.notNull(av_packet_alloc(), "av_packet_alloc", null);
                frame = Av.notNull(av_frame_alloc(), "av_frame_alloc", null);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /**
         * Decodes one PNG file's bytes; the frame stays this decoder's until the next
         * call. The packet is marked a key frame: without the flag libavcodec's PNG
         * decoder takes it as a change to the previous picture.
         */
        AVFrame decode(byte[] bytes, Path file) {
            av_packet_unref(packet);
            Av.check(av_new_packet(packet, bytes.length), "av_new_packet", file);
            packet.data().put(bytes);
            packet.flags(packet.flags() | AV_PKT_FLAG_KEY);
            Av.check(avcodec_send_packet(context, packet), "avcodec_send_packet", file);
            av_frame_unref(frame);
            Av.check(avcodec_receive_frame(context, frame), "avcodec_receive_frame", file);
            return frame;
        }

        @Override
        public void close() {
            if (frame != null) {
                av_frame_free(frame);
                frame = null;
            }
            if (packet != null) {
                av_packet_free(packet);
                packet = null;
            }
            if (context != null) {
                avcodec_free_context(context);
                context = null;
            }
        }
    }
}
