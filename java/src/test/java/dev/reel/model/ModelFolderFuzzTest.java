package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates the fixture folders' files (bit flips, byte overwrites, truncation, insertions
 * into the header JSON, header-length changes, numbers replaced by extreme values, fields
 * swapped or retyped, shard indexes broken) and opens each result: every case must either
 * load or end in a {@link ModelFormatException}, within {@link #CASE_LIMIT_NANOS}. Anything
 * else fails the test with the seed and the case number, which reproduce the case
 * ({@link #mutate} is a pure function of both).
 */
class ModelFolderFuzzTest {
    static final long SEED = 0x5EED_2026_1201L;
    static final int CASES = 12_000;
    /**
     * At most this much CPU time of the test's thread per case. CPU time, not wall time:
     * on a shared machine (load 11 on 2 cores was seen) a case's wall time measures the
     * other jobs, and the limit is there to catch work that grows with a hostile size.
     */
    static final long CASE_LIMIT_NANOS = 1_000_000_000L;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    @TempDir
    Path dir;

    // ------------------------------------------------------------ the harness

    /** One mutated model folder: in memory, or (for {@code files}) to be written and opened from disk. */
    static final class Case {
        final int number;
        byte[] config;
        byte[] vocabulary;
        byte[] weights;
        boolean onDisk;
        boolean sharded;
        byte[] index;
        byte[] shard0;
        byte[] shard1;
        final List<String> steps = new ArrayList<>();

        Case(int number, Base base) {
            this.number = number;
            this.config = base.config;
            this.vocabulary = base.vocabulary;
            this.weights = base.weights;
        }

        @Override
        public String toString() {
            return "case " + number + (onDisk ? " (on disk" + (sharded ? ", sharded)" : ")") : "") + ": "
                    + String.join("; ", steps);
        }
    }

    interface Opener {
        /** Opens the case; returns whether it loaded. */
        boolean open(Case c) throws Throwable;
    }

    /** What a run found: counts, the slowest case, and the first failure (null when none). */
    static final class Result {
        int loaded;
        int refused;
        long maxNanos;
        int slowestCase;
        long totalNanos;
        String failure;
        Throwable cause;
    }

    static Result run(long seed, int cases, Base[] bases, long limitNanos, Opener opener) {
        Result r = new Result();
        long start = System.nanoTime();
        for (int i = 0; i < cases; i++) {
            Case c = mutate(seed, i, bases);
            long t0 = THREADS.getCurrentThreadCpuTime();
            try {
                if (opener.open(c)) {
                    r.loaded++;
                } else {
                    r.refused++;
                }
            } catch (Throwable t) { // an opener returns false for a ModelFormatException; anything else is a bug
                r.failure = "seed 0x" + Long.toHexString(seed) + ", " + c + ": " + t;
                r.cause = t;
                return r;
            }
            long took = THREADS.getCurrentThreadCpuTime() - t0;
            if (took > r.maxNanos) {
                r.maxNanos = took;
                r.slowestCase = i;
            }
            if (took > limitNanos) {
                r.failure = "seed 0x" + Long.toHexString(seed) + ", " + c + ": took " + took / 1_000_000 + " ms of CPU, more than "
                        + limitNanos / 1_000_000 + " ms";
                return r;
            }
        }
        r.totalNanos = System.nanoTime() - start;
        return r;
    }

    /** The files of one fixture folder, and its shards, in memory. */
    static final class Base {
        final byte[] config;
        final byte[] vocabulary;
        final byte[] weights;
        final byte[] index;
        final byte[] shard0;
        final byte[] shard1;

        Base(Path folder) {
            config = Fixtures.read(folder.resolve("config.json"));
            vocabulary = Fixtures.read(folder.resolve("vocabulary.json"));
            weights = Fixtures.read(folder.resolve("model.safetensors"));
            Fixtures.St st = Fixtures.St.of(weights);
            Map<String, Fixtures.St.Tensor> all = st.tensors();
            Map<String, Fixtures.St.Tensor> a = new java.util.TreeMap<>(), b = new java.util.TreeMap<>();
            ObjectNode idx = Fixtures.JSON.createObjectNode();
            ObjectNode map = idx.putObject("weight_map");
            int i = 0;
            for (Map.Entry<String, Fixtures.St.Tensor> e : all.entrySet()) {
                boolean first = i++ % 2 == 0;
                (first ? a : b).put(e.getKey(), e.getValue());
                map.put(e.getKey(), first ? "shard-0.safetensors" : "shard-1.safetensors");
            }
            shard0 = st.pack(a).bytes();
            shard1 = st.pack(b).bytes();
            index = Fixtures.bytes(idx);
        }
    }

    /** A fresh, deterministic mutation: case {@code number} of run {@code seed}. */
    static Case mutate(long seed, int number, Base[] bases) {
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + number);
        Case c = new Case(number, bases[rnd.nextInt(bases.length)]);
        int kind = rnd.nextInt(100);
        if (kind < 3) { // a sharded folder on disk
            c.onDisk = true;
            c.sharded = true;
            Base b = bases[0];
            c.config = b.config;
            c.vocabulary = b.vocabulary;
            c.index = b.index;
            c.shard0 = b.shard0;
            c.shard1 = b.shard1;
            switch (rnd.nextInt(4)) {
                case 0:
                    c.index = mutateIndex(rnd, b.index, c.steps);
                    break;
                case 1:
                    c.shard0 = mutateWeights(rnd, c.shard0, c.steps);
                    break;
                case 2:
                    c.index = mutateText(rnd, c.index, c.steps);
                    break;
                default:
                    c.index = mutateIndex(rnd, b.index, c.steps);
                    c.shard1 = mutateWeights(rnd, c.shard1, c.steps);
            }
            return c;
        }
        if (kind < 6) {
            c.onDisk = true; // the same mutations through the file and mmap path
        }
        int steps = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 0);
        for (int s = 0; s < steps; s++) {
            int target = rnd.nextInt(100);
            if (target < 65) {
                c.weights = mutateWeights(rnd, c.weights, c.steps);
            } else if (target < 88) {
                c.config = mutateConfig(rnd, c.config, c.steps);
            } else {
                c.vocabulary = mutateVocabulary(rnd, c.vocabulary, c.steps);
            }
        }
        return c;
    }

    // ------------------------------------------------------------ mutations

    private static final String[] EXTREMES = {"0", "-0", "1", "-1", "2", "3", "7", "8", "16", "2147483647", "2147483648",
        "-2147483648", "4294967296", "9007199254740993", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "18446744073709551616", "1000000000", "1000000000000000000000000000000", "1.5", "0.5",
        "16.0", "1e308", "1e999", "-1e999", "1e-999", "\"7\"", "null", "true", "[]", "{}", "[7]", "NaN", "Infinity"};
    private static final String[] SNIPPETS = {"{", "}", "[", "]", ",", ":", "\"", "\"x\":1,", "\"x\":{},", "null",
        "\"__metadata__\":{\"a\":\"b\"},", "\"__metadata__\":7,", "\"dtype\":\"F64\",", "1e999", "-", "\\u0000", "\"\\ud800\"",
        "\u00ff", "\0", " ", "\n", "99999999999999999999999999", "\"shape\":[1],", "\"data_offsets\":[0,4],", "/*c*/"};
    private static final String[] DTYPES = {"F32", "BF16", "F16", "F64", "I64", "U8", "BOOL", "F8_E4M3", "", "f32", "F32 "};
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?");

    static byte[] mutateWeights(Random rnd, byte[] file, List<String> steps) {
        int n = headerLength(file);
        int op = rnd.nextInt(100);
        if (op < 14) {
            return flipBits(rnd, file, n >= 0 && rnd.nextInt(10) < 7 ? Math.min(file.length, 8 + n) : file.length, steps);
        }
        if (op < 24) {
            return overwrite(rnd, file, n >= 0 && rnd.nextInt(10) < 7 ? Math.min(file.length, 8 + n) : file.length, steps);
        }
        if (op < 32) {
            int len = rnd.nextInt(4) == 0 ? rnd.nextInt(Math.min(file.length, 16) + 1) : rnd.nextInt(file.length + 1);
            steps.add("truncate weights to " + len);
            return Arrays.copyOf(file, len);
        }
        if (op < 40) {
            long[] choices = {0, 1, 2, 7, 8, n - 1, n + 1, n + 8, file.length - 8, file.length - 7, file.length,
                1L << 31, 1L << 32, 1L << 62, -1, Long.MIN_VALUE, rnd.nextLong(), rnd.nextInt(file.length + 16)};
            long v = choices[rnd.nextInt(choices.length)];
            steps.add("header length field := " + Long.toUnsignedString(v));
            byte[] out = file.clone();
            if (out.length >= 8) {
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
            }
            return out;
        }
        if (op < 45) { // a value in the data made NaN or infinite, or a huge denormal-free pattern
            if (n < 0 || file.length - 8 - n < 4) {
                return flipBits(rnd, file, file.length, steps);
            }
            byte[] out = file.clone();
            int at = 8 + n + 4 * rnd.nextInt((file.length - 8 - n) / 4);
            int[] patterns = {0x7FC00000, 0x7F800000, 0xFF800000, 0x7F800001, 0xFFFFFFFF, 0x7F7FFFFF};
            int bits = patterns[rnd.nextInt(patterns.length)];
            ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(at, bits);
            steps.add("data at " + at + " := 0x" + Integer.toHexString(bits));
            return out;
        }
        if (n < 0 || 8L + n > file.length) {
            return flipBits(rnd, file, file.length, steps);
        }
        String header = new String(file, 8, n, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, 8 + n, file.length);
        boolean fixLength = rnd.nextInt(5) != 0;
        String mutated;
        if (op < 60) {
            mutated = replaceNumber(rnd, header, steps);
        } else if (op < 72) {
            int at = rnd.nextInt(header.length() + 1);
            String s = rnd.nextInt(30) == 0 ? "[".repeat(1 + rnd.nextInt(3000))
                    : rnd.nextInt(600) == 0 ? "\"" + "x".repeat(Json.MAX_STRING + 10) + "\":1,"
                    : SNIPPETS[rnd.nextInt(SNIPPETS.length)];
            steps.add("insert " + clip(s) + " at header " + at);
            mutated = header.substring(0, at) + s + header.substring(at);
        } else if (op < 80) {
            int a = rnd.nextInt(header.length() + 1), b = Math.min(header.length(), a + rnd.nextInt(40));
            steps.add("delete header [" + a + ", " + b + ")");
            mutated = header.substring(0, a) + header.substring(b);
        } else {
            try {
                mutated = restructureHeader(rnd, header, steps);
            } catch (RuntimeException e) { // an earlier step left entries that are not objects
                steps.add("(header no longer structured)");
                mutated = replaceNumber(rnd, header, steps);
            }
        }
        byte[] h = mutated.getBytes(StandardCharsets.UTF_8);
        if (!fixLength) {
            steps.add("length field kept");
        }
        return Fixtures.file(fixLength ? h.length : n, h, data);
    }

    /** Structural changes to the header: offsets, shapes and dtypes swapped, entries dropped or duplicated. */
    private static String restructureHeader(Random rnd, String header, List<String> steps) {
        ObjectNode h;
        try {
            h = (ObjectNode) Fixtures.JSON.readTree(header);
        } catch (Exception e) {
            steps.add("header already broken");
            return header;
        }
        List<String> names = new ArrayList<>();
        h.fieldNames().forEachRemaining(names::add);
        names.remove("__metadata__");
        if (names.size() < 2) {
            return header;
        }
        String a = names.get(rnd.nextInt(names.size())), b = names.get(rnd.nextInt(names.size()));
        ObjectNode ea = (ObjectNode) h.get(a), eb = (ObjectNode) h.get(b);
        switch (rnd.nextInt(9)) {
            case 0: {
                JsonNode t = ea.get("data_offsets");
                ea.set("data_offsets", eb.get("data_offsets"));
                eb.set("data_offsets", t);
                steps.add("swap data_offsets of " + a + " and " + b);
                break;
            }
            case 1: {
                JsonNode t = ea.get("shape");
                ea.set("shape", eb.get("shape"));
                eb.set("shape", t);
                steps.add("swap shapes of " + a + " and " + b);
                break;
            }
            case 2: {
                String d = DTYPES[rnd.nextInt(DTYPES.length)];
                ea.put("dtype", d);
                steps.add("dtype of " + a + " := " + d);
                break;
            }
            case 3:
                h.remove(a);
                steps.add("remove " + a);
                break;
            case 4: { // a duplicate name, written as text (an ObjectNode cannot hold one)
                steps.add("duplicate " + a);
                String text = h.toString();
                return text.substring(0, text.length() - 1) + ",\"" + a + "\":" + ea + "}";
            }
            case 5: {
                ArrayNode o = (ArrayNode) ea.get("data_offsets");
                ea.putArray("data_offsets").add(o.get(1)).add(o.get(0));
                steps.add("reverse offsets of " + a);
                break;
            }
            case 6: {
                ea.put(rnd.nextBoolean() ? "crc" : "dtype", 1);
                steps.add("extra or retyped field in " + a);
                break;
            }
            case 7: {
                long k = rnd.nextInt(9) - 4;
                for (String n : names) {
                    ArrayNode o = (ArrayNode) h.get(n).get("data_offsets");
                    ((ObjectNode) h.get(n)).putArray("data_offsets").add(o.get(0).asLong() + k).add(o.get(1).asLong() + k);
                }
                steps.add("shift every offset by " + k);
                break;
            }
            default: {
                ObjectNode renamed = h.objectNode();
                h.properties().forEach(e -> renamed.set(e.getKey().equals(a) ? a + "x" : e.getKey(), e.getValue()));
                steps.add("rename " + a);
                return renamed.toString();
            }
        }
        return h.toString();
    }

    static byte[] mutateConfig(Random rnd, byte[] config, List<String> steps) {
        int op = rnd.nextInt(100);
        if (op < 45) {
            return replaceNumber(rnd, new String(config, StandardCharsets.UTF_8), steps).getBytes(StandardCharsets.UTF_8);
        }
        if (op < 75) {
            return structurally(rnd, config, steps, () -> restructureObject(rnd, config, steps));
        }
        return mutateText(rnd, config, steps);
    }

    static byte[] mutateVocabulary(Random rnd, byte[] vocabulary, List<String> steps) {
        int op = rnd.nextInt(100);
        if (op < 25) {
            return replaceNumber(rnd, new String(vocabulary, StandardCharsets.UTF_8), steps).getBytes(StandardCharsets.UTF_8);
        }
        if (op < 60) {
            return structurally(rnd, vocabulary, steps, () -> changeTokens(rnd, vocabulary, steps));
        }
        if (op < 80) {
            return structurally(rnd, vocabulary, steps, () -> restructureObject(rnd, vocabulary, steps));
        }
        return mutateText(rnd, vocabulary, steps);
    }

    /**
     * A structural mutation needs JSON of the fixture's structure; after an earlier step broke it
     * the case gets a text mutation instead.
     */
    private static byte[] structurally(Random rnd, byte[] json, List<String> steps, java.util.function.Supplier<byte[]> m) {
        try {
            return m.get();
        } catch (RuntimeException e) {
            steps.add("(no longer structured)");
            return mutateText(rnd, json, steps);
        }
    }

    private static byte[] changeTokens(Random rnd, byte[] vocabulary, List<String> steps) {
        {
            ObjectNode v = Fixtures.json(vocabulary);
            ArrayNode tokens = (ArrayNode) v.get("tokens");
            int i = rnd.nextInt(tokens.size());
            switch (rnd.nextInt(4)) {
                case 0:
                    tokens.remove(i);
                    steps.add("remove token " + i);
                    break;
                case 1:
                    tokens.add(tokens.get(i));
                    steps.add("duplicate token " + i);
                    break;
                case 2:
                    tokens.set(i, v.textNode("w" + rnd.nextInt(100)));
                    steps.add("replace token " + i);
                    break;
                default:
                    ((ObjectNode) v.get("grammar")).putArray("article").add(rnd.nextBoolean() ? "the" : "a");
                    steps.add("articles changed");
            }
            return Fixtures.bytes(v);
        }
    }

    static byte[] mutateIndex(Random rnd, byte[] index, List<String> steps) {
        ObjectNode idx = Fixtures.json(index);
        ObjectNode map = (ObjectNode) idx.get("weight_map");
        List<String> names = new ArrayList<>();
        map.fieldNames().forEachRemaining(names::add);
        String a = names.get(rnd.nextInt(names.size()));
        switch (rnd.nextInt(6)) {
            case 0:
                map.put(a, map.get(a).asText().equals("shard-0.safetensors") ? "shard-1.safetensors" : "shard-0.safetensors");
                steps.add("send " + a + " to the other shard");
                break;
            case 1:
                map.remove(a);
                steps.add("unlist " + a);
                break;
            case 2:
                map.put("ghost." + a, "shard-0.safetensors");
                steps.add("list a ghost");
                break;
            case 3:
                map.put(a, rnd.nextBoolean() ? "missing.safetensors" : "../shard-0.safetensors");
                steps.add("bad shard name for " + a);
                break;
            case 4:
                map.put(a, 7);
                steps.add("shard name is a number");
                break;
            default:
                idx.remove("weight_map");
                idx.put("weight_map", rnd.nextBoolean() ? "x" : null);
                steps.add("weight_map retyped");
        }
        return Fixtures.bytes(idx);
    }

    /** Swaps two fields' values, removes one, or gives one a value of another type. */
    private static byte[] restructureObject(Random rnd, byte[] json, List<String> steps) {
        ObjectNode o = Fixtures.json(json);
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        String a = names.get(rnd.nextInt(names.size())), b = names.get(rnd.nextInt(names.size()));
        switch (rnd.nextInt(4)) {
            case 0: {
                JsonNode t = o.get(a);
                o.set(a, o.get(b));
                o.set(b, t);
                steps.add("swap " + a + " and " + b);
                break;
            }
            case 1:
                o.remove(a);
                steps.add("remove " + a);
                break;
            case 2: {
                JsonNode v = o.get(a);
                JsonNode w = v.isNumber() ? o.textNode(v.asText()) : v.isTextual() ? o.numberNode(3)
                        : v.isArray() ? o.numberNode(v.size()) : o.arrayNode().add(v);
                o.set(a, w);
                steps.add("retype " + a);
                break;
            }
            default: {
                JsonNode v = o.get(a);
                if (v.isArray() && v.size() > 0) {
                    ((ArrayNode) v).set(rnd.nextInt(v.size()), o.numberNode(rnd.nextBoolean() ? -1L : 1L << 40));
                    steps.add("array entry of " + a + " made extreme");
                } else {
                    o.set(a, o.nullNode());
                    steps.add(a + " := null");
                }
            }
        }
        return Fixtures.bytes(o);
    }

    private static byte[] mutateText(Random rnd, byte[] text, List<String> steps) {
        switch (rnd.nextInt(4)) {
            case 0:
                return flipBits(rnd, text, text.length, steps);
            case 1:
                return overwrite(rnd, text, text.length, steps);
            case 2: {
                int len = rnd.nextInt(text.length + 1);
                steps.add("truncate to " + len);
                return Arrays.copyOf(text, len);
            }
            default: {
                String s = new String(text, StandardCharsets.UTF_8);
                int at = rnd.nextInt(s.length() + 1);
                String ins = rnd.nextInt(20) == 0 ? "[".repeat(1 + rnd.nextInt(2000)) : SNIPPETS[rnd.nextInt(SNIPPETS.length)];
                steps.add("insert " + clip(ins) + " at " + at);
                return (s.substring(0, at) + ins + s.substring(at)).getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    private static String replaceNumber(Random rnd, String json, List<String> steps) {
        Matcher m = NUMBER.matcher(json);
        List<int[]> spans = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        if (spans.isEmpty()) {
            steps.add("no number to replace");
            return json;
        }
        int[] s = spans.get(rnd.nextInt(spans.size()));
        String original = json.substring(s[0], s[1]);
        String v;
        if (rnd.nextInt(4) == 0 && !original.contains(".") && !original.contains("e") && original.length() < 18) {
            v = Long.toString(Long.parseLong(original) + (rnd.nextInt(17) - 8));
        } else {
            v = EXTREMES[rnd.nextInt(EXTREMES.length)];
        }
        steps.add("number " + original + " at " + s[0] + " := " + v);
        return json.substring(0, s[0]) + v + json.substring(s[1]);
    }

    private static byte[] flipBits(Random rnd, byte[] bytes, int within, List<String> steps) {
        byte[] out = bytes.clone();
        if (within == 0) {
            return out;
        }
        int flips = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 8 : 2);
        for (int i = 0; i < flips; i++) {
            int at = rnd.nextInt(within), bit = rnd.nextInt(8);
            out[at] ^= (byte) (1 << bit);
            steps.add("flip bit " + bit + " of byte " + at);
        }
        return out;
    }

    private static byte[] overwrite(Random rnd, byte[] bytes, int within, List<String> steps) {
        byte[] out = bytes.clone();
        if (within == 0) {
            return out;
        }
        byte[] interesting = {0, (byte) 0xFF, '{', '}', '"', ',', '[', ']', ':', '-', '9', '0', 'e', ' ', (byte) 0x80,
            (byte) 0xC0, '\\', 'n'};
        int at = rnd.nextInt(within), len = 1 + rnd.nextInt(8);
        for (int i = at; i < Math.min(within, at + len); i++) {
            out[i] = rnd.nextBoolean() ? interesting[rnd.nextInt(interesting.length)] : (byte) rnd.nextInt(256);
        }
        steps.add("overwrite " + len + " bytes at " + at);
        return out;
    }

    private static int headerLength(byte[] file) {
        if (file.length < 8) {
            return -1;
        }
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return n < 0 || n > file.length - 8 ? -1 : (int) n;
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + " chars)" : s;
    }

    // ------------------------------------------------------------ opening a case

    private ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);

    /** Opens the case like a user would; false when refused with a ModelFormatException. */
    private boolean open(Case c) throws Exception {
        try (ModelFolder m = c.onDisk ? ModelFolder.open(write(c)) : ModelFolder.load("fuzz", "memory", "config.json",
                c.config, "vocabulary.json", c.vocabulary, () -> SafeTensors.fromBuffer("model.safetensors", direct(c.weights)))) {
            // a folder that loads must be usable
            for (String n : List.of("pool.weight", "blocks.0.attn.qkv.weight", "text.tok_embed")) {
                m.weight(n).toFloatArray();
            }
            Vocabulary v = m.vocabulary(); // a mutated vocabulary may still be a consistent one
            v.encode(String.join(" ", v.articles().get(0), v.colours().get(0), v.shapes().get(0), "static"));
            return true;
        } catch (ModelFormatException e) {
            return false;
        }
    }

    private ByteBuffer direct(byte[] bytes) {
        if (buffer.capacity() < bytes.length) {
            buffer = ByteBuffer.allocateDirect(bytes.length);
        }
        buffer.clear();
        buffer.put(bytes).flip();
        return buffer;
    }

    private Path write(Case c) {
        Path folder = dir.resolve(c.sharded ? "sharded" : "single");
        Fixtures.write(folder.resolve("config.json"), c.config);
        Fixtures.write(folder.resolve("vocabulary.json"), c.vocabulary);
        if (c.sharded) {
            Fixtures.write(folder.resolve(ModelFolder.INDEX), c.index);
            Fixtures.write(folder.resolve("shard-0.safetensors"), c.shard0);
            Fixtures.write(folder.resolve("shard-1.safetensors"), c.shard1);
        } else {
            Fixtures.write(folder.resolve(ModelFolder.WEIGHTS), c.weights);
        }
        return folder;
    }

    private static Base[] bases() {
        return new Base[] {new Base(Fixtures.tinyFull()), new Base(Fixtures.tinyFactorised())};
    }

    // ------------------------------------------------------------ the tests

    @Test
    void everyMutatedFolderLoadsOrIsRefusedWithAModelFormatException() {
        System.out.printf("ModelFolderFuzzTest: seed 0x%X, %d cases%n", SEED, CASES);
        Base[] bases = bases();
        // the unmutated folders load, in memory and on disk
        for (Base b : bases) {
            Case plain = new Case(-1, b);
            assertTrue(assertDoesNotFail(plain), "unmutated fixture");
            plain.onDisk = true;
            assertTrue(assertDoesNotFail(plain), "unmutated fixture on disk");
        }
        Result r = run(SEED, CASES, bases, CASE_LIMIT_NANOS, this::open);
        if (r.failure != null) {
            throw new AssertionError(r.failure, r.cause);
        }
        System.out.printf("ModelFolderFuzzTest: %d cases in %.1f s: %d loaded, %d refused; slowest case %d took %.1f ms of CPU%n",
                CASES, r.totalNanos / 1e9, r.loaded, r.refused, r.slowestCase, r.maxNanos / 1e6);
        assertEquals(CASES, r.loaded + r.refused);
        assertTrue(r.maxNanos < CASE_LIMIT_NANOS);
        assertTrue(r.refused > CASES / 2, "most mutations must be caught: " + r.refused);
        assertTrue(r.loaded > CASES / 50, "some mutations are harmless (a flipped mantissa bit): " + r.loaded);
    }

    private boolean assertDoesNotFail(Case c) {
        try {
            return open(c);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void mutationsAreAPureFunctionOfSeedAndCase() {
        Base[] bases = bases();
        for (int i = 0; i < 50; i++) {
            Case a = mutate(SEED, i, bases), b = mutate(SEED, i, bases);
            assertEquals(a.toString(), b.toString());
            assertTrue(Arrays.equals(a.weights, b.weights) && Arrays.equals(a.config, b.config)
                    && Arrays.equals(a.vocabulary, b.vocabulary));
        }
    }

    @Test
    void harnessReportsAnExceptionOfAnotherTypeWithSeedAndCase() {
        Result r = run(SEED, 20, bases(), CASE_LIMIT_NANOS, c -> {
            if (c.number == 7) {
                throw new IllegalStateException("injected");
            }
            return open(c);
        });
        assertNotNull(r.failure);
        assertTrue(r.failure.startsWith("seed 0x" + Long.toHexString(SEED) + ", case 7"), r.failure);
        assertTrue(r.failure.contains("IllegalStateException: injected"), r.failure);
    }

    @Test
    void harnessReportsAnErrorAndASlowCase() {
        Result oom = run(SEED, 5, bases(), CASE_LIMIT_NANOS, c -> {
            if (c.number == 3) {
                throw new OutOfMemoryError("injected");
            }
            return false;
        });
        assertTrue(oom.failure.contains("case 3") && oom.failure.contains("OutOfMemoryError"), oom.failure);
        Result slow = run(SEED, 5, bases(), 2_000_000L, c -> {
            if (c.number == 2) {
                long until = THREADS.getCurrentThreadCpuTime() + 20_000_000L;
                double x = 1;
                while (THREADS.getCurrentThreadCpuTime() < until) {
                    x = Math.sqrt(x + 1);
                }
                return x < 0;
            }
            return false;
        });
        assertTrue(slow.failure.contains("case 2") && slow.failure.contains("took"), slow.failure);
        Result fine = run(SEED, 5, bases(), CASE_LIMIT_NANOS, c -> false);
        assertNull(fine.failure);
        assertEquals(5, fine.refused);
    }
}
