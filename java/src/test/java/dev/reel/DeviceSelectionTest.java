package dev.reel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Naming a device: {@code cpu}, {@code cuda}, {@code cuda:N}, and the default. */
class DeviceSelectionTest {
    @Test
    void specsParseToOrdinals() {
        assertEquals(-1, Reel.parseDevice("cpu"));
        assertEquals(-1, Reel.parseDevice(" CPU "));
        assertEquals(0, Reel.parseDevice("cuda"));
        assertEquals(0, Reel.parseDevice("cuda:0"));
        assertEquals(3, Reel.parseDevice("CUDA:3"));
    }

    @Test
    void otherSpellingsAreRefusedByName() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:0:1", "", "cuda:99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reel.device(bad), bad);
            assertTrue(e.getMessage().contains("expected cpu, cuda or cuda:N"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Reel.device(null));
    }

    @Test
    void cpuIsAlwaysThere() {
        assertSame(Device.CPU, Reel.device("cpu"));
    }

    @Test
    void anAbsentCudaDeviceSaysWhy() {
        int present = Reel.cudaDevices().size();
        ReelException e = assertThrows(ReelException.class, () -> Reel.device("cuda:" + present));
        assertEquals(ReelException.Status.NO_DEVICE, e.status());
        assertTrue(e.getMessage().contains("cuda:" + present), e.getMessage());
    }

    @Test
    void theDefaultIsCudaWhenPresentElseTheCpu() {
        Assumptions.assumeTrue(System.getenv(Reel.BACKEND_ENV) == null && System.getProperty(Reel.BACKEND_PROPERTY) == null,
                "REEL_BACKEND / reel.backend is set");
        Device d = Reel.defaultDevice();
        if (Reel.cudaDevices().isEmpty()) {
            assertSame(Device.CPU, d);
        } else {
            assertEquals(Reel.cudaDevices().get(0), d);
        }
    }

    @Test
    void theBackendPropertyOverridesTheDefault() {
        String before = System.getProperty(Reel.BACKEND_PROPERTY);
        System.setProperty(Reel.BACKEND_PROPERTY, "cpu");
        try {
            assertSame(Device.CPU, Reel.defaultDevice());
        } finally {
            if (before == null) {
                System.clearProperty(Reel.BACKEND_PROPERTY);
            } else {
                System.setProperty(Reel.BACKEND_PROPERTY, before);
            }
        }
    }
}
