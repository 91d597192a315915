package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.avcodec.AVPacket;

/**
 * Writes a {@link Video} to a file: MP4 (H.264), WebM (VP9), GIF or a folder of PNG
 * frames, in-process through FFmpeg's libraries. Options are immutable and come from
 * a {@link Builder}; one writer may be shared by threads.
 *
 * <pre>{@code
 * VideoWriter.builder().build().write(video, Path.of("out.mp4"));     // 32×32 → 256×256
 * VideoWriter.builder().size(512, 512).scaling(Scaling.LANCZOS).frameRate(FrameRate.of(24))
 *         .interpolate(true).metadata(Map.of("reel.seed", "42")).build()
 *         .write(video, Path.of("out.webm"));
 * }</pre>
 *
 * <p><b>Output size.</b> By default each frame is scaled up by the smallest whole
 * factor that makes its short side at least {@value #DEFAULT_SHORT_SIDE} pixels (a
 * 32×32 video becomes 256×256, 48×80 becomes 288×480; a video already that large
 * keeps its size), with {@link Scaling#NEAREST}. Nearest is the default because a
 * whole-factor upscale is then exact: every model pixel becomes a block, no colour is
 * invented and no edge rings, and the file shows what the model made. Choose
 * {@link Scaling#LANCZOS} for smooth pictures. Setting only a width or only a height
 * keeps the aspect ratio.
 *
 * <p><b>Formats.</b>
 * <ul>
 * <li>MP4: H.264 in yuv420p (BT.709, limited range, tagged), index at the front
 *     ({@code movflags +faststart}), every frame with its duration so the file holds
 *     exactly the frames written. H.264 in yuv420p needs even sizes: an odd default
 *     size is rounded up to even by scaling; an odd size set on the builder is
 *     refused. The encoder is {@code h264_nvenc} where it opens (a machine with
 *     {@code libcuda.so.1} and an NVIDIA GPU), else {@code libopenh264}; see
 *     {@link Builder#h264Encoder}.
 * <li>WebM: VP9 ({@code libvpx-vp9}) in yuv420p, BT.709 as for MP4; odd sizes are
 *     allowed.
 * <li>GIF: one palette for the whole clip ({@code palettegen}, then {@code paletteuse}
 *     with its default dithering), loops forever. Delays are whole hundredths of a
 *     second, rounded per frame so that the total stays right (8 fps alternates 13
 *     and 12); so the output rate is at most 50 fps. GIF has no place for metadata:
 *     it is not written.
 * <li>PNG: a folder of lossless RGB frames, as {@link VideoFormat#PNG} describes;
 *     metadata and the frame rate ({@code frame_rate}, e.g. {@code 24/1}) go into
 *     text chunks of every frame ({@code tEXt}, or {@code iTXt} for text beyond
 *     ASCII), so metadata keys must be PNG keywords (1–79 Latin-1 characters) and
 *     {@code frame_rate} is reserved.
 * </ul>
 *
 * <p><b>Metadata.</b> Container tags, for provenance. MP4 keeps custom keys
 * ({@code movflags +use_metadata_tags}); WebM keeps them as Matroska tags, whose
 * names FFmpeg writes upper-cased with spaces as underscores ({@code "Reel note"}
 * comes back as {@code REEL_NOTE}); PNG as above; GIF none.
 *
 * <p><b>Frame rate.</b> By default the video's. A different rate keeps the clip's
 * length: frames are repeated (or dropped), or with {@link Builder#interpolate}
 * made by motion-compensated interpolation (FFmpeg's {@code minterpolate}).
 *
 * <p><b>Atomic files.</b> The file is written under a hidden temporary name in the
 * target's directory and renamed over the target when complete, so a reader never
 * sees a partial file, and a failure — or an interrupt of the writing thread, which
 * stops the write between frames with a {@link VideoException} and leaves the
 * thread's interrupt flag set — leaves neither the target nor a temporary file.
 * An existing file at the target is replaced; a PNG folder may replace only an empty
 * folder.
 *
 * <p>Errors: a missing or unwritable directory, a target that is a directory, or an
 * option the format cannot honour is an {@link IllegalArgumentException} naming the
 * path or option, raised before encoding starts; a failing FFmpeg call is a
 * {@link VideoException} naming the call.
 */
public final class VideoWriter {
    /** The short side, in pixels, that the default output size reaches at least. */
    public static final int DEFAULT_SHORT_SIDE = 256;
    /**
     * Default H.264 and VP9 rate: bits per output pixel per frame. 0.2 gives 105 kbit/s
     * for 256×256 at 8 fps and 12 Mbit/s for 1920×1080 at 30 fps; see {@link Builder#bitrate}.
     */
    public static final double DEFAULT_BITS_PER_PIXEL = 0.2;
    /** The least default bitrate, so that small or slow clips are not starved. */
    public static final long MIN_DEFAULT_BITRATE = 200_000;
    /** The metadata key PNG frames keep the frame rate under. */
    public static final String PNG_FRAME_RATE_KEY = "frame_rate";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final IntConsumer NO_HOOK = i -> {};

    private final VideoFormat format;
    private final int width, height;
    private final Scaling scaling;
    private final FrameRate frameRate;
    private final boolean interpolate;
    private final long bitrate;
    private final Map<String, String> metadata;
    private final String h264Encoder;
    private final IntConsumer afterFrame;

    private VideoWriter(Builder b) {
        format = b.format;
        width = b.width;
        height = b.height;
        scaling = b.scaling;
        frameRate = b.frameRate;
        interpolate = b.interpolate;
        bitrate = b.bitrate;
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
        h264Encoder = b.h264Encoder;
        afterFrame = b.afterFrame;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this writer's options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.format = format;
        b.width = width;
        b.height = height;
        b.scaling = scaling;
        b.frameRate = frameRate;
        b.interpolate = interpolate;
        b.bitrate = bitrate;
        b.metadata.putAll(metadata);
        b.h264Encoder = h264Encoder;
        b.afterFrame = afterFrame;
        return b;
    }

    /** The format, or null when it comes from the path's extension. */
    public VideoFormat format() {
        return format;
    }

    /** The output width, or 0 for the default. */
    public int width() {
        return width;
    }

    /** The output height, or 0 for the default. */
    public int height() {
        return height;
    }

    public Scaling scaling() {
        return scaling;
    }

    /** The output frame rate, or null for the video's. */
    public FrameRate frameRate() {
        return frameRate;
    }

    public boolean interpolate() {
        return interpolate;
    }

    /** The H.264 / VP9 bitrate in bits per second, or 0 for the default. */
    public long bitrate() {
        return bitrate;
    }

    /** The container metadata, in insertion order; unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The H.264 encoder asked for, or null for the automatic choice. */
    public String h264Encoder() {
        return h264Encoder;
    }

    /**
     * The H.264 encoder an MP4 gets when {@link Builder#h264Encoder} is unset:
     * {@code "h264_nvenc"} where it opens on this machine, else {@code "libopenh264"}.
     * The first call may open nvenc once to find out.
     */
    public static String automaticH264Encoder() {
        return CodecFileWriter.automaticH264Encoder();
    }

    /**
     * Writes {@code video} to {@code path} in this writer's format, or the one the
     * path's extension names ({@link VideoFormat#of}).
     */
    public void write(Video video, Path path) {
        if (video == null) {
            throw new IllegalArgumentException("video is null");
        }
        if (path == null) {
            throw new IllegalArgumentException("path is null");
        }
        VideoFormat f = format != null ? format : VideoFormat.of(path);
        Plan plan = plan(video, f);
        checkMetadata(f);
        Path target = path.toAbsolutePath();
        Path temp = createTemporary(target, f);
        boolean done = false;
        try {
            try (Frames frames = new Frames(video, plan.width, plan.height, scaling, plan.rate, interpolate)) {
                switch (f) {
                    case MP4, WEBM -> CodecFileWriter.write(f, frames, temp, this);
                    case GIF -> GifWriter.write(frames, temp, this);
                    case PNG -> PngWriter.write(frames, temp, this);
                }
            }
            checkInterrupt(target);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException("could not move " + temp + " to " + target, e);
        } finally {
            if (!done) {
                deleteQuietly(temp);
            }
        }
    }

    /**
     * The frames {@link #write} would encode for {@code video} as {@code format}, at
     * the video's frame rate: the video resized to this writer's output size with its
     * scaling (the video itself when the size is the same). Whatever must be in the
     * encoded pixels, a watermark say, is added here; a writer of that exact size
     * ({@code toBuilder().size(w, h)}) then encodes them without resizing again.
     */
    public Video resized(Video video, VideoFormat format) {
        if (video == null) {
            throw new IllegalArgumentException("video is null");
        }
        if (format == null) {
            throw new IllegalArgumentException("format is null");
        }
        Plan p = plan(video, format);
        return video.resize(p.width, p.height, scaling);
    }

    /**
     * Copies a file that Reel wrote (or any file of the same container) to
     * {@code target} with its coded frames unchanged — no decoding, no re-encoding,
     * so the decoded pictures are bit for bit the source's — and {@code metadata} in
     * place of the source's container tags. MP4 and WebM copy the packets of the
     * video stream (the only stream Reel writes) into a new container, MP4 again with
     * the index at the front; a PNG folder gets new text chunks in every frame, the
     * frame rate kept; a GIF, which holds no metadata, is copied as it is. The format
     * is the source's, whatever the target is called; the target appears atomically,
     * as with {@link #write}. An empty map strips the metadata.
     */
    public static void copyWithMetadata(Path source, Path target, Map<String, String> metadata) {
        if (source == null || target == null) {
            throw new IllegalArgumentException((source == null ? "source" : "target") + " is null");
        }
        if (metadata == null) {
            throw new IllegalArgumentException("metadata is null");
        }
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("cannot read " + source + ": no such file or folder");
        }
        VideoFormat f = formatOf(source);
        Builder check = new Builder();
        check.metadata(metadata);
        VideoWriter checked = check.build();
        checked.checkMetadata(f);
        Path to = target.toAbsolutePath();
        Path temp = createTemporary(to, f);
        boolean done = false;
        try {
            switch (f) {
                case MP4, WEBM -> remux(f, source, temp, checked.metadata);
                case GIF -> Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
                case PNG -> PngWriter.retext(source, temp, checked.metadata);
            }
            Files.move(temp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy " + source + " to " + to, e);
        } finally {
            if (!done) {
                deleteQuietly(temp);
            }
        }
    }

    /** The format of a file or folder, from its container (not its name). */
    private static VideoFormat formatOf(Path source) {
        if (Files.isDirectory(source)) {
            return VideoFormat.PNG;
        }
        try (FileDecoder in = new FileDecoder(source, false)) {
            String container = in.input().iformat().name().getString();
            if (container.contains("mp4")) {
                return VideoFormat.MP4;
            }
            if (container.contains("webm")) {
                return VideoFormat.WEBM;
            }
            if (container.equals("gif")) {
                return VideoFormat.GIF;
            }
            throw new IllegalArgumentException("cannot copy " + source + ": it is a " + container
                    + " file; Reel copies MP4, WebM, GIF and folders of PNG frames");
        }
    }

    private static void remux(VideoFormat f, Path source, Path temp, Map<String, String> metadata) {
        try (FileDecoder in = new FileDecoder(source, true); Muxer out = new Muxer(f.muxer, temp)) {
            out.startCopy(in.stream(), metadata, f == VideoFormat.MP4
                    ? Map.of("movflags", "+faststart+use_metadata_tags") : Map.of());
            AVPacket p = Av.notNull(av_packet_alloc(), "av_packet_alloc", null);
            try {
                while (in.nextPacket(p)) {
                    p.pos(-1);
                    out.write(p);
                }
            } finally {
                av_packet_free(p);
            }
            out.finish();
        }
    }

    /** Size and rate of what {@link #write} encodes. */
    record Plan(int width, int height, FrameRate rate) {}

    Plan plan(Video video, VideoFormat f) {
        boolean even = f == VideoFormat.MP4;
        int w = width, h = height;
        if (even && w % 2 != 0) {
            throw new IllegalArgumentException("width is " + w + ": H.264 in yuv420p needs an even width for "
                    + "MP4; choose an even size, or leave the size unset and Reel rounds it up");
        }
        if (even && h % 2 != 0) {
            throw new IllegalArgumentException("height is " + h + ": H.264 in yuv420p needs an even height for "
                    + "MP4; choose an even size, or leave the size unset and Reel rounds it up");
        }
        if (w == 0 && h == 0) {
            int k = Math.max(1, -Math.floorDiv(-DEFAULT_SHORT_SIDE, Math.min(video.width(), video.height())));
            w = roundUp(video.width() * k, even);
            h = roundUp(video.height() * k, even);
        } else if (w == 0) {
            w = roundUp(Math.max(1, (int) Math.round((double) h * video.width() / video.height())), even);
        } else if (h == 0) {
            h = roundUp(Math.max(1, (int) Math.round((double) w * video.height() / video.width())), even);
        }
        FrameRate rate = frameRate != null ? frameRate : video.frameRate();
        if (f == VideoFormat.GIF && rate.fps() > 50) {
            throw new IllegalArgumentException("frame rate is " + rate + " fps: a GIF shows at most 50 frames "
                    + "per second (delays are whole hundredths, at least 2); set a lower frameRate for GIF");
        }
        return new Plan(w, h, rate);
    }

    private static int roundUp(int n, boolean even) {
        return even && n % 2 != 0 ? n + 1 : n;
    }

    private void checkMetadata(VideoFormat f) {
        if (f != VideoFormat.PNG) {
            return;
        }
        for (String key : metadata.keySet()) {
            if (key.equals(PNG_FRAME_RATE_KEY)) {
                throw new IllegalArgumentException("metadata key '" + key + "' is reserved in PNG frames for the "
                        + "frame rate");
            }
            PngText.checkKeyword(key);
        }
    }

    long bitrateFor(int w, int h, FrameRate rate) {
        if (bitrate > 0) {
            return bitrate;
        }
        return Math.max(MIN_DEFAULT_BITRATE, Math.round(DEFAULT_BITS_PER_PIXEL * w * h * rate.fps()));
    }

    /** Called after frame {@code i} went to the encoder; a test hook for failures mid-stream. */
    void afterFrame(int i) {
        afterFrame.accept(i);
    }

    /** Stops the write when the thread was interrupted; the interrupt flag stays set. */
    static void checkInterrupt(Path file) {
        if (Thread.currentThread().isInterrupted()) {
            throw new VideoException("writing " + file + " was interrupted");
        }
    }

    private static Path createTemporary(Path target, VideoFormat f) {
        Path parent = target.getParent();
        if (parent == null || target.getFileName() == null) {
            throw new IllegalArgumentException("path " + target + " names no file");
        }
        if (!Files.exists(parent)) {
            throw new IllegalArgumentException("cannot write " + target + ": directory " + parent + " does not exist");
        }
        if (!Files.isDirectory(parent)) {
            throw new IllegalArgumentException("cannot write " + target + ": " + parent + " is not a directory");
        }
        if (f != VideoFormat.PNG && Files.isDirectory(target)) {
            throw new IllegalArgumentException("cannot write " + target + ": it is a directory");
        }
        if (f == VideoFormat.PNG && Files.exists(target) && !isEmptyDirectory(target)) {
            throw new IllegalArgumentException("cannot write PNG frames to " + target
                    + ": it exists and is not an empty folder");
        }
        String name = target.getFileName().toString();
        if (name.length() > 120) {
            name = name.substring(0, 120);
        }
        Path temp = parent.resolve("." + name + "." + Long.toHexString(RANDOM.nextLong()) + ".part");
        try {
            if (f == VideoFormat.PNG) {
                Files.createDirectory(temp);
            } else {
                Files.createFile(temp);
            }
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("cannot write " + target + ": permission denied in " + parent);
        } catch (FileSystemException e) {
            throw new IllegalArgumentException("cannot write " + target + ": cannot create a file in " + parent + " ("
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()) + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + temp, e);
        }
        return temp;
    }

    private static boolean isEmptyDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path temp) {
        try (Stream<Path> s = Files.walk(temp)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // Nothing more can be done; the write's own exception is the one to report.
        }
    }

    @Override
    public String toString() {
        return "VideoWriter[format=" + (format == null ? "from extension" : format)
                + ", size=" + (width == 0 && height == 0 ? "default" : (width == 0 ? "auto" : width) + "×"
                        + (height == 0 ? "auto" : height))
                + ", scaling=" + scaling + ", frameRate=" + (frameRate == null ? "the video's" : frameRate)
                + ", interpolate=" + interpolate + ", bitrate=" + (bitrate == 0 ? "default" : bitrate)
                + ", h264Encoder=" + (h264Encoder == null ? "auto" : h264Encoder) + ", metadata=" + metadata + "]";
    }

    /** Options for a {@link VideoWriter}; every one has a default. */
    public static final class Builder {
        private VideoFormat format;
        private int width, height;
        private Scaling scaling = Scaling.NEAREST;
        private FrameRate frameRate;
        private boolean interpolate;
        private long bitrate;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private String h264Encoder;
        private IntConsumer afterFrame = NO_HOOK;

        private Builder() {}

        /** The format, whatever the path's extension (default: from the extension). */
        public Builder format(VideoFormat format) {
            this.format = format;
            return this;
        }

        /** Output width and height in pixels (default: see the class comment). */
        public Builder size(int width, int height) {
            return width(width).height(height);
        }

        /** Output width; 0 restores the default. With no height, the height keeps the aspect ratio. */
        public Builder width(int width) {
            if (width < 0 || width > 16384) {
                throw new IllegalArgumentException("width is " + width + ": expected 1 to 16384, or 0 for the default");
            }
            this.width = width;
            return this;
        }

        /** Output height; 0 restores the default. With no width, the width keeps the aspect ratio. */
        public Builder height(int height) {
            if (height < 0 || height > 16384) {
                throw new IllegalArgumentException("height is " + height
                        + ": expected 1 to 16384, or 0 for the default");
            }
            this.height = height;
            return this;
        }

        /** The resizing filter (default {@link Scaling#NEAREST}). */
        public Builder scaling(Scaling scaling) {
            if (scaling == null) {
                throw new IllegalArgumentException("scaling is null");
            }
            this.scaling = scaling;
            return this;
        }

        /** The output frame rate; null restores the default, the video's rate. */
        public Builder frameRate(FrameRate frameRate) {
            this.frameRate = frameRate;
            return this;
        }

        /** Makes in-between frames by motion interpolation when the rate changes (default false: repeat frames). */
        public Builder interpolate(boolean interpolate) {
            this.interpolate = interpolate;
            return this;
        }

        /**
         * The H.264 / VP9 target bitrate in bits per second; 0 restores the default,
         * {@value VideoWriter#DEFAULT_BITS_PER_PIXEL} bits per output pixel per frame
         * and at least {@value VideoWriter#MIN_DEFAULT_BITRATE}. GIF and PNG ignore it.
         */
        public Builder bitrate(long bitsPerSecond) {
            if (bitsPerSecond < 0) {
                throw new IllegalArgumentException("bitrate is " + bitsPerSecond + ": expected bits per second ≥ 0");
            }
            this.bitrate = bitsPerSecond;
            return this;
        }

        /** Adds container metadata entries (keys non-empty, no NUL characters). */
        public Builder metadata(Map<String, String> entries) {
            if (entries == null) {
                throw new IllegalArgumentException("metadata is null");
            }
            entries.forEach(this::metadata);
            return this;
        }

        /** Adds one container metadata entry. */
        public Builder metadata(String key, String value) {
            if (key == null || key.isEmpty() || key.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("metadata key '" + key + "': expected a non-empty string "
                        + "without NUL characters");
            }
            if (value == null || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("metadata value of '" + key + "' is " + (value == null
                        ? "null" : "a string with a NUL character") + ": expected a string without NUL characters");
            }
            metadata.put(key, value);
            return this;
        }

        /**
         * The H.264 encoder for MP4 by its FFmpeg name, e.g. {@code "libopenh264"} (the
         * same bits on every machine) or {@code "h264_nvenc"} (fails where it cannot
         * open). Null, the default, uses {@code h264_nvenc} where it opens and
         * {@code libopenh264} elsewhere.
         */
        public Builder h264Encoder(String name) {
            this.h264Encoder = name;
            return this;
        }

        /** For tests: called with each frame's index after it went to the encoder. */
        Builder afterFrame(IntConsumer hook) {
            this.afterFrame = hook == null ? NO_HOOK : hook;
            return this;
        }

        public VideoWriter build() {
            return new VideoWriter(this);
        }
    }
}
