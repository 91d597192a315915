package dev.reel;

import dev.reel.ffi.ReelNative;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A dense row-major tensor in memory that Reel's kernels read: host memory for
 * the CPU backend, device memory for CUDA.
 *
 * <p>A tensor Reel allocated is freed exactly once: by {@link #close()}, by the
 * {@link Scope} it was made in, or — if forgotten — by a {@link Cleaner} once it
 * is unreachable. Use after close is an {@link IllegalStateException}. A tensor
 * made by {@link #wrap} views the caller's memory and never frees it.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicLong LIVE = new AtomicLong();
    private static final AtomicLong MADE = new AtomicLong();

    /** What the cleaner needs; must not refer back to the Tensor. */
    private static final class Memory implements Runnable {
        final int device;
        final long address;
        final AtomicBoolean freed = new AtomicBoolean();

        Memory(int device, long address) {
            this.device = device;
            this.address = address;
        }

        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                ReelNative.reel_free(device, address);
                LIVE.decrementAndGet();
            }
        }
    }

    private final Device device;
    private final DType dtype;
    private final Shape shape;
    private final long address;
    private final Cleaner.Cleanable cleanable; // null for wrapped memory
    private final AtomicBoolean closed = new AtomicBoolean();

    private Tensor(Device device, DType dtype, Shape shape, long address, Memory memory) {
        this.device = device;
        this.dtype = dtype;
        this.shape = shape;
        this.address = address;
        this.cleanable = memory == null ? null : CLEANER.register(this, memory);
    }

    /** Allocates an uninitialised tensor on the device; registered with the open {@link Scope}, if any. */
    public static Tensor allocate(Device device, DType dtype, Shape shape) {
        requireArgs(device, dtype, shape);
        long bytes = byteSize(dtype, shape);
        long[] out = new long[1];
        // malloc(0) is refused by the C API; an empty tensor still gets a real address.
        ReelException.check(ReelNative.reel_malloc(device.ordinal(), Math.max(bytes, 1), out));
        LIVE.incrementAndGet();
        MADE.incrementAndGet();
        Tensor owned = new Tensor(device, dtype, shape, out[0], new Memory(device.ordinal(), out[0]));
        Scope.register(owned);
        return owned;
    }

    /**
     * Views memory the caller owns (for example a device pointer from another
     * library) without taking ownership: closing the view does not free it.
     */
    public static Tensor wrap(Device device, DType dtype, Shape shape, long address) {
        requireArgs(device, dtype, shape);
        if (address == 0) {
            throw new IllegalArgumentException("address is null (0)");
        }
        return new Tensor(device, dtype, shape, address, null);
    }

    private static void requireArgs(Device device, DType dtype, Shape shape) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is null");
        }
        if (shape == null) {
            throw new IllegalArgumentException("shape is null");
        }
    }

    private static long byteSize(DType dtype, Shape shape) {
        try {
            return Math.multiplyExact(shape.numel(), (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + shape + " of " + dtype + " exceeds 2^63 bytes");
        }
    }

    static long liveAllocations() {
        return LIVE.get();
    }

    /**
     * Tensors Reel has allocated in this JVM so far, on every device: each is one
     * {@code reel_malloc}. Two readings around a piece of work tell whether it allocated.
     */
    public static long allocationCount() {
        return MADE.get();
    }

    public Device device() {
        return device;
    }

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public long numel() {
        return shape.numel();
    }

    public long byteSize() {
        return byteSize(dtype, shape);
    }

    /** The address of the first element; throws if the tensor is closed. */
    public long address() {
        requireOpen();
        return address;
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Whether this tensor's bytes and the other's share any address on the same device. */
    public boolean overlaps(Tensor other) {
        if (!device.equals(other.device)) {
            return false;
        }
        long a = address(), b = other.address();
        return a < b + Math.max(other.byteSize(), 1) && b < a + Math.max(byteSize(), 1);
    }

    void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("tensor " + dtype + shape + " on " + device + " is closed");
        }
    }

    /** Copies the values in, converting from fp32 to this tensor's dtype (round to nearest even). */
    public void copyFrom(float[] values) {
        try {
            requireLength(values == null ? -1 : values.length, "values");
            int dev = device.ordinal();
            if (dtype == DType.F32) {
                ReelException.check(ReelNative.reel_memcpy(address, values, byteSize(), hostToHere(), dev, 0L));
                return;
            }
            try (Tensor f32 = staging(DType.F32)) {
                ReelException.check(ReelNative.reel_memcpy(f32.address, values, f32.byteSize(), hostToHere(), dev, 0L));
                ReelException.check(ReelNative.reel_convert(dev, 0L, address, dtype.code(), f32.address, DType.F32.code(), numel()));
            }
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The values as fp32 (exact for every dtype). */
    public float[] toFloatArray() {
        try {
            float[] out = new float[requireArrayLength()];
            int dev = device.ordinal();
            if (dtype == DType.F32) {
                ReelException.check(ReelNative.reel_memcpy(out, address, byteSize(), hereToHost(), dev, 0L));
                return out;
            }
            try (Tensor f32 = staging(DType.F32)) {
                ReelException.check(ReelNative.reel_convert(dev, 0L, f32.address, DType.F32.code(), address, dtype.code(), numel()));
                ReelException.check(ReelNative.reel_memcpy(out, f32.address, f32.byteSize(), hereToHost(), dev, 0L));
            }
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Copies raw 16-bit patterns in (BF16 / F16 tensors). */
    public void copyFromBits(short[] bits) {
        try {
            require16();
            requireLength(bits == null ? -1 : bits.length, "bits");
            ReelException.check(ReelNative.reel_memcpy(address, bits, byteSize(), hostToHere(), device.ordinal(), 0L));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The raw 16-bit patterns (BF16 / F16 tensors). */
    public short[] toBits() {
        try {
            require16();
            short[] out = new short[requireArrayLength()];
            ReelException.check(ReelNative.reel_memcpy(out, address, byteSize(), hereToHost(), device.ordinal(), 0L));
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A new tensor on the same device with the values converted to {@code target}. */
    public Tensor to(DType target) {
        try {
            if (target == null) {
                throw new IllegalArgumentException("target dtype is null");
            }
            requireOpen();
            Tensor out = allocate(device, target, shape);
            ReelException.check(ReelNative.reel_convert(device.ordinal(), 0L, out.address, target.code(), address, dtype.code(), numel()));
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private Tensor staging(DType staged) {
        requireOpen();
        return allocate(device, staged, shape);
    }

    private void require16() {
        if (dtype.bytes() != 2) {
            throw new IllegalArgumentException("raw 16-bit access needs a BF16 or F16 tensor, this one is " + dtype);
        }
    }

    private int requireArrayLength() {
        requireOpen();
        if (numel() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of " + numel() + " elements does not fit a Java array");
        }
        return (int) numel();
    }

    private void requireLength(int length, String name) {
        if (length < 0) {
            throw new IllegalArgumentException(name + " is null");
        }
        requireOpen();
        if (length != numel()) {
            throw new IllegalArgumentException(name + " has " + length + " elements, tensor " + shape + " has " + numel());
        }
    }

    private int hostToHere() {
        return device.isCuda() ? ReelNative.REEL_COPY_HOST_TO_DEVICE : ReelNative.REEL_COPY_HOST_TO_HOST;
    }

    private int hereToHost() {
        return device.isCuda() ? ReelNative.REEL_COPY_DEVICE_TO_HOST : ReelNative.REEL_COPY_HOST_TO_HOST;
    }

    /** Frees the memory (once; later calls do nothing). Wrapped memory is left to its owner. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && cleanable != null) {
            cleanable.clean();
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + shape + " on " + device + (closed.get() ? ", closed)" : ")");
    }
}
