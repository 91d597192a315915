package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Tensor;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {
    @TempDir
    Path dir;

    private static void assertLoadsEveryExpectedTensor(ModelFolder m) {
        Map<String, long[]> expected = m.config().expectedTensors();
        assertEquals(expected.keySet(), new java.util.TreeSet<>(m.weights().names()));
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Tensor t = m.weight(e.getKey());
            assertEquals(DType.F32, t.dtype());
            assertEquals(Device.CPU, t.device());
            assertArrayEquals(e.getValue(), t.shape().dims(), e.getKey());
            assertArrayEquals(m.weights().toFloatArray(e.getKey()), t.toFloatArray(), e.getKey());
        }
    }

    private ModelFormatException refused(Path folder, String subject, String... words) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFolder.open(folder).close());
        assertEquals(subject, e.subject(), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), () -> "'" + w + "' not in: " + e.getMessage());
        }
        return e;
    }

    private Path tinyCopy() {
        return Fixtures.copy(Fixtures.tinyFull(), dir.resolve("tiny"));
    }

    private Path tinyWith(Fixtures.St weights) {
        Path f = tinyCopy();
        weights.write(f.resolve("model.safetensors"));
        return f;
    }

    private static Fixtures.St tinyWeights() {
        return Fixtures.St.of(Fixtures.tinyFull().resolve("model.safetensors"));
    }

    @Test
    void fixturesLoadWithEveryExpectedTensor() {
        for (Path folder : List.of(Fixtures.tinyFull(), Fixtures.tinyFactorised())) {
            try (ModelFolder m = ModelFolder.open(folder)) {
                assertEquals(folder.getFileName().toString(), m.name());
                assertEquals(64, m.config().hidden());
                assertEquals(35, m.vocabulary().size());
                assertLoadsEveryExpectedTensor(m);
            }
        }
    }

    @Test
    void f32WeightsAreViewsOfTheMapping() {
        try (ModelFolder m = ModelFolder.open(Fixtures.tinyFull())) {
            Tensor t = m.weight("pool.weight");
            assertEquals(m.weights().entry("pool.weight").address(), t.address());
            assertSame(t, m.weight("pool.weight"));
            t.close(); // allowed: a later call hands out a fresh view of the same bytes
            Tensor again = m.weight("pool.weight");
            assertEquals(m.weights().entry("pool.weight").address(), again.address());
        }
    }

    @Test
    void embeddedModelLoadsFromTheClassPath() throws Exception {
        try (ModelFolder m = ModelFolder.embedded()) {
            assertEquals("embedded", m.name());
            assertEquals(128, m.config().hidden());
            assertEquals(6, m.config().depth());
            assertEquals(ModelConfig.Attention.FULL, m.config().attention());
            assertEquals(6, m.vocabulary().encode("a red circle moving right").length());
            assertLoadsEveryExpectedTensor(m);
            byte[] file = Fixtures.read(Fixtures.embeddedFolder().resolve("model.safetensors"));
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file)), m.weightsSha256());
        }
    }

    @Test
    void embeddedModelLoadsFromInsideAJarWithoutATemporaryFile() throws IOException {
        Path jar = dir.resolve("model.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String f : List.of("config.json", "vocabulary.json", "model.safetensors", "autoencoder.safetensors")) {
                if (!Files.exists(Fixtures.embeddedFolder().resolve(f))) {
                    continue; // a pixel-space model has no autoencoder
                }
                out.putNextEntry(new JarEntry("dev/reel/model/embedded/" + f));
                out.write(Fixtures.read(Fixtures.embeddedFolder().resolve(f)));
                out.closeEntry();
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                ModelFolder fromJar = ModelFolder.fromResources(loader, "dev/reel/model/embedded/", "embedded");
                ModelFolder fromFolder = ModelFolder.embedded()) {
            assertTrue(fromJar.location().startsWith("jar:"), fromJar.location());
            assertEquals(fromFolder.weights().names(), fromJar.weights().names());
            for (String n : fromFolder.weights().names()) {
                assertArrayEquals(fromFolder.weight(n).toFloatArray(), fromJar.weight(n).toFloatArray(), n);
            }
            assertEquals(fromFolder.weightsSha256(), fromJar.weightsSha256());
        }
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(jar), left.toList());
        }
    }

    @Test
    void bf16AndF16CopiesLoadAsF32WithinTheirRounding() {
        try (ModelFolder f32 = ModelFolder.open(Fixtures.tinyFull())) {
            for (String dtype : List.of("BF16", "F16")) {
                Path folder = Fixtures.copy(Fixtures.tinyFull(), dir.resolve(dtype));
                tinyWeights().as(dtype).write(folder.resolve("model.safetensors"));
                double relative = dtype.equals("BF16") ? 0x1p-8 : 0x1p-11;
                try (ModelFolder m = ModelFolder.open(folder)) {
                    assertEquals(f32.weights().names(), m.weights().names());
                    for (String n : f32.weights().names()) {
                        assertEquals(DType.valueOf(dtype), m.weights().entry(n).dtype());
                        Tensor t = m.weight(n);
                        assertEquals(DType.F32, t.dtype());
                        assertNotEquals(m.weights().entry(n).address(), t.address()); // a converted copy
                        float[] want = f32.weight(n).toFloatArray();
                        float[] got = t.toFloatArray();
                        assertArrayEquals(m.weights().toFloatArray(n), got, n);
                        for (int i = 0; i < want.length; i++) {
                            double bound = relative * Math.abs(want[i]) + 0x1p-25;
                            assertTrue(Math.abs(got[i] - want[i]) <= bound, n + "[" + i + "]: " + got[i] + " vs " + want[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void shardedCopyLoadsIdentically() {
        Path folder = dir.resolve("sharded");
        Fixtures.write(folder.resolve("config.json"), Fixtures.read(Fixtures.tinyFull().resolve("config.json")));
        Fixtures.write(folder.resolve("vocabulary.json"), Fixtures.read(Fixtures.tinyFull().resolve("vocabulary.json")));
        Fixtures.St st = tinyWeights();
        Map<String, Fixtures.St.Tensor> all = st.tensors();
        ObjectNode index = Fixtures.JSON.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        for (int s = 0; s < 3; s++) {
            Map<String, Fixtures.St.Tensor> part = new java.util.TreeMap<>();
            int i = 0;
            for (Map.Entry<String, Fixtures.St.Tensor> e : all.entrySet()) {
                if (i++ % 3 == s) {
                    part.put(e.getKey(), e.getValue());
                    map.put(e.getKey(), "shard-" + s + ".safetensors");
                }
            }
            st.pack(part).write(folder.resolve("shard-" + s + ".safetensors"));
        }
        Fixtures.write(folder.resolve(ModelFolder.INDEX), Fixtures.bytes(index));
        try (ModelFolder one = ModelFolder.open(Fixtures.tinyFull()); ModelFolder sharded = ModelFolder.open(folder)) {
            assertEquals(one.weights().names(), sharded.weights().names());
            for (String n : one.weights().names()) {
                assertArrayEquals(one.weight(n).toFloatArray(), sharded.weight(n).toFloatArray(), n);
            }
            assertEquals(64, sharded.weightsSha256().length());
        }
        Fixtures.write(folder.resolve(ModelFolder.WEIGHTS), Fixtures.read(Fixtures.tinyFull().resolve("model.safetensors")));
        refused(folder, "weights", "both model.safetensors and model.safetensors.index.json");
    }

    @Test
    void closeClosesTheWeightTensors() {
        ModelFolder m = ModelFolder.open(Fixtures.tinyFull());
        Tensor t = m.weight("pool.weight");
        m.close();
        m.close();
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, t::address);
        assertThrows(IllegalStateException.class, () -> m.weight("pool.weight"));
        assertTrue(m.weights().isClosed());
    }

    @Test
    void unknownWeightNameIsRefused() {
        try (ModelFolder m = ModelFolder.open(Fixtures.tinyFull())) {
            assertEquals("pool.wieght", assertThrows(ModelFormatException.class, () -> m.weight("pool.wieght")).subject());
        }
    }

    // ------------------------------------------------------------ hostile folders, one per case

    @Test
    void missingFolder() {
        ModelFormatException e = refused(dir.resolve("nothing-here"), "folder", "does not exist");
        assertEquals(dir.resolve("nothing-here").toString(), e.file());
        refused(Fixtures.tinyFull().resolve("config.json"), "folder", "is a file");
    }

    @Test
    void missingConfigJson() throws IOException {
        Path f = tinyCopy();
        Files.delete(f.resolve("config.json"));
        ModelFormatException e = refused(f, "file", "missing");
        assertEquals(f.resolve("config.json").toString(), e.file());
    }

    @Test
    void missingVocabularyJson() throws IOException {
        Path f = tinyCopy();
        Files.delete(f.resolve("vocabulary.json"));
        assertTrue(refused(f, "file", "missing").file().endsWith("vocabulary.json"));
    }

    @Test
    void missingWeights() throws IOException {
        Path f = tinyCopy();
        Files.delete(f.resolve("model.safetensors"));
        assertTrue(refused(f, "file", "missing", "nor is there a model.safetensors.index.json").file()
                .endsWith("model.safetensors"));
    }

    @Test
    void configJsonNotJson() {
        Path f = tinyCopy();
        Fixtures.write(f.resolve("config.json"), "architecture = reel-dit\n");
        assertTrue(refused(f, "config", "not valid JSON").file().endsWith("config.json"));
    }

    @Test
    void configFieldOfTheWrongTypeNamesFileAndField() {
        Path f = tinyCopy();
        ObjectNode c = Fixtures.json(Fixtures.read(f.resolve("config.json")));
        c.put("depth", "2");
        Fixtures.write(f.resolve("config.json"), Fixtures.bytes(c));
        ModelFormatException e = refused(f, "depth", "must be an integer, found the string \"2\"");
        assertTrue(e.getMessage().startsWith(f.resolve("config.json") + ": depth: "), e.getMessage());
    }

    @Test
    void vocabularyThatDoesNotMatchTheConfig() {
        Path f = tinyCopy();
        ObjectNode c = Fixtures.json(Fixtures.read(f.resolve("config.json")));
        c.put("vocab_size", 36);
        Fixtures.write(f.resolve("config.json"), Fixtures.bytes(c));
        refused(f, "vocab_size", "36, but", "vocabulary.json has 35 tokens");
        c.put("vocab_size", 35).put("max_tokens", 12);
        Fixtures.write(f.resolve("config.json"), Fixtures.bytes(c));
        refused(f, "max_tokens", "12, but", "has max_tokens 16");
    }

    @Test
    void configWithAbsurdSizesIsRefusedBeforeTheWeightsAreOpened() {
        Path f = tinyCopy();
        ObjectNode c = Fixtures.json(Fixtures.read(f.resolve("config.json")));
        c.put("hidden", 1_000_000_000);
        Fixtures.write(f.resolve("config.json"), Fixtures.bytes(c));
        Fixtures.write(f.resolve("model.safetensors"), new byte[3]); // would be refused too, but later
        refused(f, "hidden", "above the limit");
    }

    @Test
    void missingTensor() {
        ModelFormatException e = refused(tinyWith(tinyWeights().without("blocks.1.cross.kv.weight")),
                "blocks.1.cross.kv.weight", "missing", "describes 75 tensors");
        assertTrue(e.file().endsWith("model.safetensors"));
    }

    @Test
    void unexpectedTensor() {
        refused(tinyWith(tinyWeights().with("blocks.2.ada.bias", new long[] {2}, 1f, 2f)), "blocks.2.ada.bias",
                "is not a tensor of the reel-dit", "right weights file");
    }

    @Test
    void wrongShape() {
        Fixtures.St st = tinyWeights();
        st.entry("pool.weight").putArray("shape").add(32).add(128);
        refused(tinyWith(st), "pool.weight", "shape [32, 128], but", "config.json needs [64, 64]");
    }

    @Test
    void nanWeight() {
        refused(tinyWith(tinyWeights().withValue("blocks.1.mlp.fc2.weight", 17, Float.NaN)), "blocks.1.mlp.fc2.weight",
                "element 17 is NaN");
    }

    @Test
    void infiniteWeights() {
        refused(tinyWith(tinyWeights().withValue("text.tok_embed", 0, Float.POSITIVE_INFINITY)), "text.tok_embed",
                "element 0 is +Inf");
        refused(tinyWith(tinyWeights().withValue("final.linear.bias", 95, Float.NEGATIVE_INFINITY)), "final.linear.bias",
                "element 95 is -Inf");
    }

    @Test
    void nonFiniteBf16Weight() {
        Fixtures.St bf16 = tinyWeights().withValue("pool.bias", 3, Float.NaN).as("BF16");
        refused(tinyWith(bf16), "pool.bias", "element 3 is NaN");
    }

    @Test
    void brokenWeightsFileNamesTheFile() {
        Path f = tinyCopy();
        Fixtures.write(f.resolve("model.safetensors"), new byte[] {1, 2, 3});
        ModelFormatException e = refused(f, "file", "shorter than the 8-byte header length");
        assertTrue(e.file().endsWith("model.safetensors"));
    }

    @Test
    void oneFolderOpenedTwiceIsIndependent() {
        ModelFolder a = ModelFolder.open(Fixtures.tinyFull());
        try (ModelFolder b = ModelFolder.open(Fixtures.tinyFull())) {
            a.close();
            assertEquals(64, b.weight("pool.bias").numel());
        }
    }
}
