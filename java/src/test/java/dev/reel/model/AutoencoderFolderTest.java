package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile autoencoder folders: every config field of the {@code "autoencoder"} block, and
 * the weights file it names, refused with a {@link ModelFormatException} naming the file and
 * the field or tensor; and a model folder that pairs a transformer with an autoencoder.
 */
class AutoencoderFolderTest {
    private static final Path FIXTURE = Fixtures.folder("tiny-autoencoder");
    private static final String BLOCK = "autoencoder";

    @TempDir
    Path temp;

    private Path copy() {
        Path into = temp.resolve("ae");
        for (String f : new String[] {"config.json", "autoencoder.safetensors"}) {
            Fixtures.write(into.resolve(f), Fixtures.read(FIXTURE.resolve(f)));
        }
        return into;
    }

    /** A copy of the fixture with its autoencoder block edited. */
    private Path withBlock(Consumer<ObjectNode> edit) {
        Path f = copy();
        ObjectNode c = Fixtures.json(Fixtures.read(f.resolve("config.json")));
        edit.accept((ObjectNode) c.get(BLOCK));
        Fixtures.write(f.resolve("config.json"), Fixtures.bytes(c));
        return f;
    }

    private static ModelFormatException refused(Path folder, String subject, String... phrases) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Autoencoder.open(folder).close());
        assertTrue(e.subject().contains(subject), "subject '" + e.subject() + "' is not " + subject + ": " + e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' does not say " + p);
        }
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"architecture", "file", "image_channels", "latent_channels", "widths", "encoder_blocks",
        "decoder_blocks", "groups", "eps", "downsample", "latent_mean", "latent_std", "pixel_range"})
    void everyFieldIsRequired(String field) {
        ModelFormatException e = refused(withBlock(b -> b.remove(field)), "autoencoder." + field, "missing");
        assertTrue(e.file().endsWith("config.json"), e.file());
    }

    @Test
    void aFolderWithoutTheBlockHasNoAutoencoder() {
        Path f = copy();
        Fixtures.write(f.resolve("config.json"), "{\"architecture\": \"reel-dit\"}");
        refused(f, "autoencoder", "missing", "describes no autoencoder");
    }

    @Test
    void anotherArchitectureIsRefused() {
        refused(withBlock(b -> b.put("architecture", "reel-vae-3d")), "autoencoder.architecture", "is not reel-vae-2d");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../autoencoder.safetensors", "sub/autoencoder.safetensors", "/tmp/x.safetensors",
        "config.json", "", ".safetensors", "C:autoencoder.safetensors"})
    void theWeightsFileMustBeAPlainNameInTheFolder(String name) {
        refused(withBlock(b -> b.put("file", name)), "autoencoder.file", "is not a plain .safetensors file name");
    }

    @Test
    void aMissingWeightsFileIsNamed() throws Exception {
        Path f = copy();
        Files.delete(f.resolve("autoencoder.safetensors"));
        ModelFormatException e = refused(f, "file", "missing");
        assertTrue(e.file().endsWith("autoencoder.safetensors"), e.file());
    }

    @Test
    void aWidthThatIsNotAMultipleOfGroupsIsRefused() {
        refused(withBlock(b -> b.putArray("widths").add(4).add(5).add(8).add(8)), "autoencoder.widths[1]",
                "5 is not a multiple of groups 2");
    }

    @Test
    void noWidthsAreRefused() {
        refused(withBlock(b -> b.putArray("widths")), "autoencoder.widths", "must have 1 to 12 entries, found 0");
    }

    @Test
    void downsampleMustMatchTheLevels() {
        refused(withBlock(b -> b.put("downsample", 4)), "autoencoder.downsample", "4, but 4 widths give 2^3 = 8");
    }

    @Test
    void integersMustBeJsonIntegers() {
        refused(withBlock(b -> b.put("decoder_blocks", 2.0)), "autoencoder.decoder_blocks", "must be an integer");
        refused(withBlock(b -> b.put("groups", "2")), "autoencoder.groups", "must be an integer");
        refused(withBlock(b -> b.put("latent_channels", 0)), "autoencoder.latent_channels", "below the minimum 1");
    }

    @Test
    void epsMustBePositive() {
        refused(withBlock(b -> b.put("eps", 0.0)), "autoencoder.eps", "must be positive");
        refused(withBlock(b -> b.put("eps", "1e-6")), "autoencoder.eps", "must be a number");
    }

    @Test
    void latentStatisticsNeedOneValuePerChannelAndPositiveDeviations() {
        refused(withBlock(b -> b.putArray("latent_mean").add(0.0).add(1.0).add(2.0)), "autoencoder.latent_mean",
                "must have 4 entries, found 3");
        refused(withBlock(b -> b.putArray("latent_std").add(1.0).add(0.0).add(1.0).add(1.0)), "autoencoder.latent_std[1]",
                "is not positive");
        refused(withBlock(b -> b.putArray("latent_std").add(1.0).add(-2.0).add(1.0).add(1.0)),
                "autoencoder.latent_std[1]", "outside");
        refused(withBlock(b -> b.putArray("latent_mean").add(0.0).add("a").add(1.0).add(1.0)),
                "autoencoder.latent_mean[1]", "must be a number");
    }

    @Test
    void pixelRangeMustBeMinusOneToOne() {
        refused(withBlock(b -> b.putArray("pixel_range").add(0.0).add(1.0)), "autoencoder.pixel_range",
                "expected [-1.0, 1.0]");
    }

    // ---------------------------------------------------------------- weights

    private Path withWeights(Fixtures.St st) {
        Path f = copy();
        st.write(f.resolve("autoencoder.safetensors"));
        return f;
    }

    private static Fixtures.St weights() {
        return Fixtures.St.of(FIXTURE.resolve("autoencoder.safetensors"));
    }

    @Test
    void aMissingTensorIsNamed() {
        ModelFormatException e = refused(withWeights(weights().without("decoder.levels.2.blocks.1.conv2.bias")),
                "decoder.levels.2.blocks.1.conv2.bias", "missing", "describes 120 tensors");
        assertTrue(e.file().endsWith("autoencoder.safetensors"), e.file());
    }

    @Test
    void anUnexpectedTensorIsNamed() {
        refused(withWeights(weights().with("decoder.levels.0.up.bias", new long[] {2}, 1f, 2f)), "decoder.levels.0.up.bias",
                "is not a tensor of the reel-vae-2d", "right weights file");
    }

    @Test
    void aTensorOfAnotherShapeIsNamed() {
        Fixtures.St st = weights();
        st.entry("decoder.conv_in.bias").putArray("shape").add(2).add(4);
        refused(withWeights(st), "decoder.conv_in.bias", "shape [2, 4], but", "needs [8]");
    }

    @Test
    void weightsMustBeF32() {
        refused(withWeights(weights().as("BF16")), "", "dtype BF16, but reel-vae-2d weights are F32");
    }

    @Test
    void aNaNWeightIsNamed() {
        refused(withWeights(weights().withValue("encoder.levels.1.down.weight", 5, Float.NaN)),
                "encoder.levels.1.down.weight", "element 5 is NaN");
    }

    // ---------------------------------------------------------------- in a model folder

    @Test
    void aModelFolderOpensItsAutoencoderAndDecodesTheTransformersLatent() {
        Path f = Fixtures.latentModel(temp.resolve("model"));
        ModelFolder folder = ModelFolder.open(f);
        try (folder) {
            Autoencoder ae = folder.autoencoder().orElseThrow();
            assertEquals(3, folder.config().autoencoder().orElseThrow().latentChannels());
            ModelConfig c = folder.config();
            try (VideoDecoder decoder = ae.decoder();
                 Tensor latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, c.channels(), c.frames(), c.height(),
                         c.width()))) {
                latent.copyFrom(new float[(int) latent.numel()]);
                try (Tensor frames = decoder.decode(latent)) {
                    assertEquals(Shape.of(1, 3, c.frames(), 8L * c.height(), 8L * c.width()), frames.shape());
                    for (float v : frames.toFloatArray()) {
                        assertTrue(Float.isFinite(v));
                    }
                }
            }
            assertFalse(ae.isClosed());
        }
        assertTrue(folder.autoencoder().orElseThrow().isClosed(), "closing the folder closes its autoencoder");
    }

    @Test
    void aPixelModelFolderHasNoAutoencoder() {
        try (ModelFolder folder = ModelFolder.open(Fixtures.tinyFull())) {
            assertTrue(folder.autoencoder().isEmpty());
            assertTrue(folder.config().autoencoder().isEmpty());
        }
    }

    @Test
    void theLatentChannelsMustBeTheTransformers() {
        Path f = Fixtures.latentModel(temp.resolve("model"));
        ObjectNode config = Fixtures.json(Fixtures.read(f.resolve("config.json")));
        ObjectNode ae = (ObjectNode) Fixtures.json(Fixtures.read(FIXTURE.resolve("config.json"))).get(BLOCK);
        config.set(BLOCK, ae);   // 4 latent channels against the transformer's 3
        Fixtures.write(f.resolve("config.json"), Fixtures.bytes(config));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFolder.open(f).close());
        assertEquals("autoencoder.latent_channels", e.subject());
        assertTrue(e.getMessage().contains("4, but the transformer has 3 channels"), e.getMessage());
    }

    @Test
    void aModelFolderRefusesItsAutoencodersBadWeights() throws Exception {
        Path f = Fixtures.latentModel(temp.resolve("model"));
        Fixtures.St st = Fixtures.St.of(f.resolve("autoencoder.safetensors"));
        st.without("decoder.norm_out.weight").write(f.resolve("autoencoder.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFolder.open(f).close());
        assertEquals("decoder.norm_out.weight", e.subject());
        Files.delete(f.resolve("autoencoder.safetensors"));
        e = assertThrows(ModelFormatException.class, () -> ModelFolder.open(f).close());
        assertTrue(e.file().endsWith("autoencoder.safetensors") && e.getMessage().contains("missing"), e.getMessage());
    }
}
