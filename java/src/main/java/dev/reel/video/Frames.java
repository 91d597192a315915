package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;

import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * The frames a writer encodes: the video's frames resized to the output size and
 * resampled in time to the output rate, produced one at a time so that a long
 * upscaled clip is never held in memory twice.
 *
 * <p>The output has {@code round(T · outRate / inRate)} frames (at least one), so the
 * clip lasts as long as the source. Output frame {@code i} shows source frame
 * {@code floor(i · inRate / outRate)}: a higher rate repeats frames, a lower one drops
 * them. With interpolation, FFmpeg's {@code minterpolate} (motion-compensated)
 * makes the in-between frames instead; it stops at the last source frame, which is
 * then repeated to fill the clip's length.
 */
final class Frames implements AutoCloseable {
    private final Video video;
    private final int width, height;
    private final FrameRate rate;
    private final int count;
    private final Resizer resizer;
    private final FilterGraph interpolation;
    private AVFrame in, out;
    private int produced, lastSource = -1, pushed;
    private byte[] last;
    private boolean sourceEnded, interpolationEnded;

    Frames(Video video, int width, int height, Scaling scaling, FrameRate rate, boolean interpolate) {
        this.video = video;
        this.width = width;
        this.height = height;
        this.rate = rate;
        FrameRate src = video.frameRate();
        long num = Math.multiplyExact((long) video.frames() * rate.numerator(), src.denominator());
        long den = (long) rate.denominator() * src.numerator();
        this.count = (int) Math.max(1, (2 * num + den) / (2 * den));
        this.resizer = new Resizer(video.width(), video.height(), width, height, scaling);
        FilterGraph graph = null;
        if (interpolate && !rate.equals(src)) {
            try {
                // minterpolate takes planar YUV only, hence the yuv444p round trip.
                graph = new FilterGraph(width, height, AV_PIX_FMT_RGB24, src,
                        src.denominator() + "/" + src.numerator(),
                        "format=yuv444p,minterpolate=fps=" + rate.numerator() + "/" + rate.denominator()
                                + ",format=rgb24");
                in = Av.frame(AV_PIX_FMT_RGB24, width, height);
                out = Av.notNull(av_frame_alloc(), "av_frame_alloc", null);
            } catch (RuntimeException e) {
                if (graph != null) {
                    graph.close();
                }
                close();
                throw e;
            }
        }
        this.interpolation = graph;
    }

    int count() {
        return count;
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    FrameRate rate() {
        return rate;
    }

    /** The next frame, {@code height·width·3} RGB bytes; callers only read it. */
    byte[] next() {
        if (produced >= count) {
            throw new IllegalStateException("all " + count + " frames were produced");
        }
        produced++;
        return interpolation == null ? repeated(produced - 1) : interpolated();
    }

    private byte[] repeated(int i) {
        FrameRate src = video.frameRate();
        long j = (long) i * src.numerator() * rate.denominator() / ((long) src.denominator() * rate.numerator());
        int source = (int) Math.min(video.frames() - 1, j);
        if (source != lastSource) {
            last = resizer.resize(video.rgbArray(), source * video.height() * video.width() * 3);
            lastSource = source;
        }
        return last;
    }

    private byte[] interpolated() {
        while (!interpolationEnded) {
            av_frame_unref(out);
            FilterGraph.Pull got = interpolation.pull(out);
            if (got == FilterGraph.Pull.FRAME) {
                byte[] frame = new byte[width * height * 3];
                Av.getRows(out, frame, 0, width * 3, height);
                av_frame_unref(out);
                last = frame;
                return frame;
            }
            if (got == FilterGraph.Pull.END) {
                interpolationEnded = true;
            } else if (pushed < video.frames()) {
                Av.check(av_frame_make_writable(in), "av_frame_make_writable", null);
                Av.putRows(in, resizer.resize(video.rgbArray(), pushed * video.height() * video.width() * 3),
                        0, width * 3, height);
                in.pts(pushed);
                interpolation.push(in);
                pushed++;
            } else if (!sourceEnded) {
                interpolation.end();
                sourceEnded = true;
            } else {
                interpolationEnded = true;
            }
        }
        if (last == null) {
            last = resizer.resize(video.rgbArray(), (video.frames() - 1) * video.height() * video.width() * 3);
        }
        return last;
    }

    @Override
    public void close() {
        resizer.close();
        if (interpolation != null) {
            interpolation.close();
        }
        if (in != null) {
            av_frame_free(in);
            in = null;
        }
        if (out != null) {
            av_frame_free(out);
            out = null;
        }
    }
}
