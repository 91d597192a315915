package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.ForwardFixtures.Array;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.sampling.NoiseSchedule;
import dev.reel.sampling.PredictionType;
import dev.reel.sampling.Sampler;
import dev.reel.sampling.SamplerKind;
import dev.reel.video.Video;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The embedded model denoised by a Java loop of Reel's own sampler (flow Euler,
 * fused step) reproduces the twin's trajectory: every step's latent within 1e-3,
 * the final frames within one 8-bit level.
 */
class EmbeddedTrajectoryTest {
    @Test
    void javaLoopReproducesTheTwinTrajectory() {
        Path file = ForwardFixtures.resource("embedded-trajectory.safetensors");
        Map<String, Array> fixture = ForwardFixtures.read(file);
        Map<String, String> meta = ForwardFixtures.metadata(file);
        int steps = Integer.parseInt(meta.get("steps"));
        try (VideoModel model = VideoModel.embedded()) {
            assertEquals("flow_euler", meta.get("sampler"));
            assertEquals(model.config().shift(), Double.parseDouble(meta.get("shift")));
            double[] interval = java.util.Arrays.stream(meta.getOrDefault("guidance_interval", "0,1").split(","))
                    .mapToDouble(Double::parseDouble).toArray();
            assertArrayEquals(model.config().guidanceInterval(), interval, 0, "the fixture ran the model's interval");
            Prompt prompt = model.vocabulary().encode(meta.get("prompt"));
            double[] ids = fixture.get("prompt_ids").values();
            for (int i = 0; i < ids.length; i++) {
                assertEquals((int) ids[i], prompt.ids()[i], "prompt token " + i);
            }
            long n = model.latentSize();
            try (PromptContext prompts = model.encodePrompts(List.of(prompt, model.vocabulary().encode(meta.get("negative_prompt"))));
                 Tensor latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
                 Tensor in = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * n));
                 Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * n));
                 Tensor cond = Tensor.wrap(Device.CPU, DType.F32, Shape.of(n), out.address());
                 Tensor uncond = Tensor.wrap(Device.CPU, DType.F32, Shape.of(n), out.address() + 4 * n);
                 Sampler sampler = Sampler.builder(SamplerKind.EULER)
                         .schedule(NoiseSchedule.flow(model.config().shift()))
                         .steps(steps).prediction(PredictionType.FLOW)
                         .guidance(Double.parseDouble(meta.get("guidance")))
                         .guidanceInterval(interval[0], interval[1])
                         .seed(Long.parseLong(meta.get("seed"))).build()) {
                sampler.initialNoise(latent);
                assertTrue(maxAbs(latent.toFloatArray(), fixture.get("noise").values()) == 0, "initial noise differs");
                int step = 0;
                float[] x = null;
                while (!sampler.isDone()) {
                    float t = (float) sampler.timestep();
                    try (Tensor first = Tensor.wrap(Device.CPU, DType.F32, Shape.of(n), in.address());
                         Tensor second = Tensor.wrap(Device.CPU, DType.F32, Shape.of(n), in.address() + 4 * n)) {
                        x = latent.toFloatArray();
                        first.copyFrom(x);
                        second.copyFrom(x);
                    }
                    model.forward(prompts, in, new float[] {t, t}, out);
                    sampler.step(latent, cond, uncond);
                    step++;
                    x = latent.toFloatArray();
                    double err = maxAbs(x, fixture.get("step" + step).values());
                    assertTrue(err <= 1e-3, "step " + step + ": max |Δ| = " + err);
                }
                assertEquals(steps, step);
                assertArrayEquals(pixels(fixture.get("step" + steps).floats()), pixels(x), 1,
                        "final frames differ by more than one 8-bit level");
            }
        }
    }

    /**
     * generate() — which runs the steps outside the guidance interval as forwards of the
     * conditional row alone — lands on the twin's last latent: its video is that latent decoded.
     */
    @Test
    void generatorReproducesTheTwinTrajectory() {
        Path file = ForwardFixtures.resource("embedded-trajectory.safetensors");
        Map<String, Array> fixture = ForwardFixtures.read(file);
        Map<String, String> meta = ForwardFixtures.metadata(file);
        int steps = Integer.parseInt(meta.get("steps"));
        try (Generator generator = Generator.embedded()) {
            VideoModel model = generator.model();
            Video made = generator.generate(GenerationRequest.builder().prompt(meta.get("prompt")).steps(steps)
                    .guidance(Double.parseDouble(meta.get("guidance"))).seed(Long.parseLong(meta.get("seed"))).build())
                    .get(0).video();
            Video twin;
            try (Tensor last = Tensor.allocate(Device.CPU, DType.F32, Shape.of(model.latentSize()))) {
                last.copyFrom(fixture.get("step" + steps).floats());
                twin = Video.fromLatent(model.decodeVideo(last), model.videoChannels(), model.config().frames(),
                        model.videoHeight(), model.videoWidth(), made.frameRate());
            }
            byte[] a = made.rgb(), b = twin.rgb();
            int worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
            }
            assertTrue(worst <= 2, "generate() differs from the twin's trajectory by " + worst + " 8-bit levels");
        }
    }

    static double maxAbs(float[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static float[] pixels(float[] x) {
        float[] p = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.round(Math.min(1f, Math.max(0f, (x[i] + 1f) / 2f)) * 255f);
        }
        return p;
    }
}
