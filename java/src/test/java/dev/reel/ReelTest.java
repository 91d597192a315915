package dev.reel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReelTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(Reel.BACKEND_PROPERTY);
    }

    @Test
    void versionMatchesTheNativeLibrary() {
        assertEquals("0.1.0", Reel.version());
    }

    @Test
    void defaultBackendFollowsTheDevicesPresent() {
        try (Reel reel = Reel.open()) {
            if (System.getenv(Reel.BACKEND_ENV) == null) {
                assertEquals(Reel.cudaDevices().isEmpty() ? Backend.CPU : Backend.CUDA, reel.backend());
            }
        }
    }

    @Test
    void propertySelectsTheCpu() {
        System.setProperty(Reel.BACKEND_PROPERTY, "CPU");
        try (Reel reel = Reel.open()) {
            assertEquals(Backend.CPU, reel.backend());
            assertEquals(Device.CPU, reel.device());
        }
    }

    @Test
    void unknownBackendNameIsRejected() {
        System.setProperty(Reel.BACKEND_PROPERTY, "tpu");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Reel::open);
        assertTrue(e.getMessage().contains("tpu") && e.getMessage().contains("cpu"), e.getMessage());
    }

    @Test
    void askingForCudaWithoutADeviceSaysWhy() {
        if (!Reel.cudaDevices().isEmpty()) {
            System.out.println("SKIPPED askingForCudaWithoutADeviceSaysWhy: a CUDA device is present");
            return;
        }
        System.setProperty(Reel.BACKEND_PROPERTY, "cuda");
        ReelException e = assertThrows(ReelException.class, Reel::open);
        assertTrue(e.status() == ReelException.Status.NO_DEVICE, e.status().toString());
        assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
        assertNotNull(Reel.cudaUnavailableReason());
    }

    @Test
    void cpuInfoAndThreadCount() {
        CpuInfo cpu = Reel.cpu();
        assertTrue(cpu.logicalCores() >= 1);
        Reel.setCpuThreads(1);
        assertEquals(1, Reel.cpu().threads());
        Reel.setCpuThreads(0);
        assertEquals(cpu.logicalCores(), Reel.cpu().threads());
        assertThrows(IllegalArgumentException.class, () -> Reel.setCpuThreads(-1));
    }

    @Test
    void closedReelRefusesWork() {
        Reel reel = Reel.open(Backend.CPU);
        reel.close();
        assertThrows(IllegalStateException.class, () -> reel.empty(DType.F32, Shape.of(1)));
    }

    @Test
    void infoCommandPrintsBackendAndDevices() {
        PrintStream old = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code;
        System.setProperty(Reel.BACKEND_PROPERTY, "cpu");
        try {
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            code = Main.run("info");
        } finally {
            System.setOut(old);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("backend: CPU"), out);
        assertTrue(out.contains("CUDA devices:"), out);
    }
}
