package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.ForwardFixtures.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java forward against the twin's per-layer traces of the tiny random-weight
 * models: after the embedding, the conditioning vector, the text encoder, every
 * block, the final layer and unpatchify.
 */
class VideoModelParityTest {
    private static final String PROMPT = "a red circle moving right on a black background";

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-full", "tiny-factorised"})
    void fp32ForwardMatchesTheTwinLayerByLayer(String fixture) {
        Map<String, Double> errors = run(ForwardFixtures.resource(fixture), fixture);
        System.out.println(fixture + " fp32 ‖Δ‖/‖ref‖ per stage: " + errors);
        errors.forEach((stage, err) -> assertTrue(err <= 1e-4, fixture + " " + stage + ": ‖Δ‖/‖ref‖ = " + err));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-full", "tiny-factorised"})
    void bf16WeightsStayWithinBf16Tolerance(String fixture) throws Exception {
        Path copy = ForwardFixtures.bf16Copy(ForwardFixtures.resource(fixture), temp.resolve(fixture));
        Map<String, Double> errors = run(copy, fixture);
        System.out.println(fixture + " bf16 weights ‖Δ‖/‖ref‖ per stage: " + errors);
        errors.forEach((stage, err) -> assertTrue(err <= 2e-2, fixture + " bf16 " + stage + ": ‖Δ‖/‖ref‖ = " + err));
        // bf16 weights must actually change the result, or this test would not be testing the conversion
        assertTrue(errors.get("out") > 1e-5, "bf16 weights gave the fp32 result exactly: " + errors.get("out"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-full"})
    void aPerturbedWeightIsDetected(String fixture) throws Exception {
        // The comparison can fail: the same forward with one timestep changed misses the trace.
        Map<String, Array> trace = ForwardFixtures.read(ForwardFixtures.resource(fixture).resolve("trace.safetensors"));
        try (VideoModel model = VideoModel.load(ForwardFixtures.resource(fixture));
             PromptContext prompts = model.encode(List.of(PROMPT, ""))) {
            float[] out = forward(model, prompts, trace, 0.69f, ReelDit.Probe.NONE);
            double err = ForwardFixtures.relativeError(out, trace.get("out").values());
            assertTrue(err > 1e-3, "a changed timestep still matched the trace: " + err);
        }
    }

    /** Relative errors of every traced stage. */
    private static Map<String, Double> run(Path folder, String fixture) {
        Map<String, Array> trace = ForwardFixtures.read(ForwardFixtures.resource(fixture).resolve("trace.safetensors"));
        Map<String, Double> errors = new LinkedHashMap<>();
        try (VideoModel model = VideoModel.load(folder)) {
            Prompt cond = model.vocabulary().encode(PROMPT);
            Prompt uncond = model.vocabulary().encode("");
            double[] ids = trace.get("input.ids").values();
            int[] want = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                want[i] = (int) ids[i];
            }
            int l = cond.ids().length;
            assertArrayEquals(java.util.Arrays.copyOfRange(want, 0, l), cond.ids(), "prompt tokens");
            assertArrayEquals(java.util.Arrays.copyOfRange(want, l, 2 * l), uncond.ids(), "empty prompt tokens");
            assertEquals((long) trace.get("input.lengths").values()[0], cond.length());

            Map<String, float[]> seen = new LinkedHashMap<>();
            ReelDit.Probe probe = (name, address, elements) -> {
                try (Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(elements), address)) {
                    seen.put(name, view.toFloatArray());
                }
            };
            try (PromptContext prompts = model.encodePrompts(List.of(cond, uncond), probe)) {
                float t = (float) trace.get("input.t").values()[0];
                float[] out = forward(model, prompts, trace, t, probe);
                seen.put("out", out);
            }
            List<String> stages = new ArrayList<>(List.of("embed", "conditioning", "text"));
            for (int i = 0; i < model.config().depth(); i++) {
                stages.add("block" + i);
            }
            stages.addAll(List.of("final", "out"));
            for (String stage : stages) {
                assertTrue(seen.containsKey(stage), "the forward never reported " + stage);
                errors.put(stage, ForwardFixtures.relativeError(seen.get(stage), trace.get(stage).values()));
            }
        }
        return errors;
    }

    private static float[] forward(VideoModel model, PromptContext prompts, Map<String, Array> trace, float t,
                                   ReelDit.Probe probe) {
        float[] x = trace.get("input.x").floats();
        try (Tensor in = Tensor.allocate(Device.CPU, DType.F32, Shape.of(x.length));
             Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(x.length))) {
            in.copyFrom(x);
            model.forward(prompts, in, new float[] {t, t}, out, probe);
            return out.toFloatArray();
        }
    }
}
