package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.CudaDevices;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.ForwardFixtures.Array;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The autoencoder's decoder on a CUDA device (bf16 convolution products) against the CPU
 * decoder and the twin's trace of the tiny autoencoder; a steady-state decode allocates
 * only its output. Skipped, with the reason printed, where no CUDA device is present.
 */
class VideoDecoderCudaTest {
    private static final Path FOLDER = ForwardFixtures.resource("tiny-autoencoder");

    private Device gpu;

    @BeforeEach
    void needDevice() {
        gpu = CudaDevices.firstOrSkip(VideoDecoderCudaTest.class);
    }

    @Test
    void decodeMatchesTheCpuAndTheTwin() {
        Map<String, Array> trace = ForwardFixtures.read(FOLDER.resolve("trace.safetensors"));
        Array latent = trace.get("latent");
        float[] cpu, cuda;
        try (Autoencoder ae = Autoencoder.open(FOLDER)) {
            try (VideoDecoder decoder = ae.decoder();
                 Tensor in = Tensor.allocate(Device.CPU, DType.F32, Shape.of(latent.shape()));
                 Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(trace.get("out").shape()))) {
                in.copyFrom(latent.floats());
                decoder.decode(in, out);
                cpu = out.toFloatArray();
            }
            try (VideoDecoder decoder = ae.decoder(gpu, 0L);
                 Tensor in = Tensor.allocate(gpu, DType.F32, Shape.of(latent.shape()));
                 Tensor out = Tensor.allocate(gpu, DType.F32, Shape.of(trace.get("out").shape()))) {
                assertEquals(gpu, decoder.device());
                in.copyFrom(latent.floats());
                decoder.decode(in, out);
                long before = Tensor.allocationCount();
                decoder.decode(in, out);
                assertEquals(before, Tensor.allocationCount(), "a steady-state decode on the device allocated");
                cuda = out.toFloatArray();
            }
        }
        double vsCpu = ForwardFixtures.relativeError(cuda, toDoubles(cpu));
        double vsTwin = ForwardFixtures.relativeError(cuda, trace.get("out").values());
        System.out.println("tiny-autoencoder decoder CUDA vs CPU ‖Δ‖/‖ref‖ " + vsCpu + ", vs twin " + vsTwin);
        assertTrue(vsCpu <= 2e-2 && vsTwin <= 2e-2, "CUDA decoder: vs CPU " + vsCpu + ", vs twin " + vsTwin);
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
