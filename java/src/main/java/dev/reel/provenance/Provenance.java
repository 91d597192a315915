package dev.reel.provenance;

import dev.reel.model.VideoModel;
import dev.reel.pipeline.GeneratedVideo;
import dev.reel.video.Video;
import dev.reel.video.VideoReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a video came from: {@link #detect} reads a file's watermark (from its pixels
 * alone) and its signed manifest (from its metadata) and says which checks pass;
 * {@link MarkedWriter} writes files that carry both. {@link #generationId} is the
 * watermark's payload: a function of what made the video, so the same generation
 * written again carries the same mark.
 */
public final class Provenance {
    private Provenance() {}

    /**
     * The 64-bit id of one generated video: the first 8 bytes (big-endian) of
     * SHA-256 of {@code "reel generation id v1\0" + request + "\0" + seed + "\0" + weightsSha256},
     * where {@code request} is the request's {@code toString} (its {@code reel
     * generate} line).
     */
    public static long generationId(String request, long seed, String weightsSha256) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(("reel generation id v1\0" + request + "\0" + seed
                    + "\0" + weightsSha256).getBytes(StandardCharsets.UTF_8));
            long id = 0;
            for (int i = 0; i < 8; i++) {
                id = id << 8 | (h[i] & 0xff);
            }
            return id;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /** {@link #generationId(String, long, String)} of a generated video made by {@code model}. */
    public static long generationId(GeneratedVideo video, VideoModel model) {
        return generationId(video.request().toString(), video.seed(), model.folder().weightsSha256());
    }

    /** {@link #detect(Path, WatermarkKey)} with Reel's default (public) watermark key. */
    public static Detection detect(Path file) {
        return detect(file, WatermarkKey.defaultKey());
    }

    /**
     * Reads {@code file} (a video Reel can decode, or a PNG folder): the watermark of
     * {@code key} in its pixels, and the manifest in its metadata with its signature,
     * its frames' SHA-256 and its payload checked.
     */
    public static Detection detect(Path file, WatermarkKey key) {
        if (key == null) {
            throw new IllegalArgumentException("key is null");
        }
        Video video = VideoReader.read(file);
        WatermarkReading reading = Watermark.detect(video, key);
        Map<String, String> metadata = VideoReader.metadata(file);
        Optional<Manifest> manifest = Manifest.read(metadata);
        List<String> notes = new ArrayList<>();
        if (reading.note() != null) {
            notes.add(reading.note());
        }
        Detection.Check signature = Detection.Check.MISSING, frames = Detection.Check.MISSING,
                payload = Detection.Check.MISSING;
        if (manifest.isPresent()) {
            Manifest m = manifest.get();
            if (m.signature().isPresent()) {
                signature = m.signatureValid() ? Detection.Check.PASSED : Detection.Check.FAILED;
                if (signature == Detection.Check.FAILED) {
                    notes.add("the signature does not verify: a signed field was changed, added or removed after "
                            + "signing (or the signature itself was)");
                }
            } else {
                notes.add("the manifest is not signed");
            }
            String want = m.get("frames_sha256");
            if (want != null) {
                String got = HexFormat.of().formatHex(VideoReader.frameDigest(file));
                frames = got.equalsIgnoreCase(want) ? Detection.Check.PASSED : Detection.Check.FAILED;
                if (frames == Detection.Check.FAILED) {
                    notes.add("the decoded pictures are not the ones signed: the video was re-encoded or edited "
                            + "and the metadata copied over");
                }
            }
            String mark = m.get("watermark");
            if (mark != null && reading.payload().isPresent()) {
                payload = mark.equalsIgnoreCase(String.format("%016x", reading.payload().getAsLong()))
                        ? Detection.Check.PASSED : Detection.Check.FAILED;
                if (payload == Detection.Check.FAILED) {
                    notes.add("the payload in the pixels is not the manifest's: the metadata belongs to another "
                            + "video");
                }
            }
            consistency(m, notes);
        } else if (reading.marked()) {
            notes.add("no manifest: the metadata was stripped, or the file is of a kind that keeps none (a GIF, a "
                    + "contact sheet)");
        }
        return new Detection(file, reading, manifest, signature, frames, payload, List.copyOf(notes));
    }

    /** Notes a manifest whose payload is not the id of its own request, seed and weights. */
    private static void consistency(Manifest m, List<String> notes) {
        String request = m.get("request"), seed = m.get("seed"), sha = m.get("model_sha256"), mark = m.get("watermark");
        if (request == null || seed == null || sha == null || mark == null) {
            return;
        }
        try {
            long id = generationId(request, Long.parseLong(seed), sha);
            if (!mark.equalsIgnoreCase(String.format("%016x", id))) {
                notes.add("the manifest's watermark field is not the id of its request, seed and model");
            }
        } catch (NumberFormatException e) {
            notes.add("the manifest's seed is not a number");
        }
    }
}
