package dev.reel.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.CudaDevices;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.VideoModel;
import dev.reel.sampling.NoiseSchedule;
import dev.reel.sampling.PredictionType;
import dev.reel.sampling.Sampler;
import dev.reel.sampling.SamplerKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code generate()} on a CUDA device against the CPU for the same request and seed.
 * Skipped, with the reason printed, where no CUDA device is present.
 */
class GeneratorCudaTest {
    private Device gpu;

    @BeforeEach
    void needDevice() {
        gpu = CudaDevices.firstOrSkip(GeneratorCudaTest.class);
    }

    @Test
    void initialNoiseIsTheCpusBitForBit() {
        try (VideoModel model = VideoModel.embedded(Device.CPU);
             Sampler onCpu = flowEuler(1234);
             Sampler onGpu = flowEuler(1234);
             Tensor h = Tensor.allocate(Device.CPU, DType.F32, Shape.of(model.latentSize()));
             Tensor d = Tensor.allocate(gpu, DType.F32, Shape.of(model.latentSize()))) {
            onCpu.initialNoise(h);
            onGpu.initialNoise(d);
            assertArrayEquals(h.toFloatArray(), d.toFloatArray(), 0f);
        }
    }

    /** The embedded model's sampler: Euler on the flow schedule. */
    private static Sampler flowEuler(long seed) {
        return Sampler.builder(SamplerKind.EULER).schedule(NoiseSchedule.flow(3.0)).prediction(PredictionType.FLOW)
                .steps(4).seed(seed).build();
    }

    @Test
    void framesAreWithinTwoLevelsOfTheCpus() {
        GenerationRequest request = GenerationRequest.builder().prompt("a red circle moving right").seed(42).build();
        byte[] cpu, cuda;
        try (Generator g = Generator.embedded(Device.CPU)) {
            cpu = g.generate(request).get(0).video().rgb();
        }
        try (Generator g = Generator.embedded(gpu)) {
            assertEquals(gpu, g.model().device());
            cuda = g.generate(request).get(0).video().rgb();
        }
        assertEquals(cpu.length, cuda.length);
        int worst = 0;
        long sum = 0, off = 0;
        for (int i = 0; i < cpu.length; i++) {
            int diff = Math.abs((cpu[i] & 0xff) - (cuda[i] & 0xff));
            worst = Math.max(worst, diff);
            sum += diff;
            off += diff > 2 ? 1 : 0;
        }
        System.out.printf("generate() CUDA vs CPU: max %d levels, mean %.4f, %d of %d values more than 2 apart%n",
                worst, sum / (double) cpu.length, off, cpu.length);
        assertTrue(worst <= 2, "CUDA frames differ from the CPU's by up to " + worst + " levels");
    }
}
