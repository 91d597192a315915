package dev.reel.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 256-bit secret that a watermark is made and found with: it chooses every chip
 * of the pattern and which cells carry which bit, so that without it the mark is
 * noise and with it the mark is a known signal.
 *
 * <p>{@link #defaultKey()} ships in Reel's jar and is therefore public: anyone can
 * check that a file was made by Reel, and anyone can also forge that mark on other
 * pictures or estimate and subtract it. A key of your own ({@link #generate},
 * {@link #of}, {@link #read}) keeps both to whoever holds it.
 *
 * <p>A key file is 64 hexadecimal digits (lines starting with {@code #} and white
 * space are ignored) or exactly 32 raw bytes.
 */
public final class WatermarkKey {
    /** The key's length in bytes. */
    public static final int BYTES = 32;

    private static final String DEFAULT_RESOURCE = "default-watermark.key";
    private static volatile WatermarkKey defaultKey;

    private final byte[] secret;
    private final Map<Long, Layout> layouts = new ConcurrentHashMap<>();

    private WatermarkKey(byte[] secret) {
        this.secret = secret;
    }

    /** A key from 32 bytes (copied). */
    public static WatermarkKey of(byte[] secret) {
        if (secret == null || secret.length != BYTES) {
            throw new IllegalArgumentException("a watermark key is " + BYTES + " bytes, got "
                    + (secret == null ? "null" : secret.length + " bytes"));
        }
        return new WatermarkKey(secret.clone());
    }

    /** A fresh random key from {@link SecureRandom}. */
    public static WatermarkKey generate() {
        byte[] b = new byte[BYTES];
        new SecureRandom().nextBytes(b);
        return new WatermarkKey(b);
    }

    /** Reads a key file: 64 hex digits (comments and white space ignored) or 32 raw bytes. */
    public static WatermarkKey read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("key file is null");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read watermark key " + file, e);
        }
        return parse(bytes, file.toString());
    }

    /** The key that ships in Reel's jar (public; see the class comment). */
    public static WatermarkKey defaultKey() {
        WatermarkKey k = defaultKey;
        if (k == null) {
            try (InputStream in = WatermarkKey.class.getResourceAsStream(DEFAULT_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("Reel's jar has no " + DEFAULT_RESOURCE);
                }
                k = parse(in.readAllBytes(), DEFAULT_RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + DEFAULT_RESOURCE, e);
            }
            defaultKey = k;
        }
        return k;
    }

    private static WatermarkKey parse(byte[] bytes, String source) {
        if (bytes.length == BYTES) {
            return new WatermarkKey(bytes.clone());
        }
        StringBuilder hex = new StringBuilder();
        for (String line : new String(bytes, StandardCharsets.ISO_8859_1).split("\n")) {
            if (!line.strip().startsWith("#")) {
                hex.append(line.replaceAll("\\s", ""));
            }
        }
        if (hex.length() != 2 * BYTES || !hex.toString().matches("[0-9a-fA-F]+")) {
            throw new IllegalArgumentException("watermark key " + source + ": expected " + 2 * BYTES
                    + " hexadecimal digits or " + BYTES + " raw bytes");
        }
        return new WatermarkKey(HexFormat.of().parseHex(hex));
    }

    /** Writes this key as hex to a new file readable by its owner only (where the file system has POSIX permissions). */
    public void write(Path file) {
        try {
            Files.createFile(file);
            SigningKey.ownerOnly(file, "rw-------");
            Files.writeString(file, "# Reel watermark key (secret: it can detect, forge and remove marks)\n"
                    + HexFormat.of().formatHex(secret) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write watermark key " + file, e);
        }
    }

    /** Whether this is the public key in Reel's jar. */
    public boolean isDefault() {
        return equals(defaultKey());
    }

    /** A short public name for the key: the first 8 bytes of SHA-256 of a label and the secret, in hex. */
    public String fingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("reel watermark key fingerprint\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha.digest(secret), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /** The cell layout of a grid of {@code cols × rows} cells (cached). */
    Layout layout(int cols, int rows) {
        return layouts.computeIfAbsent((long) cols << 32 | rows, k -> new Layout(this, cols, rows));
    }

    /**
     * {@code n} pseudo-random bytes for {@code label}: HMAC-SHA256 of the label and a
     * block counter under the secret, so that every label gets an independent stream.
     */
    byte[] stream(String label, int n) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] out = new byte[n];
            byte[] name = label.getBytes(StandardCharsets.UTF_8);
            for (int block = 0, at = 0; at < n; block++) {
                mac.update(name);
                mac.update(new byte[] {0, (byte) (block >>> 24), (byte) (block >>> 16), (byte) (block >>> 8),
                        (byte) block});
                byte[] h = mac.doFinal();
                int k = Math.min(h.length, n - at);
                System.arraycopy(h, 0, out, at, k);
                at += k;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this Java runtime", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WatermarkKey k && MessageDigest.isEqual(secret, k.secret);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(secret);
    }

    /** Names the key by its fingerprint; the secret is never printed. */
    @Override
    public String toString() {
        return "WatermarkKey[" + fingerprint() + (isDefault() ? ", Reel's public default" : "") + "]";
    }
}
