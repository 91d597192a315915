package dev.reel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.ffi.ReelNative;
import org.junit.jupiter.api.Test;

/** The raw binding: statuses and messages come back for bad arguments, and the JVM lives. */
class BindingTest {
    @Test
    void nativeVersionAndStatusStrings() {
        assertEquals(100, ReelNative.reel_version());
        assertEquals("no CUDA device", ReelNative.reel_status_string(ReelNative.REEL_ERR_NO_DEVICE).getString());
    }

    @Test
    void nullPointersAreStatusesNotCrashes() {
        assertEquals(ReelNative.REEL_ERR_INVALID_ARGUMENT,
                ReelNative.reel_memcpy(0L, 0L, 16, ReelNative.REEL_COPY_HOST_TO_HOST, -1, 0L));
        assertTrue(ReelNative.reel_last_error().getString().contains("reel_memcpy"));
        assertEquals(ReelNative.REEL_ERR_INVALID_ARGUMENT,
                ReelNative.reel_noise_normal(-1, 0L, 0L, 0, 16, 1, 0, 0));
        assertEquals(ReelNative.REEL_ERR_INVALID_ARGUMENT, ReelNative.reel_convert(-1, 0L, 0L, 0, 0L, 1, 4));
        assertEquals(ReelNative.REEL_ERR_INVALID_ARGUMENT, ReelNative.reel_malloc(-7, 16, new long[1]));
        assertTrue(ReelNative.reel_last_error().getString().contains("device -7"));
    }

    @Test
    void errorMessagesAreThreadLocal() throws InterruptedException {
        ReelNative.reel_malloc(-7, 16, new long[1]);
        Thread other = new Thread(() -> ReelNative.reel_cpu_set_threads(-5));
        other.start();
        other.join();
        assertTrue(ReelNative.reel_last_error().getString().contains("device -7"));
    }

    @Test
    void cudaEntryPointsAnswerWithoutADevice() {
        int[] count = new int[1];
        int status = ReelNative.reel_cuda_device_count(count);
        if (status == ReelNative.REEL_OK) {
            System.out.println("SKIPPED cudaEntryPointsAnswerWithoutADevice: a CUDA device is present");
            return;
        }
        assertTrue(status == ReelNative.REEL_ERR_NO_DEVICE || status == ReelNative.REEL_ERR_NO_CUDA_BUILD);
        long[] out = new long[1];
        assertEquals(status, ReelNative.reel_malloc(0, 64, out));
        assertEquals(0L, out[0]);
        assertEquals(status, ReelNative.reel_noise_normal(0, 0L, 64L, 0, 4, 1, 0, 0));
    }
}
