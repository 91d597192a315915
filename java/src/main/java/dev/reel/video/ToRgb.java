package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_JPEG;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_PAL;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_RGB;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_get_pix_fmt_name;
import static org.bytedeco.ffmpeg.global.avutil.av_pix_fmt_desc_get;
import static org.bytedeco.ffmpeg.global.swscale.SWS_ACCURATE_RND;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_DEFAULT;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INT;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVPixFmtDescriptor;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.ffmpeg.swscale.SwsFilter;
import org.bytedeco.javacpp.DoublePointer;

/**
 * Converts decoded frames of any pixel format to RGB 8-bit bytes with libswscale,
 * using the YUV matrix and range that each frame is tagged with (untagged YUV is
 * BT.601, FFmpeg's convention). All frames must have the first frame's size.
 */
final class ToRgb implements AutoCloseable {
    private SwsContext sws;
    private AVFrame rgb;
    private int width, height, format = -1, colorspace = -1, range = -1;

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    /** Frame {@code f} as {@code height·width·3} RGB bytes written into {@code out[offset…]}. */
    void convert(AVFrame f, byte[] out, int offset, Object file) {
        if (format < 0) {
            width = f.width();
            height = f.height();
            rgb = Av.frame(AV_PIX_FMT_RGB24, width, height);
        } else if (f.width() != width || f.height() != height) {
            throw new VideoException(file + ": a frame is " + f.width() + "×" + f.height() + " where the first is "
                    + width + "×" + height + "; Reel reads videos of one size");
        }
        if (f.format() != format || f.colorspace() != colorspace || f.color_range() != range) {
            setUp(f, file);
        }
        Av.check(sws_scale(sws, f.data(), f.linesize(), 0, height, rgb.data(), rgb.linesize()), "sws_scale",
                file);
        Av.getRows(rgb, out, offset, width * 3, height);
    }

    private void setUp(AVFrame f, Object file) {
        if (sws != null) {
            sws_freeContext(sws);
            sws = null;
        }
        format = f.format();
        colorspace = f.colorspace();
        range = f.color_range();
        String name = av_get_pix_fmt_name(format) == null ? "pixel format " + format
                : av_get_pix_fmt_name(format).getString();
        sws = Av.notNull(sws_getContext(width, height, format, width, height, AV_PIX_FMT_RGB24,
                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, (SwsFilter) null, (SwsFilter) null,
                (DoublePointer) null), "sws_getContext", name + " to rgb24 for " + file);
        AVPixFmtDescriptor d = av_pix_fmt_desc_get(format);
        boolean yuv = d != null && !d.isNull() && d.nb_components() >= 3
                && (d.flags() & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) == 0;
        if (yuv) {
            // AVColorSpace values are the SWS_CS_* indices sws_getCoefficients takes.
            Av.check(sws_setColorspaceDetails(sws, sws_getCoefficients(colorspace), range == AVCOL_RANGE_JPEG ? 1 : 0,
                    sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16), "sws_setColorspaceDetails",
                    name + " of " + file);
        }
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
    }
}
