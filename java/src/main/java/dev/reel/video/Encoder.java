package dev.reel.video;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_FRAME_DURATION;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_ENCODER_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_OPTION_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;

import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * An opened libavcodec encoder and its packet: frames in, packets out. Every frame
 * carries its duration ({@code AV_CODEC_FLAG_FRAME_DURATION}), so the last packet
 * has a duration too and a container counts every frame.
 */
final class Encoder implements AutoCloseable {
    /** What an encoded packet goes to. */
    interface PacketSink {
        void accept(AVPacket packet);
    }

    final String name;
    private AVCodecContext context;
    private AVPacket packet;

    /**
     * Opens encoder {@code name}. {@code setup} sets size, pixel format, time base and
     * rate control on the context; {@code options} are the encoder's private options,
     * every one of which must be taken (an encoder silently ignores options it does
     * not know, such as libopenh264 with {@code crf}).
     */
    Encoder(String name, boolean globalHeader, Consumer<AVCodecContext> setup, Map<String, String> options) {
        this.name = name;
        AVCodec codec = avcodec_find_encoder_by_name(name);
        if (codec == null || codec.isNull()) {
            throw new VideoException("avcodec_find_encoder_by_name found no encoder '" + name
                    + "' in this FFmpeg build", "avcodec_find_encoder_by_name",
                    AVERROR_ENCODER_NOT_FOUND);
        }
        AVDictionary opts = null;
        try {
            context = Av.notNull(avcodec_alloc_context3(codec), "avcodec_alloc_context3", name);
            setup.accept(context);
            int flags = context.flags() | AV_CODEC_FLAG_FRAME_DURATION;
            context.flags(globalHeader ? flags | AV_CODEC_FLAG_GLOBAL_HEADER : flags);
            opts = Av.dictionary(options);
            Av.check(avcodec_open2(context, codec, opts), "avcodec_open2", "encoder " + name);
            Map<String, String> ignored = Av.entries(opts);
            if (!ignored.isEmpty()) {
                throw new VideoException("encoder " + name + " does not take options " + ignored.keySet(),
                        "avcodec_open2", AVERROR_OPTION_NOT_FOUND);
            }
            packet = Av.notNull(av_packet_alloc(), "av_packet_alloc", null);
        } catch (RuntimeException e) {
            close();
            throw e;
        } finally {
            if (opts != null) {
                av_dict_free(opts);
            }
        }
    }

    AVCodecContext context() {
        return context;
    }

    /** Encodes {@code frame} (null: flush) and hands every packet that is ready to {@code sink}. */
    void encode(AVFrame frame, PacketSink sink) {
        Av.check(avcodec_send_frame(context, frame), "avcodec_send_frame", "encoder " + name);
        while (true) {
            int ret = avcodec_receive_packet(context, packet);
            if (ret == Av.EAGAIN || ret == AVERROR_EOF) {
                return;
            }
            Av.check(ret, "avcodec_receive_packet", "encoder " + name);
            try {
                sink.accept(packet);
            } finally {
                av_packet_unref(packet);
            }
        }
    }

    @Override
    public void close() {
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (context != null) {
            avcodec_free_context(context);
            context = null;
        }
    }
}
