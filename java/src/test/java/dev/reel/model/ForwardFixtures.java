package dev.reel.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The twin's fixtures for the forward tests, read plainly (trace files hold int64
 * ids, which model weights never do), and a writer of weight files in another
 * dtype for the bf16 parity runs.
 */
final class ForwardFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ForwardFixtures() {}

    /** A tensor of a fixture as doubles (F32, I64) with its shape. */
    record Array(long[] shape, double[] values) {
        float[] floats() {
            float[] out = new float[values.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) values[i];
            }
            return out;
        }
    }

    static Path resource(String name) {
        try {
            return Path.of(ForwardFixtures.class.getResource("/dev/reel/model/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Array> read(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int headerLength = (int) buf.getLong(0);
            JsonNode header = JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
            int base = 8 + headerLength;
            Map<String, Array> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode shapeNode = e.getValue().get("shape");
                long[] shape = new long[shapeNode.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong();
                    count *= shape[i];
                }
                int begin = base + e.getValue().get("data_offsets").get(0).asInt();
                String dtype = e.getValue().get("dtype").asText();
                double[] values = new double[(int) count];
                for (int i = 0; i < count; i++) {
                    values[i] = switch (dtype) {
                        case "F32" -> buf.getFloat(begin + 4 * i);
                        case "I64" -> buf.getLong(begin + 8 * i);
                        default -> throw new IllegalStateException("fixture dtype " + dtype);
                    };
                }
                out.put(e.getKey(), new Array(shape, values));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The metadata map of a fixture file. */
    static Map<String, String> metadata(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            JsonNode meta = JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8)).get("__metadata__");
            Map<String, String> out = new LinkedHashMap<>();
            if (meta != null) {
                meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a model folder, its F32 weights rewritten as BF16 (round to nearest even). */
    static Path bf16Copy(Path folder, Path into) throws IOException {
        Files.createDirectories(into);
        for (String f : new String[] {"config.json", "vocabulary.json"}) {
            Files.copy(folder.resolve(f), into.resolve(f));
        }
        byte[] bytes = Files.readAllBytes(folder.resolve("model.safetensors"));
        ByteBuffer src = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) src.getLong(0);
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        int base = 8 + headerLength;
        Map<String, int[]> spans = new LinkedHashMap<>();
        long offset = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            ObjectNode entry = (ObjectNode) e.getValue();
            int begin = entry.get("data_offsets").get(0).asInt();
            int end = entry.get("data_offsets").get(1).asInt();
            spans.put(e.getKey(), new int[] {begin, end});
            long size = (end - begin) / 2;
            entry.put("dtype", "BF16");
            entry.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (int[] span : spans.values()) {
            for (int p = span[0]; p < span[1]; p += 4) {
                out.putShort(toBf16(src.getFloat(base + p)));
            }
        }
        Files.write(into.resolve("model.safetensors"), out.array());
        return into;
    }

    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** ‖a − b‖ / ‖b‖ in double. */
    static double relativeError(float[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
