package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;

/** Long-lived buffers of a model: never owned by a caller's open {@link Scope}, whose close would free them under us. */
final class Buffers {
    private Buffers() {}

    static Tensor owned(Device device, long elements) {
        return owned(device, DType.F32, elements);
    }

    static Tensor owned(Device device, DType dtype, long elements) {
        try (Scope mine = Scope.open()) {
            return mine.keep(Tensor.allocate(device, dtype, Shape.of(elements)));
        }
    }

    /**
     * A copy on {@code device} of {@code count} fp32 values at host address {@code host},
     * stored as {@code dtype}: converted on the host (so the device needs no staging), then
     * copied up.
     */
    static Tensor upload(Device device, long host, long count, DType dtype) {
        Tensor copy = owned(device, dtype, count);
        try {
            if (dtype == DType.F32) {
                dev.reel.ReelException.check(dev.reel.ffi.ReelNative.reel_memcpy(copy.address(), host, 4 * count,
                        dev.reel.ffi.ReelNative.REEL_COPY_HOST_TO_DEVICE, device.ordinal(), 0L));
            } else {
                try (Tensor staged = owned(Device.CPU, dtype, count)) {
                    dev.reel.ReelException.check(dev.reel.ffi.ReelNative.reel_convert(Device.CPU.ordinal(), 0L,
                            staged.address(), dtype.code(), host, DType.F32.code(), count));
                    dev.reel.ReelException.check(dev.reel.ffi.ReelNative.reel_memcpy(copy.address(), staged.address(),
                            staged.byteSize(), dev.reel.ffi.ReelNative.REEL_COPY_HOST_TO_DEVICE, device.ordinal(), 0L));
                }
            }
            return copy;
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /** int64 values where kernels on {@code device} read them: a device copy (as 2·n fp32 widths) of host memory. */
    static Tensor int64(Device device, long host, long count, long stream) {
        Tensor copy = owned(device, 2 * count);
        try {
            dev.reel.ReelException.check(dev.reel.ffi.ReelNative.reel_memcpy(copy.address(), host, 8 * count,
                    dev.reel.ffi.ReelNative.REEL_COPY_HOST_TO_DEVICE, device.ordinal(), stream));
            return copy;
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }
}
