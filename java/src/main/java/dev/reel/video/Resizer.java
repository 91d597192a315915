package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.swscale.SWS_ACCURATE_RND;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INT;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.ffmpeg.swscale.SwsFilter;
import org.bytedeco.javacpp.DoublePointer;

/**
 * Resizes RGB 8-bit frames of one size to another. {@link Scaling#NEAREST} is done
 * here in Java, exactly: output pixel {@code x} copies source pixel
 * {@code floor((x + ½)·srcWidth / dstWidth)} (likewise for rows), so an integer
 * upscale by k turns each pixel into a k×k block. The other filters run in
 * libswscale, RGB to RGB.
 */
final class Resizer implements AutoCloseable {
    private final int srcWidth, srcHeight, dstWidth, dstHeight;
    private final int[] columns, rows;
    private SwsContext sws;
    private AVFrame src, dst;

    Resizer(int srcWidth, int srcHeight, int dstWidth, int dstHeight, Scaling scaling) {
        this.srcWidth = srcWidth;
        this.srcHeight = srcHeight;
        this.dstWidth = dstWidth;
        this.dstHeight = dstHeight;
        if (scaling == Scaling.NEAREST || (srcWidth == dstWidth && srcHeight == dstHeight)) {
            columns = nearest(srcWidth, dstWidth);
            rows = nearest(srcHeight, dstHeight);
            return;
        }
        columns = rows = null;
        try {
            sws = Av.notNull(sws_getContext(srcWidth, srcHeight, AV_PIX_FMT_RGB24, dstWidth, dstHeight,
                    AV_PIX_FMT_RGB24, scaling.swsFlag | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                    (SwsFilter) null, (SwsFilter) null, (DoublePointer) null), "sws_getContext",
                    srcWidth + "×" + srcHeight + " to " + dstWidth + "×" + dstHeight);
            src = Av.frame(AV_PIX_FMT_RGB24, srcWidth, srcHeight);
            dst = Av.frame(AV_PIX_FMT_RGB24, dstWidth, dstHeight);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The frame that starts at {@code rgb[offset]}, resized; a new array. */
    byte[] resize(byte[] rgb, int offset) {
        byte[] out = new byte[dstWidth * dstHeight * 3];
        if (sws == null) {
            for (int y = 0; y < dstHeight; y++) {
                int srcRow = offset + rows[y] * srcWidth * 3;
                int o = y * dstWidth * 3;
                for (int x = 0; x < dstWidth; x++, o += 3) {
                    int s = srcRow + columns[x] * 3;
                    out[o] = rgb[s];
                    out[o + 1] = rgb[s + 1];
                    out[o + 2] = rgb[s + 2];
                }
            }
            return out;
        }
        Av.putRows(src, rgb, offset, srcWidth * 3, srcHeight);
        Av.check(sws_scale(sws, src.data(), src.linesize(), 0, srcHeight, dst.data(), dst.linesize()),
                "sws_scale", "resizing " + srcWidth + "×" + srcHeight + " to " + dstWidth + "×" + dstHeight);
        Av.getRows(dst, out, 0, dstWidth * 3, dstHeight);
        return out;
    }

    private static int[] nearest(int from, int to) {
        int[] map = new int[to];
        for (int i = 0; i < to; i++) {
            map[i] = (int) Math.min(from - 1, ((2L * i + 1) * from) / (2L * to));
        }
        return map;
    }

    @Override
    public void close() {
        if (sws != null) {
            sws_freeContext(sws);
            sws = null;
        }
        if (src != null) {
            av_frame_free(src);
            src = null;
        }
        if (dst != null) {
            av_frame_free(dst);
            dst = null;
        }
    }
}
