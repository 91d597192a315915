package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reel.attention.AttentionMode;
import dev.reel.sampling.PredictionType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelConfigTest {
    private static final List<String> INT_FIELDS = List.of("channels", "frames", "height", "width", "hidden", "depth",
            "heads", "mlp_ratio", "text_layers", "text_heads", "vocab_size", "max_tokens", "timestep_dim", "steps");
    private static final List<String> STRING_FIELDS = List.of("architecture", "attention", "prediction", "sampler");
    private static final List<String> NUMBER_FIELDS = List.of("rope_theta", "timestep_scale", "guidance", "shift");

    private static ObjectNode tiny() {
        return Fixtures.json(Fixtures.read(Fixtures.tinyFull().resolve("config.json")));
    }

    private static ModelConfig parse(ObjectNode c) {
        return ModelConfig.parse("config.json", Fixtures.bytes(c));
    }

    /** The tiny config with one change must be refused, naming the field and the words given. */
    private static ModelFormatException refused(Consumer<ObjectNode> change, String subject, String... words) {
        ObjectNode c = tiny();
        change.accept(c);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> parse(c));
        assertEquals("config.json", e.file());
        assertEquals(subject, e.subject(), e.getMessage());
        for (String w : words) {
            assertTrue(e.problem().contains(w), () -> "'" + w + "' not in: " + e.getMessage());
        }
        return e;
    }

    /** The tiny config with {@code field} set to raw JSON text (which Jackson would not write, such as 1e999). */
    private static void refusedRaw(String field, String raw, String... words) {
        ObjectNode c = tiny();
        c.put(field, "@RAW@");
        byte[] bytes = new String(Fixtures.bytes(c), StandardCharsets.UTF_8).replace("\"@RAW@\"", raw)
                .getBytes(StandardCharsets.UTF_8);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.parse("config.json", bytes));
        assertEquals(field, e.subject(), e.getMessage());
        for (String w : words) {
            assertTrue(e.problem().contains(w), () -> "'" + w + "' not in: " + e.getMessage());
        }
    }

    @Test
    void tinyConfigReadsEveryField() {
        ModelConfig c = ModelConfig.read(Fixtures.tinyFull().resolve("config.json"));
        assertEquals(3, c.channels());
        assertEquals(4, c.frames());
        assertEquals(16, c.height());
        assertEquals(16, c.width());
        assertEquals(List.of(2, 4, 4), List.of(c.patchT(), c.patchH(), c.patchW()));
        assertEquals(List.of(2, 4, 4), List.of(c.gridT(), c.gridH(), c.gridW()));
        assertEquals(32, c.tokens());
        assertEquals(96, c.patchDim());
        assertEquals(64, c.hidden());
        assertEquals(2, c.depth());
        assertEquals(2, c.heads());
        assertEquals(32, c.headDim());
        assertEquals(4, c.mlpRatio());
        assertEquals(256, c.mlpHidden());
        assertEquals(ModelConfig.Attention.FULL, c.attention());
        assertEquals(10000.0, c.ropeTheta());
        assertArrayEquals(new int[] {8, 12, 12}, c.ropeSections());
        assertEquals(1, c.textLayers());
        assertEquals(2, c.textHeads());
        assertEquals(32, c.textHeadDim());
        assertEquals(35, c.vocabSize());
        assertEquals(16, c.maxTokens());
        assertEquals(32, c.timestepDim());
        assertEquals(1000.0, c.timestepScale());
        assertEquals(ModelConfig.Prediction.FLOW_VELOCITY, c.prediction());
        assertEquals(PredictionType.FLOW, c.prediction().type());
        assertEquals("flow_euler", c.sampler());
        assertEquals(4, c.steps());
        assertEquals(4.0, c.guidance());
        assertEquals(5.0, c.shift());
        assertEquals(AttentionMode.FULL, c.blockMode(1));
    }

    @Test
    void factorisedBlocksAlternateSpatialAndTemporal() {
        ModelConfig c = ModelConfig.read(Fixtures.tinyFactorised().resolve("config.json"));
        assertEquals(ModelConfig.Attention.FACTORISED, c.attention());
        assertEquals(AttentionMode.SPATIAL, c.blockMode(0));
        assertEquals(AttentionMode.TEMPORAL, c.blockMode(1));
        assertThrows(IllegalArgumentException.class, () -> c.blockMode(2));
    }

    @Test
    void expectedTensorsAreExactlyTheFixturesAndTheEmbeddedModel() {
        for (Path folder : List.of(Fixtures.tinyFull(), Fixtures.tinyFactorised(), Fixtures.embeddedFolder())) {
            ModelConfig c = ModelConfig.read(folder.resolve("config.json"));
            Map<String, long[]> expected = c.expectedTensors();
            Map<String, long[]> actual = Fixtures.shapes(Fixtures.St.of(folder.resolve("model.safetensors")));
            assertEquals(actual.keySet(), expected.keySet(), folder.toString());
            long params = 0;
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                assertArrayEquals(actual.get(e.getKey()), e.getValue(), e.getKey());
                long n = 1;
                for (long d : e.getValue()) {
                    n *= d;
                }
                params += n;
            }
            assertEquals(params, c.parameterCount());
            assertEquals(4 * params, c.weightBytes());
        }
    }

    @Test
    void unknownFieldsAreIgnored() {
        ObjectNode c = tiny();
        c.put("trained_steps", 15067).put("something_new", "x").putObject("nested").put("a", 1);
        assertEquals(64, parse(c).hidden());
    }

    @Test
    void forwardEstimateCoversWeightsAndGrowsWithTheBatch() {
        ModelConfig c = ModelConfig.read(Fixtures.embeddedFolder().resolve("config.json"));
        assertTrue(c.forwardBytes(1) > c.weightBytes());
        assertTrue(c.forwardBytes(2) > c.forwardBytes(1));
        long perRow = c.forwardBytes(2) - c.forwardBytes(1);
        // at least the residual stream, q/k/v and the MLP hidden layer of one row
        assertTrue(perRow > 4L * c.tokens() * c.hidden() * (4 + c.mlpRatio()), "per row " + perRow);
        assertThrows(IllegalArgumentException.class, () -> c.forwardBytes(0));
    }

    @Test
    void everyIntegerFieldRefusesNonIntegers() {
        for (String f : INT_FIELDS) {
            for (String bad : List.of("3.5", "16.0", "\"16\"", "true", "null", "[16]", "{}")) {
                refused(c -> c.set(f, json(bad)), f, "must be an integer");
            }
        }
        for (String f : List.of("patch", "rope_sections")) {
            refused(c -> c.put(f, "2,4,4"), f, "must be an array of 3 integers");
            refused(c -> c.set(f, json("[2, 4]")), f, "must have 3 entries");
            refused(c -> c.set(f, json("[2, 4.5, 4]")), f + "[1]", "must be an integer");
        }
    }

    @Test
    void everyStringFieldRefusesOtherTypes() {
        for (String f : STRING_FIELDS) {
            refused(c -> c.put(f, 3), f, "must be a string, found the number 3");
            refused(c -> c.set(f, json("[\"full\"]")), f, "must be a string");
        }
    }

    @Test
    void everyNumberFieldRefusesOtherTypesAndInfinity() {
        for (String f : NUMBER_FIELDS) {
            refused(c -> c.put(f, "4.0"), f, "must be a number");
            refusedRaw(f, "1e999", "not a finite number");
            refusedRaw(f, "-1e999", "not a finite number");
        }
    }

    @Test
    void everyFieldIsRequired() {
        for (String f : List.of("architecture", "channels", "frames", "height", "width", "patch", "hidden", "depth",
                "heads", "mlp_ratio", "attention", "rope_theta", "rope_sections", "text_layers", "text_heads",
                "vocab_size", "max_tokens", "timestep_dim", "timestep_scale", "prediction", "sampler", "steps",
                "guidance", "shift")) {
            refused(c -> c.remove(f), f, "missing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"channels", "frames", "height", "width", "hidden", "depth", "heads", "mlp_ratio",
            "text_layers", "text_heads", "vocab_size", "max_tokens", "timestep_dim", "steps"})
    void absurdlyLargeSizesAreRefusedBeforeAnyAllocation(String field) {
        refused(c -> c.put(field, 1_000_000_000), field, "1000000000 is above the limit");
        refused(c -> c.set(field, json("100000000000000000000000")), field, "is above the limit");
        refused(c -> c.put(field, 0), field, "below the minimum");
        refused(c -> c.put(field, -3), field, "below the minimum");
    }

    @Test
    void absurdPatchesAreRefused() {
        refused(c -> c.set("patch", json("[1000000000, 4, 4]")), "patch[0]", "above the limit");
        refused(c -> c.set("patch", json("[0, 4, 4]")), "patch[0]", "below the minimum");
        refused(c -> c.set("patch", json("[3, 4, 4]")), "patch[0]", "3 does not divide frames 4");
        refused(c -> c.set("patch", json("[2, 4, 5]")), "patch[2]", "does not divide width 16");
    }

    @Test
    void sizesUnderEveryCapButTooBigTogetherAreRefusedWithTheFigure() {
        ModelFormatException e = refused(c -> {
            c.put("frames", 4096).put("height", 4096).put("width", 4096);
            c.set("patch", json("[1, 1, 1]"));
        }, "sizes", "a forward of 2 rows needs about", "GiB", "68719476736 tokens", "limit of 64 GiB");
        assertTrue(e.getMessage().startsWith("config.json: sizes: "), e.getMessage());
        refused(c -> {
            c.put("hidden", 32768).put("heads", 256).put("text_heads", 256).put("depth", 4000);
            c.set("rope_sections", json("[32, 48, 48]"));
        }, "sizes", "weights");
    }

    @Test
    void headsMustDivideHidden() {
        refused(c -> c.put("heads", 3), "heads", "3 does not divide hidden 64");
        refused(c -> c.put("text_heads", 5), "text_heads", "5 does not divide hidden 64");
    }

    @Test
    void headDimMustBeOneTheAttentionRuns() {
        refused(c -> c.put("heads", 4), "heads", "head dim hidden/heads = 64/4 = 16");
        refused(c -> c.put("text_heads", 4), "text_heads", "= 16", "32, 64, 96 or 128");
        assertEquals(64, parse(with(c -> c.put("text_heads", 1))).textHeadDim());
    }

    @Test
    void ropeSectionsMustBeEvenAndSumToTheHeadDim() {
        refused(c -> c.set("rope_sections", json("[8, 12, 14]")), "rope_sections", "sum to 34, not the head dim 32");
        refused(c -> c.set("rope_sections", json("[7, 13, 12]")), "rope_sections[0]", "odd");
        refused(c -> c.set("rope_sections", json("[-8, 20, 20]")), "rope_sections[0]", "below the minimum 0");
        assertArrayEquals(new int[] {0, 16, 16}, parse(with(c -> c.set("rope_sections", json("[0, 16, 16]"))))
                .ropeSections());
    }

    @Test
    void choicesMustBeKnown() {
        refused(c -> c.put("architecture", "unet"), "architecture", "\"unet\" is not reel-dit");
        refused(c -> c.put("attention", "window"), "attention", "not one of full, factorised");
        refused(c -> c.put("prediction", "epsilon"), "prediction", "not one of flow_velocity, flow_sample");
        refused(c -> c.put("sampler", "ddpm"), "sampler", "not one of flow_euler, flow_heun");
    }

    @Test
    void defaultsMustBeInRange() {
        refused(c -> c.put("steps", 0), "steps", "below the minimum 1");
        refused(c -> c.put("guidance", -1), "guidance", "below the minimum");
        refused(c -> c.put("guidance", 1e6), "guidance", "above the limit");
        refused(c -> c.put("shift", 0), "shift", "positive");
        refused(c -> c.put("timestep_scale", 0), "timestep_scale", "positive");
        refused(c -> c.put("rope_theta", 1), "rope_theta", "above 1");
        refused(c -> c.put("timestep_dim", 33), "timestep_dim", "odd");
        refused(c -> c.put("max_tokens", 1), "max_tokens", "below the minimum 2");
        assertEquals(ModelConfig.Prediction.FLOW_SAMPLE, parse(with(c -> c.put("prediction", "flow_sample")))
                .prediction());
    }

    @Test
    void guidanceIntervalIsOptionalAndChecked() {
        ObjectNode none = tiny();
        none.remove("guidance_interval");
        assertArrayEquals(new double[] {0, 1}, parse(none).guidanceInterval(), "absent: every step");
        assertArrayEquals(new double[] {0.85, 1}, parse(with(c -> c.putArray("guidance_interval").add(0.85).add(1)))
                .guidanceInterval());
        refused(c -> c.putArray("guidance_interval").add(0.9).add(0.5), "guidance_interval", "from <= to");
        refused(c -> c.putArray("guidance_interval").add(-0.1).add(0.5), "guidance_interval[0]", "-0.1");
        refused(c -> c.putArray("guidance_interval").add(0.5).add(1.5), "guidance_interval[1]", "1.5");
        refused(c -> c.putArray("guidance_interval").add(0.5), "guidance_interval", "2 entries");
        refused(c -> c.put("guidance_interval", "0.9,1"), "guidance_interval", "2 numbers");
    }

    @Test
    void configThatIsNotAJsonObjectIsRefused() {
        for (String bad : List.of("", "{", "[]", "{\"hidden\": 64,}", "{\"hidden\": 64} x", "{\"a\":1,\"a\":2}", "\u00ff")) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> ModelConfig.parse("config.json", bad.getBytes(StandardCharsets.UTF_8)));
            assertEquals("config.json", e.file());
            assertEquals("config", e.subject(), e.getMessage());
        }
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelConfig.parse("config.json", new byte[] {'{', (byte) 0xFF, '}'}));
        assertTrue(e.problem().contains("UTF-8"), e.getMessage());
    }

    private static ObjectNode with(Consumer<ObjectNode> change) {
        ObjectNode c = tiny();
        change.accept(c);
        return c;
    }

    private static JsonNode json(String text) {
        try {
            return Fixtures.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
