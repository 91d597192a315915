package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_DECODER_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;

import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * An input file opened with libavformat, its best video stream and, when asked for,
 * that stream's decoder: {@link #nextFrame()} gives the frames in presentation order.
 */
final class FileDecoder implements AutoCloseable {
    final Path file;
    private AVFormatContext input;
    private AVStream stream;
    private AVCodecContext decoder;
    private AVPacket packet;
    private AVFrame frame;
    private boolean demuxed;
    private long packets, duration;
    private boolean durationsKnown = true;

    /** Opens {@code file}; with {@code streamInfo}, also reads ahead to fill in the streams' parameters. */
    FileDecoder(Path file, boolean streamInfo) {
        this.file = file;
        AVFormatContext ic = new AVFormatContext(null);
        AVDictionary opts = new AVDictionary(null);
        try (BytePointer url = Av.url(file)) {
            Av.check(avformat_open_input(ic, url, (AVInputFormat) null, opts), "avformat_open_input", file);
            input = ic;
        } finally {
            av_dict_free(opts);
        }
        try {
            if (streamInfo) {
                Av.check(avformat_find_stream_info(input, (PointerPointer<?>) null), "avformat_find_stream_info", file);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    AVFormatContext input() {
        return input;
    }

    /** The best video stream (found on first use). */
    AVStream stream() {
        if (stream == null) {
            int index = Av.check(av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, (PointerPointer<?>) null, 0),
                    "av_find_best_stream", "a video stream in " + file);
            stream = input.streams(index);
        }
        return stream;
    }

    /** Reads the next packet of the video stream into {@code into}; false at end of file. */
    boolean nextPacket(AVPacket into) {
        int index = stream().index();
        while (true) {
            av_packet_unref(into);
            int ret = av_read_frame(input, into);
            if (ret == AVERROR_EOF) {
                return false;
            }
            Av.check(ret, "av_read_frame", file);
            if (into.stream_index() == index) {
                packets++;
                if (into.duration() > 0) {
                    duration += into.duration();
                } else {
                    durationsKnown = false;
                }
                return true;
            }
        }
    }

    /**
     * The rate the packets read so far were shown at: their count over the sum of
     * their durations, tidied to a denominator of at most 1001; null when a packet had
     * no duration. For GIF this is the true average, where FFmpeg's stream rate is
     * taken from the shortest delay.
     */
    FrameRate packetRate() {
        if (!durationsKnown || packets == 0 || duration <= 0) {
            return null;
        }
        org.bytedeco.ffmpeg.avutil.AVRational tb = stream().time_base();
        double fps = packets * (double) tb.den() / ((double) duration * tb.num());
        return fps > 0 && fps <= 1000 ? FrameRate.of(fps) : null;
    }

    /** The next decoded frame (owned by this object, valid until the next call), or null at the end. */
    AVFrame nextFrame() {
        if (decoder == null) {
            openDecoder();
        }
        while (true) {
            av_frame_unref(frame);
            int ret = avcodec_receive_frame(decoder, frame);
            if (ret >= 0) {
                return frame;
            }
            if (ret == AVERROR_EOF) {
                return null;
            }
            if (ret != Av.EAGAIN) {
                throw Av.failure(ret, "avcodec_receive_frame", file);
            }
            if (demuxed) {
                return null;
            }
            if (nextPacket(packet)) {
                Av.check(avcodec_send_packet(decoder, packet), "avcodec_send_packet", file);
            } else {
                demuxed = true;
                Av.check(avcodec_send_packet(decoder, null), "avcodec_send_packet", "the end of " + file);
            }
        }
    }

    private void openDecoder() {
        AVStream s = stream();
        int codecId = s.codecpar().codec_id();
        AVCodec codec = avcodec_find_decoder(codecId);
        if (codec == null || codec.isNull()) {
            throw new VideoException("avcodec_find_decoder found no decoder for "
                    + avcodec_get_name(codecId).getString() + " in " + file,
                    "avcodec_find_decoder", AVERROR_DECODER_NOT_FOUND);
        }
        decoder = Av.notNull(avcodec_alloc_context3(codec), "avcodec_alloc_context3", file);
        Av.check(avcodec_parameters_to_context(decoder, s.codecpar()), "avcodec_parameters_to_context", file);
        decoder.pkt_timebase(s.time_base());
        AVDictionary opts = new AVDictionary(null);
        try {
            Av.check(avcodec_open2(decoder, codec, opts), "avcodec_open2", "the decoder of " + file);
        } finally {
            av_dict_free(opts);
        }
        packet = Av.notNull(av_packet_alloc(), "av_packet_alloc", null);
        frame = Av.notNull(av_frame_alloc(), "av_frame_alloc", null);
    }

    @Override
    public void close() {
        if (frame != null) {
            av_frame_free(frame);
            frame = null;
        }
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (decoder != null) {
            avcodec_free_context(decoder);
            decoder = null;
        }
        if (input != null) {
            avformat_close_input(input);
            input = null;
        }
    }
}
