package dev.reel.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.reel.CudaDevices;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whole sampling runs on CUDA against the CPU backend, bit for bit: the same
 * per-element fp32 arithmetic and the same Philox noise. Skipped, with the
 * reason printed, where no device is present.
 */
class SamplerCudaTest {
    private Device gpu;

    @BeforeEach
    void needDevice() {
        gpu = CudaDevices.firstOrSkip(SamplerCudaTest.class);
    }

    private static short[] run(Device device, SamplerKind kind, int n) {
        Random model = new Random(8);
        try (Scope scope = Scope.open();
                Sampler sampler = Sampler.builder(kind).steps(7).guidance(4).seed(123).build()) {
            Tensor x = Tensor.allocate(device, DType.BF16, Shape.of(2, n / 2));
            Tensor c = Tensor.allocate(device, DType.BF16, Shape.of(2, n / 2));
            Tensor u = Tensor.allocate(device, DType.BF16, Shape.of(2, n / 2));
            sampler.initialNoise(x);
            float[] v = new float[n];
            while (!sampler.isDone()) {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) model.nextGaussian();
                }
                c.copyFrom(v);
                for (int i = 0; i < n; i++) {
                    v[i] = (float) model.nextGaussian();
                }
                u.copyFrom(v);
                sampler.step(x, c, u);
            }
            return x.toBits();
        }
    }

    @Test
    void everySamplerGivesTheCpuBitsOnCuda() {
        for (SamplerKind kind : SamplerKind.values()) {
            assertArrayEquals(run(Device.CPU, kind, 100_002), run(gpu, kind, 100_002), kind.toString());
        }
    }
}
