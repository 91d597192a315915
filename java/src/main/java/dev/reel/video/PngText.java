package dev.reel.video;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * PNG text chunks, written into and read out of whole PNG files.
 *
 * <p>An ASCII value goes into a {@code tEXt} chunk, which every PNG tool reads; any
 * other into an {@code iTXt} chunk (UTF-8). {@code tEXt} is Latin-1 by the standard,
 * but FFmpeg 8's decoder garbles its non-ASCII bytes, and it skips {@code iTXt}
 * entirely: so reading is done here, and knows all three kinds ({@code tEXt},
 * {@code zTXt}, {@code iTXt}). Chunks go right after {@code IHDR}.
 */
final class PngText {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int IHDR_END = 8 + 4 + 4 + 13 + 4;

    private PngText() {}

    /** Refuses a key that is not a PNG keyword: 1–79 printable Latin-1 characters, no outer or double spaces. */
    static void checkKeyword(String key) {
        boolean ok = !key.isEmpty() && key.length() <= 79 && key.charAt(0) != ' '
                && key.charAt(key.length() - 1) != ' ' && !key.contains("  ");
        for (int i = 0; ok && i < key.length(); i++) {
            char c = key.charAt(i);
            ok = (c >= 32 && c <= 126) || (c >= 161 && c <= 255);
        }
        if (!ok) {
            throw new IllegalArgumentException("metadata key '" + key + "' is not a PNG keyword: expected 1 to 79 "
                    + "printable Latin-1 characters without leading, trailing or double spaces");
        }
    }

    /** The chunks for {@code text}, ready to insert. */
    static byte[] chunks(Map<String, String> text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : text.entrySet()) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(e.getKey().getBytes(StandardCharsets.ISO_8859_1));
            body.write(0);
            String value = e.getValue();
            if (StandardCharsets.US_ASCII.newEncoder().canEncode(value)) {
                body.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
                chunk(out, "tEXt", body.toByteArray());
            } else {
                // compression flag 0, method 0, empty language tag, empty translated keyword
                body.writeBytes(new byte[] {0, 0, 0, 0});
                body.writeBytes(value.getBytes(StandardCharsets.UTF_8));
                chunk(out, "iTXt", body.toByteArray());
            }
        }
        return out.toByteArray();
    }

    /** {@code png} with {@code chunks} inserted after its header chunk. */
    static byte[] insert(byte[] png, byte[] chunks) {
        if (png.length < IHDR_END || !startsWithSignature(png) || png[12] != 'I' || png[13] != 'H'
                || png[14] != 'D' || png[15] != 'R') {
            throw new VideoException("the PNG encoder's output does not start with a signature and an IHDR chunk");
        }
        byte[] out = new byte[png.length + chunks.length];
        System.arraycopy(png, 0, out, 0, IHDR_END);
        System.arraycopy(chunks, 0, out, IHDR_END, chunks.length);
        System.arraycopy(png, IHDR_END, out, IHDR_END + chunks.length, png.length - IHDR_END);
        return out;
    }

    /** {@code png} without its text chunks ({@code tEXt}, {@code zTXt}, {@code iTXt}); other chunks as they were. */
    static byte[] strip(byte[] png) {
        if (!startsWithSignature(png)) {
            throw new VideoException("not a PNG file: no PNG signature");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length);
        out.write(png, 0, 8);
        ByteBuffer b = ByteBuffer.wrap(png);
        int pos = 8;
        while (pos + 12 <= png.length) {
            int length = b.getInt(pos);
            if (length < 0 || pos + 12L + length > png.length) {
                throw new VideoException("a PNG chunk at byte " + pos + " runs past the end of the file");
            }
            String type = new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (!type.equals("tEXt") && !type.equals("zTXt") && !type.equals("iTXt")) {
                out.write(png, pos, length + 12);
            }
            pos += length + 12;
            if (type.equals("IEND")) {
                break;
            }
        }
        return out.toByteArray();
    }

    /** The text chunks of a PNG file, in file order; chunks that do not parse are skipped. */
    static Map<String, String> read(byte[] png) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!startsWithSignature(png)) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(png);
        int pos = 8;
        while (pos + 12 <= png.length) {
            int length = b.getInt(pos);
            if (length < 0 || pos + 12L + length > png.length) {
                break;
            }
            String type = new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1);
            int data = pos + 8;
            if (type.equals("IEND")) {
                break;
            }
            if (type.equals("tEXt") || type.equals("zTXt") || type.equals("iTXt")) {
                text(type, png, data, length, out);
            }
            pos = data + length + 4;
        }
        return out;
    }

    private static void text(String type, byte[] png, int start, int length, Map<String, String> out) {
        int end = start + length;
        int nul = indexOf(png, start, end);
        if (nul < 0) {
            return;
        }
        String key = new String(png, start, nul - start, StandardCharsets.ISO_8859_1);
        try {
            switch (type) {
                case "tEXt" -> out.put(key, new String(png, nul + 1, end - nul - 1, StandardCharsets.ISO_8859_1));
                case "zTXt" -> out.put(key, new String(inflate(png, nul + 2, end), StandardCharsets.ISO_8859_1));
                default -> {
                    boolean compressed = png[nul + 1] != 0;
                    int lang = indexOf(png, nul + 3, end);
                    int translated = lang < 0 ? -1 : indexOf(png, lang + 1, end);
                    if (translated < 0) {
                        return;
                    }
                    byte[] value = compressed ? inflate(png, translated + 1, end)
                            : java.util.Arrays.copyOfRange(png, translated + 1, end);
                    out.put(key, new String(value, StandardCharsets.UTF_8));
                }
            }
        } catch (DataFormatException | ArrayIndexOutOfBoundsException e) {
            // A damaged text chunk carries no metadata; the picture is still readable.
        }
    }

    private static byte[] inflate(byte[] data, int from, int to) throws DataFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(data, from, to - from);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            inflater.end();
        }
    }

    private static int indexOf(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWithSignature(byte[] png) {
        if (png.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        writeInt(out, data.length);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        writeInt(out, (int) crc.getValue());
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
