package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_PAL8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;

import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * Animated GIF. libswscale cannot make palette images, so frames go through
 * libavfilter: {@code palettegen} sees the whole clip and emits one palette only
 * after end of stream, then {@code paletteuse} maps every frame to it. GIF delays
 * are whole hundredths of a second, so the time base is 1/100 and frame {@code i}
 * starts at {@code round(100·i / fps)}.
 */
final class GifWriter {
    static final String FILTERS = "split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse";

    private GifWriter() {}

    static void write(Frames frames, Path file, VideoWriter options) {
        int w = frames.width(), h = frames.height(), n = frames.count();
        FrameRate rate = frames.rate();
        long[] start = new long[n + 1];
        for (int i = 0; i <= n; i++) {
            // round(100·i·den/num), halves up, in integers
            long num = 200L * i * rate.denominator() + rate.numerator();
            start[i] = num / (2L * rate.numerator());
        }
        AVFrame rgb = null, pal = null;
        try (Muxer muxer = new Muxer("gif", file);
                Encoder encoder = new Encoder("gif", false, ctx -> ctx.width(w).height(h).pix_fmt(AV_PIX_FMT_PAL8)
                        .time_base(Av.rational(1, 100)).framerate(Av.rational(rate.numerator(), rate.denominator())),
                        Map.of());
                FilterGraph palette = new FilterGraph(w, h, AV_PIX_FMT_RGB24, rate, "1/100", FILTERS)) {
            rgb = Av.frame(AV_PIX_FMT_RGB24, w, h);
            pal = Av.notNull(av_frame_alloc(), "av_frame_alloc", null);
            muxer.start(encoder, Map.of(), Map.of());
            int encoded = 0;
            for (int i = 0; i < n; i++) {
                VideoWriter.checkInterrupt(file);
                Av.check(av_frame_make_writable(rgb), "av_frame_make_writable", "rgb24 frame");
                Av.putRows(rgb, frames.next(), 0, w * 3, h);
                rgb.pts(start[i]).duration(start[i + 1] - start[i]);
                palette.push(rgb);
                encoded = drain(palette, pal, encoder, muxer, start, encoded);
                options.afterFrame(i);
            }
            palette.end();
            encoded = drain(palette, pal, encoder, muxer, start, encoded);
            if (encoded != n) {
                throw new VideoException("the GIF palette filter gave " + encoded + " frames for " + n + " in");
            }
            encoder.encode(null, muxer::write);
            VideoWriter.checkInterrupt(file);
            muxer.finish();
        } finally {
            if (rgb != null) {
                av_frame_free(rgb);
            }
            if (pal != null) {
                av_frame_free(pal);
            }
        }
    }

    /** Encodes every frame the palette filter has ready; returns how many have been encoded in all. */
    private static int drain(FilterGraph palette, AVFrame pal, Encoder encoder, Muxer muxer, long[] start, int done) {
        while (true) {
            av_frame_unref(pal);
            if (palette.pull(pal) != FilterGraph.Pull.FRAME) {
                return done;
            }
            if (done >= start.length - 1) {
                throw new VideoException("the GIF palette filter gave more frames than went in");
            }
            // The delay of frame i is the gap to the next one; set it from the plan, not the filter.
            pal.pts(start[done]).duration(start[done + 1] - start[done]);
            encoder.encode(pal, muxer::write);
            av_frame_unref(pal);
            done++;
        }
    }
}
