package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_GLOBALHEADER;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_format;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_MUXER_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_OPTION_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;

import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVOutputFormat;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.BytePointer;

/**
 * A libavformat output file with one video stream. Packets arrive in the encoder's
 * time base and are rescaled to the stream's, which the muxer may change in
 * {@code avformat_write_header} (MP4 picks its own).
 */
final class Muxer implements AutoCloseable {
    private final Path file;
    private AVFormatContext context;
    private AVStream stream;
    private AVRational encoderTimeBase;
    private boolean open;

    Muxer(String format, Path file) {
        this.file = file;
        try (BytePointer name = Av.utf8(format); BytePointer url = Av.url(file)) {
            AVFormatContext oc = new AVFormatContext(null);
            Av.check(avformat_alloc_output_context2(oc, null, name, url), "avformat_alloc_output_context2",
                    format + " file " + file);
            context = Av.notNull(oc, "avformat_alloc_output_context2", format + " file " + file);
        }
    }

    /** Whether encoders for this container must put their headers in extradata. */
    static boolean wantsGlobalHeader(String format) {
        AVOutputFormat f = av_guess_format(format, null, null);
        if (f == null || f.isNull()) {
            throw new VideoException("av_guess_format knows no muxer '" + format + "'", "av_guess_format",
                    AVERROR_MUXER_NOT_FOUND);
        }
        return (f.flags() & AVFMT_GLOBALHEADER) != 0;
    }

    /**
     * Adds the stream for an opened encoder, sets the container's metadata, opens the
     * file and writes the header with the muxer's private {@code options}, all of
     * which must be taken.
     */
    void start(Encoder encoder, Map<String, String> metadata, Map<String, String> options) {
        stream = Av.notNull(avformat_new_stream(context, null), "avformat_new_stream", file);
        Av.check(avcodec_parameters_from_context(stream.codecpar(), encoder.context()),
                "avcodec_parameters_from_context", "encoder " + encoder.name);
        AVRational tb = encoder.context().time_base();
        open(Av.rational(tb.num(), tb.den()), encoder.context().framerate(), metadata, options);
    }

    /** Adds a stream with another file's coded parameters, for copying its packets unchanged; then as {@link #start}. */
    void startCopy(AVStream from, Map<String, String> metadata, Map<String, String> options) {
        stream = Av.notNull(avformat_new_stream(context, null), "avformat_new_stream", file);
        Av.check(avcodec_parameters_copy(stream.codecpar(), from.codecpar()), "avcodec_parameters_copy", file);
        stream.codecpar().codec_tag(0);
        AVRational tb = from.time_base();
        open(Av.rational(tb.num(), tb.den()), from.avg_frame_rate(), metadata, options);
    }

    private void open(AVRational packetTimeBase, AVRational frameRate, Map<String, String> metadata,
                      Map<String, String> options) {
        encoderTimeBase = packetTimeBase;
        stream.time_base(encoderTimeBase);
        stream.avg_frame_rate(frameRate);
        if (!metadata.isEmpty()) {
            // A fresh context's metadata is NULL; av_dict_set through it would crash.
            context.metadata(Av.dictionary(metadata));
        }
        AVIOContext pb = new AVIOContext(null);
        try (BytePointer url = Av.url(file)) {
            Av.check(avio_open(pb, url, AVIO_FLAG_WRITE), "avio_open", file);
        }
        context.pb(pb);
        open = true;
        AVDictionary opts = Av.dictionary(options);
        try {
            Av.check(avformat_write_header(context, opts), "avformat_write_header", file);
            Map<String, String> ignored = Av.entries(opts);
            if (!ignored.isEmpty()) {
                throw new VideoException("muxer " + context.oformat().name().getString()
                        + " does not take options " + ignored.keySet(), "avformat_write_header",
                        AVERROR_OPTION_NOT_FOUND);
            }
        } finally {
            av_dict_free(opts);
        }
    }

    /** Writes one packet from the encoder, or from the copied stream (the muxer takes its reference). */
    void write(AVPacket packet) {
        av_packet_rescale_ts(packet, encoderTimeBase, stream.time_base());
        packet.stream_index(stream.index());
        Av.check(av_interleaved_write_frame(context, packet), "av_interleaved_write_frame", file);
    }

    /** Flushes interleaving queues and writes the index (for MP4 with +faststart, moved to the front). */
    void finish() {
        Av.check(av_write_trailer(context), "av_write_trailer", file);
    }

    @Override
    public void close() {
        if (context != null) {
            if (open) {
                AVIOContext pb = context.pb();
                int ret = avio_closep(pb);
                context.pb(null);
                open = false;
                if (ret < 0) {
                    avformat_free_context(context);
                    context = null;
                    throw Av.failure(ret, "avio_closep", file);
                }
            }
            avformat_free_context(context);
            context = null;
        }
    }
}
