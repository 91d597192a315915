package dev.reel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reel.model.PromptContext;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.model.VideoModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A steady-state forward of a model allocates no memory: the workspace is planned once per batch. */
class ModelAllocationTest {
    @Test
    void steadyStateForwardsAllocateNothing() {
        try (VideoModel model = VideoModel.embedded();
             PromptContext prompts = model.encode(List.of("a blue square moving up", ""));
             Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * model.latentSize()));
             Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * model.latentSize()))) {
            x.copyFrom(new float[(int) x.numel()]);
            model.forward(prompts, x, new float[] {0.9f, 0.9f}, out);   // plans the workspace
            long live = Tensor.liveAllocations();
            for (int step = 0; step < 3; step++) {
                model.forward(prompts, x, new float[] {0.5f, 0.5f}, out);
                assertEquals(live, Tensor.liveAllocations(), "live allocations changed at step " + step);
            }
            // the counter does see allocations, so the check above can fail
            try (Tensor extra = Tensor.allocate(Device.CPU, DType.F32, Shape.of(4))) {
                assertEquals(live + 1, Tensor.liveAllocations());
            }
        }
    }

    @Test
    void aGenerationFreesEverythingItAllocated() {
        try (Generator generator = Generator.embedded()) {
            GenerationRequest request = GenerationRequest.builder().prompt("a red circle moving right").steps(3)
                    .variations(3).maxBatch(2).build();
            generator.generate(request);   // plans the workspaces
            long tensors = Tensor.liveAllocations();
            long javacpp = org.bytedeco.javacpp.Pointer.totalBytes();
            for (int i = 0; i < 3; i++) {
                generator.generate(request);
            }
            assertEquals(tensors, Tensor.liveAllocations(), "tensors left live by generate()");
            // JavaCPP frees some small buffers (parameter structs) when they are collected: it may shrink, never grow
            long after = org.bytedeco.javacpp.Pointer.totalBytes();
            org.junit.jupiter.api.Assertions.assertTrue(after <= javacpp,
                    "JavaCPP memory grew across generate(): " + javacpp + " -> " + after + " bytes");
        }
    }
}
