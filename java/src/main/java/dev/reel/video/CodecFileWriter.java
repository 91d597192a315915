package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AVCOL_PRI_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_MPEG;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_SPC_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_TRC_BT709;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_log_get_level;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/** MP4 (H.264) and WebM (VP9): yuv420p frames through an encoder into a muxer. */
final class CodecFileWriter {
    static final String NVENC = "h264_nvenc";
    static final String OPENH264 = "libopenh264";

    /** Private options per encoder; {@link Encoder} insists that each is taken. */
    private static final Map<String, Map<String, String>> OPTIONS = Map.of(
            // Skipping frames under rate pressure would break "the file has every frame".
            OPENH264, Map.of("allow_skip_frames", "0"),
            NVENC, Map.of("preset", "p5", "tune", "hq"),
            // cpu-used 1 (the default) took 4x as long on 8 frames of 256x256 noise for 0.6% less size.
            "libvpx-vp9", Map.of("deadline", "good", "cpu-used", "4", "row-mt", "1"));

    /** Whether h264_nvenc opened in this process: null until tried. */
    private static volatile Boolean nvencOpens;

    private CodecFileWriter() {}

    static void write(VideoFormat format, Frames frames, Path file, VideoWriter options) {
        int w = frames.width(), h = frames.height();
        FrameRate rate = frames.rate();
        long bitrate = options.bitrateFor(w, h, rate);
        boolean globalHeader = Muxer.wantsGlobalHeader(format.muxer);
        Consumer<AVCodecContext> setup = ctx -> {
            ctx.width(w).height(h).pix_fmt(AV_PIX_FMT_YUV420P)
                    .time_base(Av.rational(rate.denominator(), rate.numerator()))
                    .framerate(Av.rational(rate.numerator(), rate.denominator()))
                    .bit_rate(bitrate)
                    .colorspace(AVCOL_SPC_BT709).color_primaries(AVCOL_PRI_BT709)
                    .color_trc(AVCOL_TRC_BT709).color_range(AVCOL_RANGE_MPEG);
        };
        Map<String, String> muxerOptions = format == VideoFormat.MP4
                ? Map.of("movflags", "+faststart+use_metadata_tags") : Map.of();
        try (Muxer muxer = new Muxer(format.muxer, file);
                Encoder encoder = format == VideoFormat.MP4
                        ? openH264(options.h264Encoder(), globalHeader, setup)
                        : new Encoder("libvpx-vp9", globalHeader, setup, OPTIONS.get("libvpx-vp9"));
                RgbToYuv yuv = new RgbToYuv(w, h)) {
            muxer.start(encoder, options.metadata(), muxerOptions);
            for (int i = 0; i < frames.count(); i++) {
                VideoWriter.checkInterrupt(file);
                AVFrame frame = yuv.convert(frames.next());
                frame.pts(i).duration(1);
                encoder.encode(frame, muxer::write);
                options.afterFrame(i);
            }
            encoder.encode(null, muxer::write);
            VideoWriter.checkInterrupt(file);
            muxer.finish();
        }
    }

    /**
     * The encoder asked for; else h264_nvenc where it opens and libopenh264 where not.
     * The first nvenc attempt in a process runs with FFmpeg's log silenced, so that a
     * machine with the driver but no usable GPU falls back without printing errors;
     * after a success, a later failure (say, the GPU's encoder sessions are all taken)
     * still falls back, for that file, and is logged.
     */
    private static Encoder openH264(String requested, boolean globalHeader, Consumer<AVCodecContext> setup) {
        if (requested != null) {
            AVCodec codec = avcodec_find_encoder_by_name(requested);
            if (codec == null || codec.isNull() || codec.id() != AV_CODEC_ID_H264) {
                throw new IllegalArgumentException("h264Encoder is '" + requested + "': "
                        + (codec == null || codec.isNull() ? "this FFmpeg build has no such encoder"
                                : "it does not encode H.264") + "; expected " + OPENH264 + " or " + NVENC);
            }
            return new Encoder(requested, globalHeader, setup, OPTIONS.getOrDefault(requested, Map.of()));
        }
        Boolean known = nvencOpens;
        if (known == null) {
            synchronized (CodecFileWriter.class) {
                if (nvencOpens == null) {
                    if (!libcudaPresent()) {
                        nvencOpens = false;
                    } else {
                        int level = av_log_get_level();
                        av_log_set_level(AV_LOG_QUIET);
                        try {
                            Encoder nvenc = new Encoder(NVENC, globalHeader, setup, OPTIONS.get(NVENC));
                            nvencOpens = true;
                            return nvenc;
                        } catch (VideoException e) {
                            nvencOpens = false;
                        } finally {
                            av_log_set_level(level);
                        }
                    }
                }
                known = nvencOpens;
            }
        }
        if (known) {
            try {
                return new Encoder(NVENC, globalHeader, setup, OPTIONS.get(NVENC));
            } catch (VideoException e) {
                // fall through to the software encoder for this file
            }
        }
        return new Encoder(OPENH264, globalHeader, setup, OPTIONS.get(OPENH264));
    }

    /** The encoder {@link #openH264} picks when none is asked for (tries nvenc once if needed). */
    static String automaticH264Encoder() {
        if (nvencOpens == null) {
            try (Encoder e = openH264(null, true, ctx -> ctx.width(256).height(256).pix_fmt(AV_PIX_FMT_YUV420P)
                    .time_base(Av.rational(1, 24)).framerate(Av.rational(24, 1)).bit_rate(1_000_000))) {
                return e.name;
            }
        }
        return nvencOpens ? NVENC : OPENH264;
    }

    /**
     * Whether the NVIDIA driver library is installed; without it h264_nvenc cannot open,
     * and trying only prints errors.
     */
    static boolean libcudaPresent() {
        List<String> dirs = new ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            dirs.addAll(List.of(ld.split(":")));
        }
        dirs.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
                "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/wsl/lib"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.exists(Path.of(d, "libcuda.so.1"))) {
                return true;
            }
        }
        try {
            byte[] cache = Files.readAllBytes(Path.of("/etc/ld.so.cache"));
            return indexOf(cache, "libcuda.so.1".getBytes(java.nio.charset.StandardCharsets.US_ASCII)) >= 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
