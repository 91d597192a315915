package dev.reel;

import dev.reel.ffi.ReelNative;
import java.lang.ref.Reference;

/**
 * Standard normal noise from Philox4x32-10. The value of element {@code i} of the
 * stream {@code (seed, stream)} is a pure function of the three numbers, the same
 * bits on the CPU and on CUDA, so a seed reproduces a video on any backend.
 * Element {@code k} of the filled memory gets stream index {@code offset + k}.
 * Seeds and streams are unsigned 64-bit values carried in {@code long}.
 */
public final class Noise {
    private Noise() {}

    public static void fillNormal(Tensor out, long seed, long stream, long offset) {
        if (out == null) {
            throw new IllegalArgumentException("out is null");
        }
        try {
            fillNormal(out.device(), out.address(), out.dtype(), out.numel(), seed, stream, offset, 0L);
        } finally {
            Reference.reachabilityFence(out);
        }
    }

    /**
     * Fills memory the caller owns: host memory for {@link Device#CPU}, device
     * memory for a CUDA device, where the kernel is queued on {@code cudaStream}
     * (0: the default stream) and not waited for.
     */
    public static void fillNormal(Device device, long address, DType dtype, long count, long seed, long stream,
            long offset, long cudaStream) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is null");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count is negative: " + count);
        }
        if (count > 0 && address == 0) {
            throw new IllegalArgumentException("address is null (0)");
        }
        if (count > 0 && Long.compareUnsigned(offset, -count) > 0) {
            throw new IllegalArgumentException("offset + count - 1 overflows 64 bits");
        }
        ReelException.check(ReelNative.reel_noise_normal(device.ordinal(), cudaStream, address, dtype.code(), count, seed,
                stream, offset));
    }
}
