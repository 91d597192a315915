package dev.reel.nn;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.PromptContext;
import dev.reel.model.VideoModel;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import java.util.List;

/**
 * The CPU path end to end in a JVM of its own, for {@link CpuPathLoadsNoCudaClassTest}: a
 * product through {@link Gemm}, a forward of the embedded model and a one-step
 * generation. Prints a last line that says it finished.
 */
public final class CpuPathProbe {
    private CpuPathProbe() {}

    public static void main(String[] args) {
        try (Gemm gemm = new Gemm();
             Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(4, 8));
             Tensor w = Tensor.allocate(Device.CPU, DType.F32, Shape.of(3, 8));
             Tensor y = Tensor.allocate(Device.CPU, DType.F32, Shape.of(4, 3))) {
            x.copyFrom(new float[32]);
            w.copyFrom(new float[24]);
            gemm.linearBias(Device.CPU, 0L, 4, 8, 3, x.address(), 8, w.address(), 0L, y.address(), 3, Activation.GELU_TANH);
        }
        try (VideoModel model = VideoModel.embedded(Device.CPU);
             PromptContext prompts = model.encode(List.of("a red circle moving right", ""));
             Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * model.latentSize()));
             Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * model.latentSize()))) {
            x.copyFrom(new float[(int) (2 * model.latentSize())]);
            model.forward(prompts, x, new float[] {0.5f, 0.5f}, out);
            try (Generator generator = Generator.of(model)) {
                generator.generate(GenerationRequest.builder().prompt("a red circle moving right").steps(1).build());
            }
        }
        System.out.println("CPU path probe finished");
    }
}
