package dev.reel;

import dev.reel.ffi.ReelNative;

/**
 * A failure below the Java API: a CUDA error, a missing device, memory exhausted.
 * Carries libreel's status and its message, which names the native call.
 * A caller's mistake is an {@link IllegalArgumentException} instead, raised
 * before any native call.
 */
public class ReelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** libreel's status codes ({@code reel_status}). */
    public enum Status {
        OK, INVALID_ARGUMENT, UNSUPPORTED, NO_CUDA_BUILD, NO_DEVICE, CUDA, OUT_OF_MEMORY, INTERNAL, UNKNOWN;

        static Status of(int code) {
            Status[] all = values();
            return code >= 0 && code < all.length - 1 ? all[code] : UNKNOWN;
        }
    }

    private final Status status;

    public ReelException(Status status, String message) {
        super(message);
        this.status = status;
    }

    public Status status() {
        return status;
    }

    /**
     * Throws the exception for a libreel status other than OK, carrying the
     * native message of this thread. Used by Reel's packages after each native call.
     */
    public static void check(int status) {
        if (status != ReelNative.REEL_OK) {
            throw new ReelException(Status.of(status), nativeMessage());
        }
    }

    /** libreel's last error message on this thread. */
    static String nativeMessage() {
        return ReelNative.reel_last_error().getString();
    }
}
