package dev.reel;

import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** What every CUDA test starts with: the first CUDA device, or the test skipped with its reason printed. */
public final class CudaDevices {
    private CudaDevices() {}

    /**
     * The first CUDA device; where there is none, prints {@code SKIPPED <test>: <reason>}
     * (the line bench/gpu/java counts) and aborts the test.
     */
    public static Device firstOrSkip(Class<?> test) {
        List<Device> devices = Reel.cudaDevices();
        if (devices.isEmpty()) {
            String reason = "no CUDA device: " + Reel.cudaUnavailableReason();
            System.out.println("SKIPPED " + test.getSimpleName() + ": " + reason);
            Assumptions.abort(reason);
        }
        return devices.get(0);
    }
}
