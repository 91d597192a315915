package dev.reel;

import dev.reel.ffi.ReelNative;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The entry point: a backend and the device it runs on.
 *
 * <p>{@link #open()} chooses CUDA when a device is present, else the CPU. The
 * system property {@code reel.backend} or the environment variable
 * {@code REEL_BACKEND} ({@code cpu} or {@code cuda}) overrides that choice; asking
 * for CUDA where there is none fails with a {@link ReelException} that says why.
 *
 * <pre>{@code
 * try (Reel reel = Reel.open();
 *      Tensor noise = reel.randn(DType.F32, Shape.of(4, 8, 32, 32), 42)) {
 *     float[] values = noise.toFloatArray();
 * }
 * }</pre>
 */
public final class Reel implements AutoCloseable {
    /** The environment variable and system property that choose the backend. */
    public static final String BACKEND_ENV = "REEL_BACKEND";
    public static final String BACKEND_PROPERTY = "reel.backend";

    private final Device device;
    private volatile boolean closed;

    private Reel(Device device) {
        this.device = device;
    }

    /** The backend named by {@code reel.backend} / {@code REEL_BACKEND}, else CUDA if present, else CPU. */
    public static Reel open() {
        String requested = System.getProperty(BACKEND_PROPERTY);
        String source = "system property " + BACKEND_PROPERTY;
        if (requested == null || requested.isBlank()) {
            requested = System.getenv(BACKEND_ENV);
            source = "environment variable " + BACKEND_ENV;
        }
        if (requested == null || requested.isBlank()) {
            return new Reel(cudaDevices().isEmpty() ? Device.CPU : cudaDevices().get(0));
        }
        Backend backend;
        try {
            backend = Backend.valueOf(requested.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is '" + requested + "': expected 'cpu' or 'cuda'");
        }
        return open(backend);
    }

    /** The CPU, or the first CUDA device. */
    public static Reel open(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend is null");
        }
        if (backend == Backend.CPU) {
            return new Reel(Device.CPU);
        }
        List<Device> devices = cudaDevices();
        if (devices.isEmpty()) {
            throw new ReelException(ReelException.Status.NO_DEVICE,
                    "the CUDA backend was requested but is not available: " + cudaUnavailableReason());
        }
        return new Reel(devices.get(0));
    }

    /** A given device: {@link Device#CPU} or one of {@link #cudaDevices()}. */
    public static Reel open(Device device) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (device.isCuda() && !cudaDevices().contains(device)) {
            throw new ReelException(ReelException.Status.NO_DEVICE, "CUDA device " + device.ordinal()
                    + " is not available: " + (cudaDevices().isEmpty() ? cudaUnavailableReason()
                            : cudaDevices().size() + " device(s) present"));
        }
        return new Reel(device);
    }

    /**
     * The device a spec names: {@code cpu}, {@code cuda} (the first CUDA device) or
     * {@code cuda:N} (ordinal N), case-insensitive.
     *
     * @throws IllegalArgumentException for another spelling
     * @throws ReelException with status NO_DEVICE when the CUDA device is not there, saying why
     */
    public static Device device(String spec) {
        int ordinal = parseDevice(spec);
        if (ordinal < 0) {
            return Device.CPU;
        }
        List<Device> devices = cudaDevices();
        if (ordinal >= devices.size()) {
            throw new ReelException(ReelException.Status.NO_DEVICE, "device '" + spec.trim() + "' is not available: "
                    + (devices.isEmpty() ? cudaUnavailableReason() : devices.size() + " CUDA device(s) present"));
        }
        return devices.get(ordinal);
    }

    /** The device {@link #open()} chooses: {@code reel.backend} / {@code REEL_BACKEND}, else CUDA if present, else CPU. */
    public static Device defaultDevice() {
        try (Reel reel = open()) {
            return reel.device();
        }
    }

    /** -1 for {@code cpu}, the ordinal for {@code cuda} (0) and {@code cuda:N}; a checked spelling, no device query. */
    static int parseDevice(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("device is null: expected cpu, cuda or cuda:N");
        }
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return -1;
        }
        if (s.equals("cuda")) {
            return 0;
        }
        if (s.startsWith("cuda:") && s.length() > 5 && s.length() <= 9 && s.substring(5).chars().allMatch(Character::isDigit)) {
            return Integer.parseInt(s.substring(5));
        }
        throw new IllegalArgumentException("device is '" + spec + "': expected cpu, cuda or cuda:N (N a device ordinal)");
    }

    public static String version() {
        return ReelNative.reel_version_string().getString();
    }

    /** Whether this libreel was compiled with its CUDA backend. */
    public static boolean builtWithCuda() {
        return (ReelNative.reel_build_features() & ReelNative.REEL_FEATURE_CUDA) != 0;
    }

    /** The CUDA devices present now; empty without a driver, a GPU or a CUDA build. */
    public static List<Device> cudaDevices() {
        int[] count = new int[1];
        if (ReelNative.reel_cuda_device_count(count) != ReelNative.REEL_OK) {
            return List.of();
        }
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            try (ReelNative.DeviceInfo info = new ReelNative.DeviceInfo()) {
                ReelException.check(ReelNative.reel_cuda_device_query(i, info));
                devices.add(new Device(Backend.CUDA, i, info.name().getString(), info.cc_major(), info.cc_minor(),
                        info.multiprocessors(), info.total_memory(), info.free_memory()));
            }
        }
        return Collections.unmodifiableList(devices);
    }

    /** Why there is no CUDA device, or null when there is one. */
    public static String cudaUnavailableReason() {
        int[] count = new int[1];
        return ReelNative.reel_cuda_device_count(count) == ReelNative.REEL_OK ? null : ReelException.nativeMessage();
    }

    public static CpuInfo cpu() {
        try (ReelNative.CpuInfo info = new ReelNative.CpuInfo()) {
            ReelException.check(ReelNative.reel_cpu_query(info));
            return new CpuInfo(info.logical_cores(), info.threads(), info.avx2() != 0, info.avx512f() != 0,
                    info.avx512_bf16() != 0);
        }
    }

    /** Threads used by the CPU backend's kernels; 0 restores the default (all logical cores). */
    public static void setCpuThreads(int threads) {
        if (threads < 0 || threads > 4096) {
            throw new IllegalArgumentException("threads must be in [0, 4096], got " + threads);
        }
        ReelException.check(ReelNative.reel_cpu_set_threads(threads));
    }

    public Backend backend() {
        return device.backend();
    }

    public Device device() {
        return device;
    }

    /** An uninitialised tensor on this Reel's device. */
    public Tensor empty(DType dtype, Shape shape) {
        requireOpen();
        return Tensor.allocate(device, dtype, shape);
    }

    /** A tensor on this Reel's device holding {@code values}, converted to {@code dtype}. */
    public Tensor tensor(float[] values, DType dtype, Shape shape) {
        Tensor t = empty(dtype, shape);
        try {
            t.copyFrom(values);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Standard normal noise, stream 0: the same values on every backend for the same seed. */
    public Tensor randn(DType dtype, Shape shape, long seed) {
        Tensor t = empty(dtype, shape);
        Noise.fillNormal(t, seed, 0, 0);
        return t;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this Reel is closed");
        }
    }

    /** Ends this handle; tensors made from it stay valid until closed themselves. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "Reel " + version() + " on " + device;
    }
}
