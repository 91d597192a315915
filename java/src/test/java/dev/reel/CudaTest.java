package dev.reel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CUDA against the CPU backend, bit for bit. Skipped, with the reason printed, where no device is present. */
class CudaTest {
    private Device gpu;

    @BeforeEach
    void needDevice() {
        gpu = CudaDevices.firstOrSkip(CudaTest.class);
    }

    @Test
    void noiseIsBitIdenticalToTheCpu() {
        for (DType dtype : DType.values()) {
            for (long offset : new long[] {0, 3, 1L << 33}) {
                try (Tensor d = Tensor.allocate(gpu, dtype, Shape.of(100_003));
                        Tensor h = Tensor.allocate(Device.CPU, dtype, Shape.of(100_003))) {
                    Noise.fillNormal(d, 99, 5, offset);
                    Noise.fillNormal(h, 99, 5, offset);
                    if (dtype == DType.F32) {
                        assertArrayEquals(h.toFloatArray(), d.toFloatArray(), 0f);
                    } else {
                        assertArrayEquals(h.toBits(), d.toBits());
                    }
                }
            }
        }
    }

    @Test
    void conversionIsBitIdenticalToTheCpu() {
        float[] v = new float[10_000];
        Random r = new Random();
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.intBitsToFloat(r.nextInt());
        }
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            try (Tensor d = Tensor.allocate(gpu, dtype, Shape.of(v.length));
                    Tensor h = Tensor.allocate(Device.CPU, dtype, Shape.of(v.length))) {
                d.copyFrom(v);
                h.copyFrom(v);
                assertArrayEquals(h.toBits(), d.toBits());
            }
        }
    }

    @Test
    void deviceReportsItself() {
        assertEquals(Backend.CUDA, gpu.backend());
        System.out.println("CUDA device: " + gpu);
    }
}
