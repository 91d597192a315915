package dev.reel;

import dev.reel.ffi.ReelNative;

/** Loading of libreel and the translation of its statuses into exceptions. */
final class Native {
    private Native() {}

    /** Throws the {@link ReelException} for a status other than OK. */
    static void check(int status) {
        if (status != ReelNative.REEL_OK) {
            throw new ReelException(ReelException.Status.of(status), lastError());
        }
    }

    static String lastError() {
        return ReelNative.reel_last_error().getString();
    }
}
