package dev.reel.video;

import dev.reel.ReelException;

/**
 * A video file could not be written or read: an FFmpeg call failed, a file is not
 * a video Reel can decode, or the writing thread was interrupted. The message names
 * the FFmpeg call and carries {@code av_strerror}'s text for its error code.
 *
 * <p>It is a {@link ReelException} with status {@link ReelException.Status#INTERNAL},
 * so code that handles Reel's failures in one place handles these too. A caller's
 * mistake (a missing directory, an odd MP4 size) is an {@link IllegalArgumentException}
 * instead, raised before any file is touched.
 */
public final class VideoException extends ReelException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errorCode;

    VideoException(String message) {
        this(message, null, 0);
    }

    VideoException(String message, String call, int errorCode) {
        super(Status.INTERNAL, message);
        this.call = call;
        this.errorCode = errorCode;
    }

    /** The FFmpeg function that failed, or null when the failure is not one call's. */
    public String call() {
        return call;
    }

    /** FFmpeg's (negative) error code, or 0 when there is none. */
    public int errorCode() {
        return errorCode;
    }
}
