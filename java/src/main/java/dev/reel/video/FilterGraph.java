package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avfilter.AV_BUFFERSRC_FLAG_KEEP_REF;
import static org.bytedeco.ffmpeg.global.avfilter.av_buffersink_get_frame;
import static org.bytedeco.ffmpeg.global.avfilter.av_buffersink_get_frame_rate;
import static org.bytedeco.ffmpeg.global.avfilter.av_buffersrc_add_frame_flags;
import static org.bytedeco.ffmpeg.global.avfilter.avfilter_graph_alloc;
import static org.bytedeco.ffmpeg.global.avfilter.avfilter_graph_config;
import static org.bytedeco.ffmpeg.global.avfilter.avfilter_graph_free;
import static org.bytedeco.ffmpeg.global.avfilter.avfilter_graph_parse_ptr;
import static org.bytedeco.ffmpeg.global.avfilter.avfilter_inout_free;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.av_get_pix_fmt_name;

import org.bytedeco.ffmpeg.avfilter.AVFilterContext;
import org.bytedeco.ffmpeg.avfilter.AVFilterGraph;
import org.bytedeco.ffmpeg.avfilter.AVFilterInOut;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;

/**
 * A libavfilter graph with one video input and one output: frames are pushed into a
 * {@code buffer} source and pulled from a {@code buffersink}. The graph is written
 * as text, the way the ffmpeg tool's {@code -vf} takes it. A {@linkplain #source
 * source graph} has no input: its first filter makes the frames ({@code testsrc2},
 * {@code mandelbrot}, {@code life}, …, the ffmpeg tool's {@code -f lavfi} inputs).
 */
final class FilterGraph implements AutoCloseable {
    /** What {@link #pull} found. */
    enum Pull { FRAME, NEED_INPUT, END }

    private AVFilterGraph graph;
    private final AVFilterContext source;
    private final AVFilterContext sink;
    private final String description;

    /**
     * @param filters the chain between source and sink, e.g. {@code "split[a][b];[a]palettegen[p];[b][p]paletteuse"}
     */
    FilterGraph(int width, int height, int pixelFormat, FrameRate frameRate, String timeBase, String filters) {
        this("buffer=video_size=" + width + "x" + height
                + ":pix_fmt=" + av_get_pix_fmt_name(pixelFormat).getString()
                + ":time_base=" + timeBase + ":frame_rate=" + frameRate.numerator() + "/" + frameRate.denominator()
                + ":pixel_aspect=1/1," + filters + ",buffersink", true);
    }

    /** A graph whose first filter is a source, e.g. {@code "testsrc2=size=256x256:rate=8"}: frames are only pulled. */
    static FilterGraph source(String filters) {
        return new FilterGraph(filters + ",buffersink", false);
    }

    private FilterGraph(String description, boolean hasInput) {
        this.description = description;
        graph = Av.notNull(avfilter_graph_alloc(), "avfilter_graph_alloc", null);
        try {
            graph.nb_threads(1);
            AVFilterInOut inputs = new AVFilterInOut(null);
            AVFilterInOut outputs = new AVFilterInOut(null);
            try (BytePointer text = Av.utf8(description)) {
                Av.check(avfilter_graph_parse_ptr(graph, text, inputs, outputs, null),
                        "avfilter_graph_parse_ptr", "'" + description + "'");
            } finally {
                avfilter_inout_free(inputs);
                avfilter_inout_free(outputs);
            }
            Av.check(avfilter_graph_config(graph, null), "avfilter_graph_config", "'" + description + "'");
            AVFilterContext src = null, snk = null;
            for (int i = 0; i < graph.nb_filters(); i++) {
                AVFilterContext f = graph.filters(i);
                String name = f.filter().name().getString();
                if (name.equals("buffer")) {
                    src = f;
                } else if (name.equals("buffersink")) {
                    snk = f;
                }
            }
            source = hasInput ? Av.notNull(src, "avfilter_graph_parse_ptr", "the buffer source of '" + description + "'")
                    : null;
            sink = Av.notNull(snk, "avfilter_graph_parse_ptr", "the buffer sink of '" + description + "'");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The rate the sink's frames come at, as the graph negotiated it (0/1 when unknown). */
    FrameRate sinkRate() {
        org.bytedeco.ffmpeg.avutil.AVRational r = av_buffersink_get_frame_rate(sink);
        return r.num() > 0 && r.den() > 0 ? new FrameRate(r.num(), r.den()) : null;
    }

    /** Pushes a frame; the graph takes a new reference, the caller keeps its frame. */
    void push(AVFrame frame) {
        Av.check(av_buffersrc_add_frame_flags(source, frame, AV_BUFFERSRC_FLAG_KEEP_REF),
                "av_buffersrc_add_frame_flags", "'" + description + "'");
    }

    /** Signals end of stream (palettegen emits its palette only then). */
    void end() {
        Av.check(av_buffersrc_add_frame_flags(source, null, 0), "av_buffersrc_add_frame_flags",
                "end of stream into '" + description + "'");
    }

    /** Pulls the next output frame into {@code frame} (unreferenced first by the caller). */
    Pull pull(AVFrame frame) {
        int ret = av_buffersink_get_frame(sink, frame);
        if (ret == Av.EAGAIN) {
            return Pull.NEED_INPUT;
        }
        if (ret == AVERROR_EOF) {
            return Pull.END;
        }
        Av.check(ret, "av_buffersink_get_frame", "'" + description + "'");
        return Pull.FRAME;
    }

    @Override
    public void close() {
        if (graph != null) {
            avfilter_graph_free(graph);
            graph = null;
        }
    }
}
