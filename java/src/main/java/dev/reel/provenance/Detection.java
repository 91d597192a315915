package dev.reel.provenance;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Provenance#detect} found in a file.
 *
 * @param file the file or PNG folder
 * @param watermark the pixels' verdict: p-value, z-score, payload
 * @param manifest the manifest in the metadata, when there is one
 * @param signature whether the manifest's Ed25519 signature verifies ({@link Check#MISSING}: no manifest or no signature)
 * @param frames whether the decoded pictures' SHA-256 is the manifest's ({@link Check#MISSING}: no such field)
 * @param payload whether the decoded payload is the manifest's {@code watermark} field
 *     ({@link Check#MISSING}: the payload did not decode, or there is no such field)
 * @param notes what a failed check means, one sentence each
 */
public record Detection(Path file, WatermarkReading watermark, Optional<Manifest> manifest, Check signature,
        Check frames, Check payload, List<String> notes) {
    /** The outcome of one check. */
    public enum Check {
        PASSED, FAILED, MISSING
    }

    /** Whether the watermark is present at {@link Watermark#FALSE_POSITIVE_RATE}. */
    public boolean watermarked() {
        return watermark.marked();
    }

    public double pValue() {
        return watermark.pValue();
    }
}
