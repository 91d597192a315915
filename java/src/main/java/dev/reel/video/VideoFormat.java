package dev.reel.video;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The kinds of file Reel writes and reads.
 *
 * <p>{@link #PNG} is a folder of frames, not one file: {@code frame_0000.png},
 * {@code frame_0001.png}, … (zero-based, at least four digits), each an RGB 8-bit PNG
 * that carries the metadata and the frame rate as text chunks. A folder can be
 * renamed into place atomically, which a set of loose files cannot.
 */
public enum VideoFormat {
    /** H.264 in yuv420p, MP4 container, index at the front: plays in browsers and QuickTime. */
    MP4("mp4", "mp4"),
    /** VP9 in yuv420p, WebM container. */
    WEBM("webm", "webm"),
    /** Animated GIF with one palette generated for the whole clip; loops forever. */
    GIF("gif", "gif"),
    /** A folder of lossless RGB PNG frames. */
    PNG("", null);

    private final String extension;
    final String muxer;

    VideoFormat(String extension, String muxer) {
        this.extension = extension;
        this.muxer = muxer;
    }

    /** The file name extension without the dot; empty for {@link #PNG}, which is a folder. */
    public String extension() {
        return extension;
    }

    /**
     * The format a path names: {@code .mp4}, {@code .webm} or {@code .gif} (any case),
     * or {@link #PNG} for a name with no extension (a folder of frames).
     *
     * @throws IllegalArgumentException for any other extension
     */
    public static VideoFormat of(Path path) {
        if (path == null || path.getFileName() == null) {
            throw new IllegalArgumentException("path is " + path + ": expected a file or folder name");
        }
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        if (dot <= 0) {
            return PNG;
        }
        String ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
        for (VideoFormat f : values()) {
            if (!f.extension.isEmpty() && f.extension.equals(ext)) {
                return f;
            }
        }
        throw new IllegalArgumentException("path " + path + " has extension '." + ext
                + "': expected .mp4, .webm, .gif, or no extension for a folder of PNG frames");
    }
}
