package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AVERROR_UNKNOWN;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_INFO;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_iterate;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_log_get_level;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.BytePointer;

/**
 * Small helpers around the FFmpeg presets: error checks, dictionaries, frames.
 *
 * <p>JavaCPP binds a C {@code T **} parameter as {@code T} and passes the address of
 * the Java object's pointer; a Java {@code null} there is a NULL {@code T **}, which
 * several FFmpeg functions dereference and crash the JVM with. So every such argument
 * here is a real object, possibly wrapping NULL ({@code new AVDictionary(null)}).
 */
final class Av {
    /** {@code AVERROR(EAGAIN)} on Linux; the presets have no constant for it. */
    static final int EAGAIN = -11;

    static {
        // FFmpeg logs at INFO unless told otherwise: encoder banners, openh264's
        // warnings, the MP4 muxer's second pass, all on stderr. A library stays quiet
        // about what works; an application that chose a level keeps it.
        if (av_log_get_level() == AV_LOG_INFO) {
            av_log_set_level(AV_LOG_ERROR);
        }
    }

    private Av() {}

    /** av_strerror's text for an FFmpeg error code. */
    static String errorText(int code) {
        byte[] buf = new byte[256];
        if (av_strerror(code, buf, buf.length) < 0) {
            return "error " + code;
        }
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    /** Returns {@code ret} when it is not negative, else throws naming the call and what it was doing. */
    static int check(int ret, String call, Object subject) {
        if (ret < 0) {
            throw failure(ret, call, subject);
        }
        return ret;
    }

    static VideoException failure(int ret, String call, Object subject) {
        return new VideoException(call + " failed" + (subject == null ? "" : " for " + subject) + ": "
                + errorText(ret) + " (" + ret + ")", call, ret);
    }

    /** Throws when a call that returns a pointer returned NULL (always an allocation, for these calls). */
    static <T extends org.bytedeco.javacpp.Pointer> T notNull(T p, String call, Object subject) {
        if (p == null || p.isNull()) {
            throw new VideoException(call + " returned NULL" + (subject == null ? "" : " for " + subject),
                    call, AVERROR_UNKNOWN);
        }
        return p;
    }

    /** A native UTF-8 string for a file path, in FFmpeg's {@code file:} protocol so no colon is read as a protocol. */
    static BytePointer url(Path path) {
        return new BytePointer("file:" + path.toAbsolutePath(), StandardCharsets.UTF_8);
    }

    static BytePointer utf8(String s) {
        return new BytePointer(s, StandardCharsets.UTF_8);
    }

    /** A new dictionary holding {@code entries} (UTF-8); the caller owns it. */
    static AVDictionary dictionary(Map<String, String> entries) {
        AVDictionary dict = new AVDictionary(null);
        try {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                try (BytePointer k = utf8(e.getKey()); BytePointer v = utf8(e.getValue())) {
                    check(av_dict_set(dict, k, v, 0), "av_dict_set", "key " + e.getKey());
                }
            }
            return dict;
        } catch (RuntimeException e) {
            av_dict_free(dict);
            throw e;
        }
    }

    /** The entries of a dictionary, in its order; an empty map for NULL. */
    static Map<String, String> entries(AVDictionary dict) {
        Map<String, String> out = new LinkedHashMap<>();
        if (dict == null || dict.isNull()) {
            return out;
        }
        AVDictionaryEntry e = null;
        while ((e = av_dict_iterate(dict, e)) != null && !e.isNull()) {
            out.put(e.key().getString(StandardCharsets.UTF_8), e.value().getString(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** A frame with its own buffers, or an exception; the caller frees it. */
    static AVFrame frame(int pixelFormat, int width, int height) {
        AVFrame f = notNull(av_frame_alloc(), "av_frame_alloc", null);
        f.format(pixelFormat).width(width).height(height);
        int ret = av_frame_get_buffer(f, 0);
        if (ret < 0) {
            av_frame_free(f);
            throw failure(ret, "av_frame_get_buffer", width + "×" + height);
        }
        return f;
    }

    /** Copies {@code height} rows of {@code rowBytes} from {@code src[offset…]} into plane 0 of {@code f}. */
    static void putRows(AVFrame f, byte[] src, int offset, int rowBytes, int height) {
        int stride = f.linesize(0);
        BytePointer p = f.data(0);
        for (int y = 0; y < height; y++) {
            p.position((long) y * stride).put(src, offset + y * rowBytes, rowBytes);
        }
    }

    /** Copies plane 0 of {@code f} into {@code dst[offset…]}, {@code rowBytes} per row. */
    static void getRows(AVFrame f, byte[] dst, int offset, int rowBytes, int height) {
        int stride = f.linesize(0);
        BytePointer p = f.data(0);
        for (int y = 0; y < height; y++) {
            p.position((long) y * stride).get(dst, offset + y * rowBytes, rowBytes);
        }
    }

    static AVRational rational(int num, int den) {
        return new AVRational().num(num).den(den);
    }
}
