package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_MPEG;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_SPC_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.swscale.SWS_ACCURATE_RND;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_ITU709;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INP;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.ffmpeg.swscale.SwsFilter;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Converts RGB frames to yuv420p with BT.709 coefficients in limited (TV) range,
 * which is what the encoders are told and what players assume for HD video. Chroma
 * is filtered from every input pixel, not sampled, so thin coloured lines keep
 * their colour.
 */
final class RgbToYuv implements AutoCloseable {
    private final int width, height;
    private SwsContext sws;
    private AVFrame rgb, yuv;

    RgbToYuv(int width, int height) {
        this.width = width;
        this.height = height;
        try {
            sws = Av.notNull(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
                    SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, (SwsFilter) null, (SwsFilter) null,
                    (DoublePointer) null), "sws_getContext", "rgb24 to yuv420p at " + width + "×" + height);
            IntPointer bt709 = sws_getCoefficients(SWS_CS_ITU709);
            Av.check(sws_setColorspaceDetails(sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16),
                    "sws_setColorspaceDetails", "BT.709 limited range");
            rgb = Av.frame(AV_PIX_FMT_RGB24, width, height);
            yuv = Av.frame(AV_PIX_FMT_YUV420P, width, height);
            yuv.colorspace(AVCOL_SPC_BT709).color_range(AVCOL_RANGE_MPEG);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The frame for these RGB bytes; it stays this object's and is overwritten by the
     * next call (made writable first, since an encoder may still hold a reference).
     */
    AVFrame convert(byte[] pixels) {
        Av.putRows(rgb, pixels, 0, width * 3, height);
        Av.check(av_frame_make_writable(yuv), "av_frame_make_writable", "yuv420p frame");
        Av.check(sws_scale(sws, rgb.data(), rgb.linesize(), 0, height, yuv.data(), yuv.linesize()),
                "sws_scale", "rgb24 to yuv420p");
        return yuv;
    }

    @Override
    public void close() {
        if (sws != null) {
            sws_freeContext(sws);
            sws = null;
        }
        if (rgb != null) {
            av_frame_free(rgb);
            rgb = null;
        }
        if (yuv != null) {
            av_frame_free(yuv);
            yuv = null;
        }
    }
}
