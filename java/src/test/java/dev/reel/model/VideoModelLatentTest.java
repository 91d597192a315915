package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.video.Video;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A latent model: a transformer with an autoencoder in its folder denoises latents, and
 * its videos are the decoder's frames ({@link Fixtures#latentModel}: 16×16 latents, 128×128
 * videos).
 */
class VideoModelLatentTest {
    @TempDir
    Path temp;

    @Test
    void aLatentModelDecodesItsLatentsIntoLargerFrames() {
        try (VideoModel model = VideoModel.load(Fixtures.latentModel(temp.resolve("m")))) {
            assertTrue(model.hasAutoencoder());
            assertEquals(128, model.videoHeight());
            assertEquals(128, model.videoWidth());
            assertEquals(3, model.videoChannels());
            try (Tensor latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(model.latentSize()))) {
                float[] u = new float[(int) model.latentSize()];
                for (int i = 0; i < u.length; i++) {
                    u[i] = (float) Math.sin(0.1 * i);
                }
                latent.copyFrom(u);
                float[] frames = model.decodeVideo(latent);
                assertEquals(3L * 4 * 128 * 128, frames.length);
                // the same as the autoencoder's own decoder
                try (VideoDecoder decoder = model.folder().autoencoder().orElseThrow().decoder();
                     Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(1, 3, 4, 16, 16), latent.address());
                     Tensor direct = decoder.decode(view)) {
                    assertArrayEquals(direct.toFloatArray(), frames);
                }
                float[] back = model.encodeVideo(frames);
                assertEquals(u.length, back.length);
            }
        }
    }

    @Test
    void aPixelModelsLatentIsItsVideo() {
        try (VideoModel model = VideoModel.load(Fixtures.tinyFull())) {
            assertFalse(model.hasAutoencoder());
            assertEquals(model.config().height(), model.videoHeight());
            float[] frames = new float[(int) model.latentSize()];
            frames[7] = 0.5f;
            assertArrayEquals(frames, model.encodeVideo(frames));
            try (Tensor latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(model.latentSize()))) {
                latent.copyFrom(frames);
                assertArrayEquals(frames, model.decodeVideo(latent));
            }
            assertThrows(IllegalArgumentException.class, () -> model.encodeVideo(new float[3]));
        }
    }

    @Test
    void generateMakesTheDecodersVideoAndVideoToVideoEncodesItsInput() {
        try (Generator generator = Generator.load(Fixtures.latentModel(temp.resolve("m")))) {
            GenerationRequest r = GenerationRequest.builder().prompt("a red circle moving right").steps(2).seed(3).build();
            Video v = generator.generate(r).get(0).video();
            assertEquals(4, v.frames());
            assertEquals(128, v.width());
            assertEquals(128, v.height());
            Path file = temp.resolve("init");
            dev.reel.video.VideoWriter.builder().format(dev.reel.video.VideoFormat.PNG).size(128, 128).build().write(v, file);
            Video again = generator.generate(r.toBuilder().init(file, 0.5).build()).get(0).video();
            assertEquals(128, again.width());
        }
    }
}
