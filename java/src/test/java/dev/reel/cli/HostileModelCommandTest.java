package dev.reel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of hostile model folder, given to {@code reel generate --model}, ends in one line and exit 3. */
class HostileModelCommandTest {
    @TempDir
    Path temp;

    @Test
    void everyHostileFolderIsOneLineAndExitThree() throws Exception {
        Path fixture = Path.of(getClass().getResource("/dev/reel/model/fixtures/tiny-full").toURI());
        byte[] weights = Files.readAllBytes(fixture.resolve("model.safetensors"));
        String config = Files.readString(fixture.resolve("config.json"));
        int headerLength = (int) ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(weights, 8, headerLength, StandardCharsets.UTF_8);

        Map<String, UnaryOperator<byte[]>> weightCases = new LinkedHashMap<>();
        weightCases.put("empty", w -> new byte[0]);
        weightCases.put("truncated", w -> java.util.Arrays.copyOf(w, w.length - 100));
        weightCases.put("header length 2^62", w -> withLength(w, 1L << 62));
        weightCases.put("header length past the end", w -> withLength(w, w.length));
        weightCases.put("header not JSON", w -> withHeader(w, "{\"a\": [1, 2" + " ".repeat(header.length() - 11)));
        weightCases.put("unknown dtype", w -> withHeader(w, header.replaceFirst("\"F32\"", "\"I8\" ")));
        weightCases.put("offsets reversed", w -> withHeader(w, header.replaceFirst("\"data_offsets\":\\[0,", "\"data_offsets\":[9,")));
        weightCases.put("NaN weight", w -> {
            byte[] c = w.clone();
            ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putFloat(8 + headerLength + 4 * 10, Float.NaN);
            return c;
        });
        Map<String, String> configCases = new LinkedHashMap<>();
        configCases.put("config not JSON", "{ hidden: ");
        configCases.put("absurd frames", config.replaceFirst("\"frames\": \\d+", "\"frames\": 1000000000"));
        configCases.put("heads not dividing the width", config.replaceFirst("\"heads\": \\d+", "\"heads\": 3"));
        configCases.put("missing tensor", config.replaceFirst("\"depth\": \\d+", "\"depth\": 3"));
        configCases.put("hidden a string", config.replaceFirst("\"hidden\": \\d+", "\"hidden\": \"64\""));

        int n = 0;
        for (Map.Entry<String, UnaryOperator<byte[]>> c : weightCases.entrySet()) {
            Path folder = folder(fixture, "w" + n++);
            Files.write(folder.resolve("model.safetensors"), c.getValue().apply(weights));
            check(c.getKey(), folder);
        }
        for (Map.Entry<String, String> c : configCases.entrySet()) {
            Path folder = folder(fixture, "c" + n++);
            Files.writeString(folder.resolve("config.json"), c.getValue());
            check(c.getKey(), folder);
        }
        Path noConfig = folder(fixture, "none");
        Files.delete(noConfig.resolve("config.json"));
        check("missing config.json", noConfig);
    }

    private void check(String name, Path folder) {
        Path out = temp.resolve(folder.getFileName() + ".mp4");
        GenerateCommandTest.Run r = GenerateCommandTest.run("generate", "--prompt", "a red circle moving right",
                "--model", folder.toString(), "--out", out.toString());
        assertEquals(ExitCodes.MODEL, r.code(), name + ": " + r.err());
        assertEquals(1, r.err().strip().split("\n").length, name + ": " + r.err());
        assertTrue(r.err().startsWith("reel: "), name + ": " + r.err());
        assertFalse(Files.exists(out), name + ": wrote a file");
    }

    private Path folder(Path fixture, String name) throws Exception {
        Path f = Files.createDirectories(temp.resolve(name));
        for (String file : new String[] {"config.json", "vocabulary.json", "model.safetensors"}) {
            Files.copy(fixture.resolve(file), f.resolve(file));
        }
        return f;
    }

    private static byte[] withLength(byte[] w, long length) {
        byte[] c = w.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return c;
    }

    private static byte[] withHeader(byte[] w, String header) {
        byte[] c = w.clone();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(h, 0, c, 8, Math.min(h.length, c.length - 8));
        return c;
    }
}
