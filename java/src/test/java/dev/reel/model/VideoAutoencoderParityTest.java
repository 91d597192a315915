package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.ForwardFixtures.Array;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Java encoder and decoder against the twin's per-level trace of the tiny random-weight
 * autoencoder (tools/make_autoencoder_fixture.py): two videos of two 32×24 frames, every
 * level within 1e-4 (‖Δ‖/‖ref‖) of the reference; and what the trace cannot show.
 */
class VideoAutoencoderParityTest {
    private static final Path FOLDER = ForwardFixtures.resource("tiny-autoencoder");
    private static final Map<String, Array> TRACE = ForwardFixtures.read(FOLDER.resolve("trace.safetensors"));

    private static Tensor tensor(Array a) {
        Tensor t = Tensor.allocate(Device.CPU, DType.F32, Shape.of(a.shape()));
        t.copyFrom(a.floats());
        return t;
    }

    /** Records every probed stage, the videos of a batch one after another. */
    private static ReelDit.Probe recorder(Map<String, List<float[]>> seen) {
        return (name, address, elements) -> {
            try (Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(elements), address)) {
                seen.computeIfAbsent(name, k -> new ArrayList<>()).add(view.toFloatArray());
            }
        };
    }

    private static float[] joined(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static Map<String, Double> errors(Map<String, List<float[]>> seen, List<String> stages) {
        Map<String, Double> errors = new LinkedHashMap<>();
        for (String stage : stages) {
            assertTrue(seen.containsKey(stage), "the forward never reported " + stage);
            errors.put(stage, ForwardFixtures.relativeError(joined(seen.get(stage)), TRACE.get(stage).values()));
        }
        return errors;
    }

    @Test
    void decoderMatchesTheTwinLevelByLevel() {
        Map<String, List<float[]>> seen = new LinkedHashMap<>();
        try (Autoencoder ae = Autoencoder.open(FOLDER); VideoDecoder decoder = ae.decoder();
             Tensor latent = tensor(TRACE.get("latent"));
             Tensor frames = Tensor.allocate(Device.CPU, DType.F32, Shape.of(TRACE.get("out").shape()))) {
            decoder.decode(latent, frames, recorder(seen));
            seen.put("out", List.of(frames.toFloatArray()));
        }
        Map<String, Double> errors = errors(seen, List.of("decoder.conv_in", "decoder.level3", "decoder.level2",
                "decoder.level1", "decoder.level0", "out"));
        System.out.println("tiny-autoencoder decoder ‖Δ‖/‖ref‖ per stage: " + errors);
        errors.forEach((stage, err) -> assertTrue(err <= 1e-4, stage + ": ‖Δ‖/‖ref‖ = " + err));
    }

    @Test
    void encoderMatchesTheTwinLevelByLevel() {
        Map<String, List<float[]>> seen = new LinkedHashMap<>();
        try (Autoencoder ae = Autoencoder.open(FOLDER); VideoEncoder encoder = ae.encoder();
             Tensor frames = tensor(TRACE.get("input.frames"))) {
            try (Tensor latent = encoder.encode(frames)) {
                assertArrayEquals(TRACE.get("latent").shape(), latent.shape().dims());
                seen.put("latent", List.of(latent.toFloatArray()));
            }
            try (Tensor latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(TRACE.get("latent").shape()))) {
                encoder.encode(frames, latent, recorder(seen));
            }
        }
        Map<String, Double> errors = errors(seen, List.of("encoder.level0", "encoder.level1", "encoder.level2",
                "encoder.level3", "mean", "latent"));
        System.out.println("tiny-autoencoder encoder ‖Δ‖/‖ref‖ per stage: " + errors);
        errors.forEach((stage, err) -> assertTrue(err <= 1e-4, stage + ": ‖Δ‖/‖ref‖ = " + err));
    }

    @Test
    void aSlightlyChangedLatentMissesTheTrace() {
        // The comparison can fail: the latent scaled by 1.01 decodes measurably differently.
        Array u = TRACE.get("latent");
        double[] scaled = u.values().clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= 1.01;
        }
        try (Autoencoder ae = Autoencoder.open(FOLDER); VideoDecoder decoder = ae.decoder();
             Tensor latent = tensor(new Array(u.shape(), scaled)); Tensor frames = decoder.decode(latent)) {
            double err = ForwardFixtures.relativeError(frames.toFloatArray(), TRACE.get("out").values());
            assertTrue(err > 1e-3, "a changed latent still matched the trace: " + err);
        }
    }

    @Test
    void aBatchDecodesAsItsVideosOneByOne() {
        Array u = TRACE.get("latent");
        long[] one = u.shape().clone();
        one[0] = 1;
        int per = u.values().length / 2;
        try (Autoencoder ae = Autoencoder.open(FOLDER); VideoDecoder decoder = ae.decoder();
             Tensor both = tensor(u); Tensor out = decoder.decode(both)) {
            float[] all = out.toFloatArray();
            for (int b = 0; b < 2; b++) {
                double[] part = java.util.Arrays.copyOfRange(u.values(), b * per, (b + 1) * per);
                try (Tensor single = tensor(new Array(one, part)); Tensor alone = decoder.decode(single)) {
                    float[] got = alone.toFloatArray();
                    assertArrayEquals(java.util.Arrays.copyOfRange(all, b * got.length, (b + 1) * got.length), got,
                            "video " + b);
                }
            }
        }
    }

    @Test
    void aSteadyStateDecodeAllocatesNoMemory() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Autoencoder ae = Autoencoder.open(FOLDER); VideoDecoder decoder = ae.decoder(); VideoEncoder encoder = ae.encoder();
             Tensor latent = tensor(TRACE.get("latent")); Tensor input = tensor(TRACE.get("input.frames"));
             Tensor frames = Tensor.allocate(Device.CPU, DType.F32, Shape.of(TRACE.get("out").shape()))) {
            for (int i = 0; i < 300; i++) {  // warm up: the JIT, the workspace, the per-thread structs
                decoder.decode(latent, frames);
                encoder.encode(input, latent);
            }
            long id = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 100; i++) {
                decoder.decode(latent, frames);
                encoder.encode(input, latent);
            }
            long perPass = (threads.getThreadAllocatedBytes(id) - before) / 200;
            assertTrue(perPass < 256, "a decode or encode allocates " + perPass + " bytes");
        }
    }

    @Test
    void mistakesAreIllegalArguments() {
        try (Autoencoder ae = Autoencoder.open(FOLDER); VideoDecoder decoder = ae.decoder(); VideoEncoder encoder = ae.encoder();
             Tensor latent = tensor(TRACE.get("latent"))) {
            try (Tensor flat = Tensor.allocate(Device.CPU, DType.F32, Shape.of(latent.numel()))) {
                expect("latent must be [B, 4, T, h, w]", () -> decoder.decode(flat));
            }
            try (Tensor frames = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2, 3, 2, 32, 32))) {
                expect("decodes to [2, 3, 2, 32, 24]", () -> decoder.decode(latent, frames));
            }
            try (Tensor odd = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, 3, 2, 30, 24))) {
                expect("multiples of 8", () -> encoder.encode(odd));
            }
            try (Tensor half = latent.to(DType.BF16)) {
                expect("must be F32", () -> decoder.decode(half));
            }
            expect("latent is null", () -> decoder.decode(null));
        }
        Autoencoder ae = Autoencoder.open(FOLDER);
        VideoDecoder decoder = ae.decoder();
        ae.close();
        try (Tensor latent = tensor(TRACE.get("latent"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> decoder.decode(latent));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        } finally {
            decoder.close();
        }
        assertThrows(IllegalStateException.class, ae::decoder);
    }

    @Test
    void theFixtureIsTheArchitectureItSays() {
        try (Autoencoder ae = Autoencoder.open(FOLDER)) {
            AutoencoderConfig c = ae.config();
            assertArrayEquals(new int[] {4, 4, 8, 8}, c.widths());
            assertEquals(8, c.downsample());
            assertEquals(2, c.groups());
            assertEquals(ae.weights().names().size(), c.expectedTensors().size());
        }
    }

    private static void expect(String needle, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(needle), "'" + e.getMessage() + "' does not name " + needle);
    }
}
