package dev.reel;

import java.util.Objects;

/**
 * A place where tensors live and kernels run: the host CPU, or one CUDA device.
 * The CUDA fields (compute capability, memory) are those read when the device
 * was queried.
 */
public final class Device {
    /** The host, for the CPU backend. */
    public static final Device CPU = new Device(Backend.CPU, -1, "CPU", 0, 0, 0, 0L, 0L);

    private final Backend backend;
    private final int ordinal;
    private final String name;
    private final int ccMajor;
    private final int ccMinor;
    private final int multiprocessors;
    private final long totalMemory;
    private final long freeMemory;

    Device(Backend backend, int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors,
            long totalMemory, long freeMemory) {
        this.backend = backend;
        this.ordinal = ordinal;
        this.name = name;
        this.ccMajor = ccMajor;
        this.ccMinor = ccMinor;
        this.multiprocessors = multiprocessors;
        this.totalMemory = totalMemory;
        this.freeMemory = freeMemory;
    }

    public Backend backend() {
        return backend;
    }

    /** CUDA ordinal, or -1 for the CPU. */
    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public int computeCapabilityMajor() {
        return ccMajor;
    }

    public int computeCapabilityMinor() {
        return ccMinor;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    public long totalMemory() {
        return totalMemory;
    }

    public long freeMemory() {
        return freeMemory;
    }

    public boolean isCuda() {
        return backend == Backend.CUDA;
    }

    /** Two devices are the same place when backend and ordinal agree. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Device && ((Device) o).backend == backend && ((Device) o).ordinal == ordinal;
    }

    @Override
    public int hashCode() {
        return Objects.hash(backend, ordinal);
    }

    @Override
    public String toString() {
        if (!isCuda()) {
            return "CPU";
        }
        return String.format("cuda:%d %s (sm_%d%d, %d SMs, %.1f GiB)", ordinal, name, ccMajor, ccMinor,
                multiprocessors, totalMemory / (1024.0 * 1024 * 1024));
    }
}
