package dev.reel.provenance;

import java.util.Locale;
import java.util.OptionalLong;

/**
 * What {@link Watermark#detect} read from a video's pixels under one key.
 *
 * @param pValue the exact probability that a video without this key's mark scores at
 *     least as high ({@link Watermark}'s class comment derives it); 1 when the video
 *     could not be read
 * @param zScore the presence statistic over its null standard deviation, for
 *     reading at a glance (about 0 for unmarked videos; the decision uses the p-value)
 * @param payload the 64-bit payload when it decoded with a matching CRC
 * @param presenceCells how many cells the presence test summed over
 * @param note why nothing could be read, or null
 */
public record WatermarkReading(double pValue, double zScore, OptionalLong payload, int presenceCells, String note) {
    WatermarkReading(double pValue, double zScore, Long payload, int presenceCells, String note) {
        this(pValue, zScore, payload == null ? OptionalLong.empty() : OptionalLong.of(payload), presenceCells, note);
    }

    static WatermarkReading unreadable(String why) {
        return new WatermarkReading(1, 0, OptionalLong.empty(), 0, why);
    }

    /** Whether the mark is present at the default false-positive rate {@link Watermark#FALSE_POSITIVE_RATE}. */
    public boolean marked() {
        return marked(Watermark.FALSE_POSITIVE_RATE);
    }

    /** Whether the mark is present at false-positive rate {@code alpha} ({@code pValue ≤ alpha}). */
    public boolean marked(double alpha) {
        return pValue <= alpha;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "WatermarkReading[%s, p=%s, z=%.2f, payload=%s]",
                marked() ? "marked" : "not marked", formatP(pValue), zScore,
                payload.isPresent() ? String.format("%016x", payload.getAsLong()) : "none");
    }

    /** A p-value as text: "< 1e-300" where double precision ends. */
    static String formatP(double p) {
        return p == 0 ? "< 1e-300" : p >= 0.01 ? String.format(Locale.ROOT, "%.3f", p)
                : String.format(Locale.ROOT, "%.2e", p);
    }
}
