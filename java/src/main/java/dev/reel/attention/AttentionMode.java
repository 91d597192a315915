package dev.reel.attention;

/**
 * Which keys a query token of a {@code T x H x W} video attends (all of its own
 * sample); the exact definitions are in {@code reel.h}.
 */
public enum AttentionMode {
    /** Every token of the video. */
    FULL,
    /** The {@code H x W} tokens of the query's frame. */
    SPATIAL,
    /** The {@code T} tokens at the query's spatial position. */
    TEMPORAL,
    /**
     * Tile-aligned local attention: the video is cut into tiles, and a query in
     * one tile sees the tiles within the window radius (in tiles) along each axis.
     */
    WINDOW,
    /** The valid tokens of a separate context (for example text), not the video. */
    CROSS;

    /** The {@code reel_attention_mode} value of the C API. */
    int code() {
        return ordinal();
    }
}
