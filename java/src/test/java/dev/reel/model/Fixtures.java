package dev.reel.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The fixture folders, and safetensors files built or rewritten byte by byte for the tests. */
final class Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {}

    static Path folder(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/dev/reel/model/fixtures/" + name + "/config.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path tinyFull() {
        return folder("tiny-full");
    }

    /**
     * A latent model folder in {@code into}: tiny-full (3 channels, 4 frames of 16×16) with
     * the tiny autoencoder's block set to 3 latent channels and random weights to match, so
     * that its videos are 4 frames of 128×128.
     */
    static Path latentModel(Path into) {
        Path f = copy(tinyFull(), into);
        ObjectNode config = json(read(f.resolve("config.json")));
        ObjectNode block = (ObjectNode) json(read(folder("tiny-autoencoder").resolve("config.json"))).get("autoencoder");
        block.put("latent_channels", 3);
        block.putArray("latent_mean").add(0.1).add(-0.2).add(0.3);
        block.putArray("latent_std").add(1.5).add(0.5).add(1.0);
        config.set("autoencoder", block);
        byte[] json = bytes(config);
        write(f.resolve("config.json"), json);
        java.util.TreeMap<String, St.Tensor> tensors = new java.util.TreeMap<>();
        java.util.Random random = new java.util.Random(5);
        for (Map.Entry<String, long[]> e : AutoencoderConfig.parse("config.json", json).expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            ByteBuffer b = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i++) {
                b.putFloat((float) (0.1 * random.nextGaussian()));
            }
            tensors.put(e.getKey(), new St.Tensor("F32", JSON.valueToTree(e.getValue()), b.array()));
        }
        new St(JSON.createObjectNode(), new byte[0]).pack(tensors).write(f.resolve("autoencoder.safetensors"));
        return f;
    }

    static Path tinyFactorised() {
        return folder("tiny-factorised");
    }

    static Path embeddedFolder() {
        try {
            return Path.of(Fixtures.class.getResource("/dev/reel/model/embedded/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path file, String text) {
        return write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Copies a fixture folder's config, vocabulary and weights into {@code into}. */
    static Path copy(Path folder, Path into) {
        for (String f : List.of("config.json", "vocabulary.json", "model.safetensors")) {
            write(into.resolve(f), read(folder.resolve(f)));
        }
        return into;
    }

    static ObjectNode json(byte[] bytes) {
        try {
            return (ObjectNode) JSON.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A safetensors file: 8-byte length, header bytes as given, data. */
    static byte[] file(long lengthField, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(lengthField).put(header).put(data);
        return b.array();
    }

    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h.length, h, data);
    }

    /** A parsed safetensors file: the header (mutable) and the data section. */
    static final class St {
        final ObjectNode header;
        final byte[] data;

        St(ObjectNode header, byte[] data) {
            this.header = header;
            this.data = data;
        }

        static St of(byte[] file) {
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            int n = (int) b.getLong();
            ObjectNode header = json(Arrays.copyOfRange(file, 8, 8 + n));
            return new St(header, Arrays.copyOfRange(file, 8 + n, file.length));
        }

        static St of(Path file) {
            return of(read(file));
        }

        ObjectNode entry(String name) {
            return (ObjectNode) header.get(name);
        }

        List<String> names() {
            List<String> out = new ArrayList<>();
            header.fieldNames().forEachRemaining(n -> {
                if (!n.equals("__metadata__")) {
                    out.add(n);
                }
            });
            return out;
        }

        long[] offsets(String name) {
            ArrayNode o = (ArrayNode) entry(name).get("data_offsets");
            return new long[] {o.get(0).asLong(), o.get(1).asLong()};
        }

        void setOffsets(String name, long begin, long end) {
            ArrayNode o = entry(name).putArray("data_offsets");
            o.add(begin).add(end);
        }

        /** The file, header padded with spaces to a multiple of 8 as the Python writer does. */
        byte[] bytes() {
            String h = header.toString();
            StringBuilder padded = new StringBuilder(h);
            while (padded.length() % 8 != 0) {
                padded.append(' ');
            }
            return file(padded.toString(), data);
        }

        Path write(Path file) {
            return Fixtures.write(file, bytes());
        }

        /** One tensor's dtype, shape and bytes. */
        record Tensor(String dtype, JsonNode shape, byte[] bytes) {}

        /** The tensors by name. */
        java.util.TreeMap<String, Tensor> tensors() {
            java.util.TreeMap<String, Tensor> out = new java.util.TreeMap<>();
            for (String n : names()) {
                long[] o = offsets(n);
                out.put(n, new Tensor(entry(n).get("dtype").asText(), entry(n).get("shape"),
                        Arrays.copyOfRange(data, (int) o[0], (int) o[1])));
            }
            return out;
        }

        /** A file of these tensors packed in name order, with this file's metadata. */
        St pack(Map<String, Tensor> tensors) {
            ObjectNode h = JSON.createObjectNode();
            if (header.has("__metadata__")) {
                h.set("__metadata__", header.get("__metadata__"));
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (Map.Entry<String, Tensor> t : new java.util.TreeMap<>(tensors).entrySet()) {
                ObjectNode e = h.putObject(t.getKey());
                e.put("dtype", t.getValue().dtype());
                e.set("shape", t.getValue().shape());
                e.putArray("data_offsets").add(out.size()).add(out.size() + t.getValue().bytes().length);
                out.writeBytes(t.getValue().bytes());
            }
            return new St(h, out.toByteArray());
        }

        St without(String name) {
            Map<String, Tensor> t = tensors();
            t.remove(name);
            return pack(t);
        }

        St with(String name, long[] shape, float... values) {
            Map<String, Tensor> t = tensors();
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                b.putFloat(v);
            }
            t.put(name, new Tensor("F32", JSON.valueToTree(shape), b.array()));
            return pack(t);
        }

        /** This file with one F32 element of a tensor replaced. */
        St withValue(String name, int element, float value) {
            byte[] d = data.clone();
            ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) offsets(name)[0] + 4 * element, value);
            return new St(header.deepCopy(), d);
        }

        /** The same tensors stored as BF16 or F16 (round to nearest even). */
        St as(String dtype) {
            Map<String, Tensor> out = new java.util.TreeMap<>();
            for (Map.Entry<String, Tensor> t : tensors().entrySet()) {
                ByteBuffer src = ByteBuffer.wrap(t.getValue().bytes()).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer dst = ByteBuffer.allocate(src.capacity() / 2).order(ByteOrder.LITTLE_ENDIAN);
                while (src.hasRemaining()) {
                    float f = src.getFloat();
                    dst.putShort(dtype.equals("BF16") ? toBf16(f) : toF16(f));
                }
                out.put(t.getKey(), new Tensor(dtype, t.getValue().shape(), dst.array()));
            }
            return pack(out);
        }
    }

    /** Round to nearest even, for finite values. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Round to nearest even, for finite values within the F16 range. */
    static short toF16(float f) {
        int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
        double a = Math.abs((double) f);
        if (a == 0) {
            return (short) sign;
        }
        int e = Math.getExponent(a);
        if (e < -14) { // subnormal: multiples of 2^-24
            long m = (long) Math.rint(a * 0x1p24);
            return (short) (sign | (int) m); // m = 1024 rolls into the smallest normal
        }
        double mant = Math.rint(Math.scalb(a, 10 - e)); // 1024..2048
        if (mant == 2048) {
            mant = 1024;
            e++;
        }
        if (e > 15) {
            throw new IllegalArgumentException(f + " overflows F16");
        }
        return (short) (sign | ((e + 15) << 10) | ((int) mant - 1024));
    }

    /** Every entry of the header as name → {dtype, shape}. */
    static Map<String, long[]> shapes(St st) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Iterator<String> it = st.names().iterator(); it.hasNext();) {
            String n = it.next();
            JsonNode s = st.entry(n).get("shape");
            long[] shape = new long[s.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = s.get(i).asLong();
            }
            out.put(n, shape);
        }
        return out;
    }

    static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        return b;
    }
}
