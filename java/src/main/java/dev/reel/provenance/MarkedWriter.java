package dev.reel.provenance;

import dev.reel.Reel;
import dev.reel.model.ModelConfig;
import dev.reel.model.VideoModel;
import dev.reel.pipeline.GeneratedVideo;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.video.Video;
import dev.reel.video.VideoFormat;
import dev.reel.video.VideoReader;
import dev.reel.video.VideoWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes generated videos with their provenance: the watermark of the generation's
 * id ({@link Provenance#generationId}) in the frames, embedded after the writer's
 * resize and before encoding, and a signed {@link Manifest} in the metadata.
 *
 * <pre>{@code
 * try (Generator generator = Generator.embedded()) {
 *     MarkedWriter out = MarkedWriter.builder(generator.model()).build();   // default keys, MP4 256×256
 *     for (GeneratedVideo v : generator.generate(GenerationRequest.of("a red circle moving right"))) {
 *         out.write(v, Path.of("red.mp4"));
 *     }
 * }
 * }</pre>
 *
 * <p>A write encodes once to a hidden file next to the target, decodes it to hash
 * its pictures ({@link VideoReader#frameDigest}), signs the manifest, and copies
 * the coded frames with the signed metadata to the target
 * ({@link VideoWriter#copyWithMetadata}): the target appears complete or not at all.
 * To write a video without provenance, use a {@link VideoWriter} directly.
 */
public final class MarkedWriter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final VideoModel model;
    private final VideoWriter writer;
    private final WatermarkKey watermarkKey;
    private final SigningKey signingKey;
    private final Clock clock;

    private MarkedWriter(Builder b) {
        model = b.model;
        writer = b.writer;
        watermarkKey = b.watermarkKey;
        signingKey = b.signingKey != null ? b.signingKey : SigningKey.loadOrCreateDefault();
        clock = b.clock;
    }

    /** A builder for videos made by {@code model} (its name and weights go into the manifest and the id). */
    public static Builder builder(VideoModel model) {
        if (model == null) {
            throw new IllegalArgumentException("model is null");
        }
        return new Builder(model);
    }

    public WatermarkKey watermarkKey() {
        return watermarkKey;
    }

    public SigningKey signingKey() {
        return signingKey;
    }

    /**
     * Writes {@code video} to {@code target} in the writer's format (or the one the
     * path's extension names) and returns the signed manifest (for a GIF, which has
     * nowhere to keep it, the manifest is only returned).
     */
    public Manifest write(GeneratedVideo video, Path target) {
        if (video == null || target == null) {
            throw new IllegalArgumentException((video == null ? "video" : "target") + " is null");
        }
        VideoFormat format = writer.format() != null ? writer.format() : VideoFormat.of(target);
        Video frames = writer.resized(video.video(), format);
        long id = Provenance.generationId(video, model);
        Video marked = Watermark.embed(frames, watermarkKey, id);
        VideoWriter exact = writer.toBuilder().format(format).size(frames.width(), frames.height()).build();
        Path to = target.toAbsolutePath();
        Path temp = to.resolveSibling("." + to.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".unsigned");
        try {
            exact.write(marked, temp);
            Map<String, String> fields = fields(video, id);
            fields.put("frames_sha256", HexFormat.of().formatHex(VideoReader.frameDigest(temp)));
            Manifest manifest = Manifest.sign(fields, signingKey);
            Map<String, String> metadata = new LinkedHashMap<>(writer.metadata());
            metadata.putAll(manifest.toMetadata());
            VideoWriter.copyWithMetadata(temp, to, metadata);
            return manifest;
        } finally {
            delete(temp);
        }
    }

    private Map<String, String> fields(GeneratedVideo video, long id) {
        GenerationRequest r = video.request();
        ModelConfig c = model.config();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("generator", "Reel");
        f.put("version", Reel.version());
        f.put("model", model.folder().name());
        f.put("model_sha256", model.folder().weightsSha256());
        f.put("prompt", video.prompt());
        f.put("negative_prompt", r.negativePrompt());
        f.put("seed", Long.toString(video.seed()));
        f.put("sampler", r.samplerFor(c).name().toLowerCase(Locale.ROOT).replace('_', '-'));
        f.put("steps", Integer.toString(r.stepsFor(c)));
        f.put("guidance", Double.toString(r.guidanceFor(c)));
        f.put("created", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        f.put("request", r.toString());
        f.put("watermark", String.format("%016x", id));
        f.put("watermark_key", watermarkKey.fingerprint());
        return f;
    }

    private static void delete(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        } catch (IOException | UncheckedIOException e) {
            // the write's own outcome is what matters; a stray hidden file is all that is left
        }
    }

    /** Options for a {@link MarkedWriter}. */
    public static final class Builder {
        private final VideoModel model;
        private VideoWriter writer = VideoWriter.builder().build();
        private WatermarkKey watermarkKey = WatermarkKey.defaultKey();
        private SigningKey signingKey;
        private Clock clock = Clock.systemUTC();

        private Builder(VideoModel model) {
            this.model = model;
        }

        /** The writer: format, size, scaling, rate, bitrate, extra metadata (default: {@code VideoWriter.builder().build()}). */
        public Builder writer(VideoWriter writer) {
            if (writer == null) {
                throw new IllegalArgumentException("writer is null");
            }
            this.writer = writer;
            return this;
        }

        /** The watermark key (default: Reel's public {@link WatermarkKey#defaultKey()}). */
        public Builder watermarkKey(WatermarkKey key) {
            if (key == null) {
                throw new IllegalArgumentException("watermark key is null");
            }
            this.watermarkKey = key;
            return this;
        }

        /** The signing key (default: {@link SigningKey#loadOrCreateDefault()}, read or made when the writer is built). */
        public Builder signingKey(SigningKey key) {
            if (key == null) {
                throw new IllegalArgumentException("signing key is null");
            }
            this.signingKey = key;
            return this;
        }

        /** The clock of the {@code created} field (default: the system's, in UTC). */
        public Builder clock(Clock clock) {
            if (clock == null) {
                throw new IllegalArgumentException("clock is null");
            }
            this.clock = clock;
            return this;
        }

        public MarkedWriter build() {
            return new MarkedWriter(this);
        }
    }
}
