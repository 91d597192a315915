package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The device overloads of {@link VideoModel} on the CPU: argument checks, and a steady state that allocates nothing. */
class VideoModelDeviceTest {
    @Test
    void aNullDeviceIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VideoModel.embedded(null));
        assertTrue(e.getMessage().contains("device"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> VideoModel.load(ForwardFixtures.resource("tiny-full"), null));
        assertThrows(IllegalArgumentException.class, () -> VideoModel.load(null, Device.CPU));
    }

    @Test
    void aStreamNeedsACudaDevice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VideoModel.embedded(Device.CPU, 0L));
        assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> VideoModel.load(ForwardFixtures.resource("tiny-full"), Device.CPU, 0L));
    }

    @Test
    void aCpuModelSaysWhereItRuns() {
        try (VideoModel model = VideoModel.load(ForwardFixtures.resource("tiny-full"), Device.CPU)) {
            assertSame(Device.CPU, model.device());
            assertEquals(0L, model.stream());
            model.synchronize();
        }
    }

    @Test
    void aSteadyStateCpuForwardAllocatesNothing() {
        assertSteadyStateAllocatesNothing(Device.CPU);
    }

    /** Two forwards warm the workspace; three more must not call reel_malloc once. */
    static void assertSteadyStateAllocatesNothing(Device device) {
        try (VideoModel model = VideoModel.load(ForwardFixtures.resource("tiny-factorised"), device);
             PromptContext prompts = model.encode(List.of("a red circle moving right", ""));
             Tensor x = Tensor.allocate(device, DType.F32, Shape.of(2 * model.latentSize()));
             Tensor out = Tensor.allocate(device, DType.F32, Shape.of(2 * model.latentSize()))) {
            x.copyFrom(new float[(int) (2 * model.latentSize())]);
            float[] t = {0.7f, 0.7f};
            model.forward(prompts, x, t, out);
            model.forward(prompts, x, t, out);
            model.synchronize();
            long before = Tensor.allocationCount();
            for (int i = 0; i < 3; i++) {
                model.forward(prompts, x, t, out);
            }
            model.synchronize();
            assertEquals(before, Tensor.allocationCount(), "a steady-state forward on " + device + " allocated");
        }
    }
}
