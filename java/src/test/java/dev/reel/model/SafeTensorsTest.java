package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private static final byte[] EIGHT_FLOATS = new byte[32];

    /** Writes the bytes, opens them as a file and as a buffer: both must refuse with the words given. */
    private ModelFormatException refused(byte[] file, String... words) {
        Path p = Fixtures.write(dir.resolve("t.safetensors"), file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.open(p).close());
        ModelFormatException b = assertThrows(ModelFormatException.class,
                () -> SafeTensors.fromBuffer("buffer", Fixtures.direct(file)).close());
        assertEquals(e.problem(), b.problem());
        assertEquals(e.subject(), b.subject());
        assertEquals(p.toString(), e.file());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), () -> "'" + w + "' not in: " + e.getMessage());
        }
        return e;
    }

    private static String one(String entry) {
        return "{\"x\":" + entry + "}";
    }

    @Test
    void fixtureOpensWithEveryTensorAndItsValues() {
        Path file = Fixtures.tinyFull().resolve("model.safetensors");
        Fixtures.St st = Fixtures.St.of(file);
        try (SafeTensors w = SafeTensors.open(file)) {
            List<String> names = w.names();
            assertEquals(st.names().size(), names.size());
            assertEquals(names.stream().sorted().toList(), names);
            assertEquals(Map.of("format", "pt", "architecture", "reel-dit"), w.metadata());
            SafeTensors.Entry e = w.entry("blocks.0.attn.qkv.weight");
            assertEquals(DType.F32, e.dtype());
            assertArrayEquals(new long[] {192, 64}, e.shape());
            assertEquals(192 * 64, e.numel());
            assertEquals(192 * 64 * 4, e.byteSize());
            long[] o = st.offsets("blocks.0.attn.qkv.weight");
            int dataStart = Fixtures.read(file).length - st.data.length;
            assertEquals(dataStart + o[0], e.offset());
            float[] expected = new float[192 * 64];
            ByteBuffer.wrap(st.data, (int) o[0], (int) (o[1] - o[0])).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .get(expected);
            assertArrayEquals(expected, w.toFloatArray("blocks.0.attn.qkv.weight"));
            // the address is the mapped first byte: a wrapped tensor reads the same values
            Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(e.shape()), e.address());
            assertArrayEquals(expected, view.toFloatArray());
            assertEquals(-1, w.firstNonFinite("blocks.0.attn.qkv.weight"));
        }
    }

    @Test
    void bufferAndFileGiveTheSameEntriesAndHash() throws Exception {
        Path file = Fixtures.tinyFactorised().resolve("model.safetensors");
        byte[] bytes = Fixtures.read(file);
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length + 5);
        buffer.put(new byte[5]).put(bytes).flip().position(5); // not at position 0: the view starts there
        try (SafeTensors f = SafeTensors.open(file); SafeTensors b = SafeTensors.fromBuffer("mem", buffer)) {
            assertEquals(f.names(), b.names());
            for (String n : f.names()) {
                assertArrayEquals(f.toFloatArray(n), b.toFloatArray(n), n);
                assertEquals(f.entry(n).offset(), b.entry(n).offset());
                Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(b.entry(n).shape()), b.entry(n).address());
                assertArrayEquals(f.toFloatArray(n), view.toFloatArray(), n);
            }
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            assertEquals(sha, f.sha256());
            assertEquals(sha, b.sha256());
        }
    }

    @Test
    void heapBufferIsRefusedAsACallersMistake() {
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.fromBuffer("x", ByteBuffer.allocate(16)));
    }

    @Test
    void unknownNameAndUseAfterCloseAreRefused() {
        SafeTensors w = SafeTensors.open(Fixtures.tinyFull().resolve("model.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> w.entry("blocks.9.ada.weight"));
        assertEquals("blocks.9.ada.weight", e.subject());
        w.close();
        w.close();
        assertTrue(w.isClosed());
        assertThrows(IllegalStateException.class, () -> w.entry("pool.bias"));
        assertThrows(IllegalStateException.class, () -> w.bytes("pool.bias"));
    }

    @Test
    void bf16AndF16ReadAsExactFloats() {
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3F80).putShort((short) 0xC040).putShort((short) 0x0001); // bf16 1, -3, tiny
        data.putShort((short) 0x3C00).putShort((short) 0x0001).putShort((short) 0xFBFF); // f16 1, 2^-24, -65504
        String h = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[6,12]}}";
        try (SafeTensors w = SafeTensors.fromBuffer("m", Fixtures.direct(Fixtures.file(h, data.array())))) {
            assertArrayEquals(new float[] {1f, -3f, Float.intBitsToFloat(0x10000)}, w.toFloatArray("b"));
            assertArrayEquals(new float[] {1f, 0x1p-24f, -65504f}, w.toFloatArray("h"));
        }
    }

    @Test
    void nonFiniteValuesAreFoundByIndex() {
        ByteBuffer data = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1).putFloat(2).putFloat(Float.NaN); // f: NaN at 2
        data.putShort((short) 0x3C00).putShort((short) 0x7C00); // h: +Inf at 1
        data.putShort((short) 0xFF80).putShort((short) 0x0000); // b: -Inf at 0
        String h = "{\"f\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[12,16]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]}}";
        try (SafeTensors w = SafeTensors.fromBuffer("m", Fixtures.direct(Fixtures.file(h, data.array())))) {
            assertEquals(2, w.firstNonFinite("f"));
            assertEquals(1, w.firstNonFinite("h"));
            assertEquals(0, w.firstNonFinite("b"));
        }
    }

    @Test
    void emptyTensorsAndAnEmptyHeaderAreAllowed() {
        String h = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        try (SafeTensors w = SafeTensors.open(Fixtures.write(dir.resolve("e.safetensors"), Fixtures.file(h, new byte[8])))) {
            assertEquals(0, w.entry("e").numel());
            assertEquals(0, w.toFloatArray("e").length);
        }
        try (SafeTensors w = SafeTensors.open(Fixtures.write(dir.resolve("n.safetensors"), Fixtures.file("{}", new byte[0])))) {
            assertTrue(w.names().isEmpty());
        }
    }

    @Test
    void headerPaddedWithSpacesIsAccepted() {
        byte[] f = Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}") + "     ", EIGHT_FLOATS);
        try (SafeTensors w = SafeTensors.fromBuffer("m", Fixtures.direct(f))) {
            assertEquals(List.of("x"), w.names());
        }
    }

    // ------------------------------------------------------------ a file over 2 GiB

    @Test
    void sparseFileOverTwoGibMapsAndReadsTheTensorAtItsEnd() throws IOException {
        long big = 400_000_000L; // 1.6 GB each: two of them put the last tensor past 2^31
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + big + "],\"data_offsets\":[0," + 4 * big + "]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[" + big + "],\"data_offsets\":[" + 4 * big + "," + 8 * big + "]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + 8 * big + "," + (8 * big + 16) + "]}}";
        byte[] header = h.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        long dataStart = 8 + header.length;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + 8 * big + 16); // sparse: nothing of the 3.2 GB is written
            ByteBuffer start = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
            start.putLong(header.length).put(header);
            raf.seek(0);
            raf.write(start.array());
            ByteBuffer end = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            end.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(1e-3f);
            raf.seek(dataStart + 8 * big);
            raf.write(end.array());
        }
        assertTrue(Files.size(file) > 3_000_000_000L);
        try (SafeTensors w = SafeTensors.open(file)) {
            SafeTensors.Entry c = w.entry("c");
            assertTrue(c.offset() > Integer.MAX_VALUE, "the tensor lies past 2^31");
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 1e-3f}, w.toFloatArray("c"));
            Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(2, 2), c.address());
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 1e-3f}, view.toFloatArray());
            ByteBuffer a = w.bytes("a");
            assertEquals(4 * big, a.capacity());
            assertEquals(0f, a.getFloat(0));
            assertEquals(0f, a.getFloat((int) (4 * big - 4)));
            assertEquals(0f, w.bytes("b").getFloat((int) (4 * big - 4)));
        }
    }

    @Test
    void oneTensorOverTwoGibIsRefusedWithItsSize() throws IOException {
        long n = 600_000_000L;
        String h = one("{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n + "]}");
        byte[] header = h.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("huge.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(8 + header.length + 4 * n);
            ByteBuffer start = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            start.putLong(header.length).put(header);
            raf.write(start.array());
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.open(file));
        assertEquals("x", e.subject());
        assertTrue(e.problem().contains("2400000000 bytes") && e.problem().contains("one piece"), e.getMessage());
    }

    // ------------------------------------------------------------ sharded checkpoints

    /** Splits the fixture into two shards by name and writes the index; returns the index path. */
    private Path shard(Path into, Map<String, String> override) {
        Fixtures.St st = Fixtures.St.of(Fixtures.tinyFull().resolve("model.safetensors"));
        List<String> names = st.names();
        names.sort(null);
        ObjectNode index = Fixtures.JSON.createObjectNode();
        index.putObject("metadata").put("total_size", st.data.length);
        ObjectNode map = index.putObject("weight_map");
        for (int s = 0; s < 2; s++) {
            ObjectNode h = Fixtures.JSON.createObjectNode();
            java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
            String shardName = "model-0000" + (s + 1) + "-of-00002.safetensors";
            for (int i = s * names.size() / 2; i < (s + 1) * names.size() / 2; i++) {
                String n = names.get(i);
                long[] o = st.offsets(n);
                ObjectNode e = h.putObject(n);
                e.set("dtype", st.entry(n).get("dtype"));
                e.set("shape", st.entry(n).get("shape"));
                e.putArray("data_offsets").add(data.size()).add(data.size() + o[1] - o[0]);
                data.write(st.data, (int) o[0], (int) (o[1] - o[0]));
                map.put(n, shardName);
            }
            new Fixtures.St(h, data.toByteArray()).write(into.resolve(shardName));
        }
        override.forEach(map::put);
        return Fixtures.write(into.resolve("model.safetensors.index.json"), Fixtures.bytes(index));
    }

    @Test
    void shardedCheckpointReadsLikeTheSingleFile() {
        Path index = shard(dir, Map.of());
        try (SafeTensors s = SafeTensors.openIndex(index);
                SafeTensors one = SafeTensors.open(Fixtures.tinyFull().resolve("model.safetensors"))) {
            assertEquals(one.names(), s.names());
            for (String n : one.names()) {
                assertArrayEquals(one.toFloatArray(n), s.toFloatArray(n), n);
                assertTrue(s.entry(n).file().endsWith("-of-00002.safetensors"));
            }
            assertEquals(String.valueOf(Fixtures.St.of(Fixtures.tinyFull().resolve("model.safetensors")).data.length),
                    s.metadata().get("total_size"));
            assertEquals(64, s.sha256().length());
        }
    }

    @Test
    void shardIndexWithAMissingShardIsRefused() throws IOException {
        Path index = shard(dir, Map.of());
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(index));
        assertTrue(e.file().endsWith("model-00002-of-00002.safetensors") && e.problem().contains("missing"), e.getMessage());
    }

    @Test
    void shardIndexThatSendsATensorToTheWrongShardIsRefused() {
        Path index = shard(dir, Map.of("blocks.0.ada.bias", "model-00002-of-00002.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(index));
        assertEquals("blocks.0.ada.bias", e.subject());
        assertTrue(e.problem().contains("puts it in model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void tensorInTwoShardsIsRefused() {
        Path index = shard(dir, Map.of());
        // a third shard that repeats a tensor of the first
        Fixtures.St st = Fixtures.St.of(dir.resolve("model-00001-of-00002.safetensors"));
        String first = st.names().get(0);
        ObjectNode h = Fixtures.JSON.createObjectNode();
        h.set(first, st.entry(first));
        long[] o = st.offsets(first);
        Fixtures.St dup = new Fixtures.St(h, java.util.Arrays.copyOfRange(st.data, (int) o[0], (int) o[1]));
        dup.setOffsets(first, 0, o[1] - o[0]);
        dup.write(dir.resolve("model-extra.safetensors"));
        ObjectNode index2 = Fixtures.json(Fixtures.read(index));
        ((ObjectNode) index2.get("weight_map")).put("zzz.only.here", "model-extra.safetensors");
        Fixtures.write(index, Fixtures.bytes(index2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(index));
        assertTrue(e.getMessage().contains(first), e.getMessage());
    }

    @Test
    void shardListedButAbsentFromItsShardIsRefused() {
        Path index = shard(dir, Map.of("ghost.weight", "model-00001-of-00002.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(index));
        assertEquals("weight_map.ghost.weight", e.subject());
    }

    @Test
    void shardNameWithAPathIsRefused() {
        Path index = shard(dir, Map.of("pool.bias", "../model-00001-of-00002.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(index));
        assertTrue(e.problem().contains("plain file name"), e.getMessage());
    }

    @Test
    void shardIndexWithDuplicateNamesOrNoWeightMapIsRefused() {
        Path a = Fixtures.write(dir.resolve("a.json"), "{\"weight_map\":{\"x\":\"s.safetensors\",\"x\":\"t.safetensors\"}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(a));
        assertTrue(e.problem().contains("Duplicate"), e.getMessage());
        Path b = Fixtures.write(dir.resolve("b.json"), "{\"metadata\":{}}");
        assertEquals("weight_map", assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(b)).subject());
        Path c = Fixtures.write(dir.resolve("c.json"), "{\"weight_map\":{\"x\":7}}");
        assertEquals("weight_map.x", assertThrows(ModelFormatException.class, () -> SafeTensors.openIndex(c)).subject());
    }

    // ------------------------------------------------------------ hostile files, one per case

    @Test
    void emptyFile() {
        refused(new byte[0], "file", "0 bytes", "shorter than the 8-byte header length");
    }

    @Test
    void truncatedLengthField() {
        refused(new byte[5], "5 bytes");
    }

    @Test
    void truncatedFile() {
        byte[] f = Fixtures.read(Fixtures.tinyFull().resolve("model.safetensors"));
        refused(java.util.Arrays.copyOf(f, f.length - 100), "run past the end of the data");
        refused(java.util.Arrays.copyOf(f, 100), "runs past the end of the file");
    }

    @Test
    void headerLengthPastTheEnd() {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        refused(Fixtures.file(3, h, new byte[0]), "header", "length 3 runs past the end of the file (10 bytes)");
    }

    @Test
    void headerLengthTwoToThe62() {
        refused(Fixtures.file(1L << 62, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]), "header",
                "length 4611686018427387904 is over the limit");
        refused(Fixtures.file(-1, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]), "18446744073709551615");
    }

    @Test
    void headerNotJson() {
        refused(Fixtures.file("not json at all", new byte[0]), "header", "not valid JSON");
        refused(Fixtures.file("[1, 2]", new byte[0]), "header", "must be a JSON object");
        refused(Fixtures.file("", new byte[0]), "header", "empty");
        refused(Fixtures.file(2, new byte[] {(byte) 0xC3, (byte) 0x28}, new byte[0]), "header", "not valid UTF-8");
        refused(Fixtures.file(4, new byte[] {0, '{', 0, '}'}, new byte[0]), "header");
    }

    @Test
    void headerDeeplyNested() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        refused(Fixtures.file("{\"x\":" + deep + "}", new byte[0]), "header", "read limit", "nesting");
    }

    @Test
    void headerWithTrailingGarbage() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}") + " {}", EIGHT_FLOATS),
                "header", "not valid JSON", "after the JSON value");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}") + "\0\0", EIGHT_FLOATS),
                "header", "not valid JSON");
    }

    @Test
    void offsetsPastTheEnd() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[0,64]}"), EIGHT_FLOATS), "x",
                "run past the end of the data (32 bytes)");
    }

    @Test
    void offsetsReversed() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[32,0]}"), EIGHT_FLOATS), "x",
                "reversed");
    }

    @Test
    void offsetsOverlapping() {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}";
        refused(Fixtures.file(h, EIGHT_FLOATS), "b", "overlap a [0, 24]");
    }

    @Test
    void offsetsWithAHole() {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}";
        refused(Fixtures.file(h, EIGHT_FLOATS), "b", "bytes [8, 16) belong to no tensor");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}"), EIGHT_FLOATS), "x",
                "the data starts at 0");
    }

    @Test
    void trailingBytesAfterTheLastTensor() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}"), EIGHT_FLOATS), "data",
                "16 trailing bytes");
        refused(Fixtures.file("{}", EIGHT_FLOATS), "data", "32 trailing bytes", "names no tensor");
    }

    @Test
    void shapeAndSizeMismatch() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[7],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "hold 32 bytes, but shape [7] of F32 needs 28");
        refused(Fixtures.file(one("{\"dtype\":\"BF16\",\"shape\":[8],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "needs 16");
    }

    @Test
    void absurdDimensions() {
        long t40 = 1L << 40;
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[" + t40 + "," + t40 + "],\"data_offsets\":[0,32]}"),
                EIGHT_FLOATS), "x", "element count overflows 64 bits");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[" + (1L << 62) + "],\"data_offsets\":[0,32]}"),
                EIGHT_FLOATS), "x", "byte size overflows");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,32]}"),
                EIGHT_FLOATS), "x", "does not fit 64 bits");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[" + "1,".repeat(20) + "8],\"data_offsets\":[0,32]}"),
                EIGHT_FLOATS), "x", "rank 21");
    }

    @Test
    void negativeDimensionsAndOffsets() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[-8],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "shape[0] is negative");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[-32,0]}"), EIGHT_FLOATS), "x",
                "data_offsets[0] is negative");
    }

    @Test
    void nonIntegerShapeAndOffsets() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8.0],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "shape[0] must be an integer, found the number 8.0");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[\"8\"],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "must be an integer");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":8,\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "shape must be an array");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32,64]}"), EIGHT_FLOATS), "x",
                "data_offsets must have 2 entries");
    }

    @Test
    void unknownAndUnsupportedDtypes() {
        for (String d : List.of("F64", "I64", "U8", "BOOL", "F8_E4M3", "F8_E5M2")) {
            refused(Fixtures.file(one("{\"dtype\":\"" + d + "\",\"shape\":[4],\"data_offsets\":[0,32]}"), EIGHT_FLOATS),
                    "x", "dtype " + d + " is not supported");
        }
        refused(Fixtures.file(one("{\"dtype\":\"Q4_K\",\"shape\":[8],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "dtype \"Q4_K\" is unknown");
        refused(Fixtures.file(one("{\"dtype\":32,\"shape\":[8],\"data_offsets\":[0,32]}"), EIGHT_FLOATS), "x",
                "dtype must be a string");
    }

    @Test
    void duplicateNames() {
        String e = "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}";
        refused(Fixtures.file("{\"x\":" + e + ",\"x\":" + e + "}", EIGHT_FLOATS), "header", "Duplicate", "x");
    }

    @Test
    void entryWithMissingOrExtraFields() {
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8]}"), EIGHT_FLOATS), "x", "missing data_offsets");
        refused(Fixtures.file(one("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32],\"crc\":1}"), EIGHT_FLOATS),
                "x", "unexpected field \"crc\"");
        refused(Fixtures.file(one("[1]"), EIGHT_FLOATS), "x", "must be an object");
        refused(Fixtures.file("{\"\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", EIGHT_FLOATS), "header",
                "name is empty");
    }

    @Test
    void metadataMustBeStrings() {
        refused(Fixtures.file("{\"__metadata__\":{\"n\":1}}", new byte[0]), "__metadata__.n", "must be a string");
        refused(Fixtures.file("{\"__metadata__\":[]}", new byte[0]), "__metadata__", "must be an object");
    }

    @Test
    void missingFileAndFolderAreRefused() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.open(dir.resolve("nope")));
        assertTrue(e.problem().contains("missing"), e.getMessage());
        assertTrue(assertThrows(ModelFormatException.class, () -> SafeTensors.open(dir)).problem().contains("folder"));
        assertFalse(Files.exists(dir.resolve("nope")));
        Path device = Path.of("/dev/null");
        if (Files.exists(device)) {
            assertTrue(assertThrows(ModelFormatException.class, () -> SafeTensors.open(device)).problem()
                    .contains("not a regular file"));
        }
    }
}
