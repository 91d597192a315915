package dev.reel.provenance;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The signed record of how a video was made, kept in the file's container metadata
 * (MP4 tags, Matroska tags in WebM, text chunks of every PNG frame; a GIF has no
 * place for it) under the keys {@code reel.FIELD}:
 *
 * <table>
 * <caption>manifest fields, in signing order</caption>
 * <tr><td>generator, version</td><td>{@code Reel} and its version</td></tr>
 * <tr><td>model, model_sha256</td><td>the model folder's name and the SHA-256 of its weights</td></tr>
 * <tr><td>prompt, negative_prompt, seed</td><td>of this video</td></tr>
 * <tr><td>sampler, steps, guidance</td><td>as run (the model's defaults filled in)</td></tr>
 * <tr><td>created</td><td>UTC time of writing, ISO-8601 to the second</td></tr>
 * <tr><td>request</td><td>the {@code reel generate} line that reproduces the request</td></tr>
 * <tr><td>watermark, watermark_key</td><td>the 64-bit payload in hex, and the fingerprint of the key that embedded it</td></tr>
 * <tr><td>frames_sha256</td><td>{@link dev.reel.video.VideoReader#frameDigest} of the file as written</td></tr>
 * <tr><td>signing_key</td><td>the Ed25519 public key, base64 of its X.509 encoding</td></tr>
 * </table>
 *
 * <p>{@code reel.signature} is the base64 Ed25519 signature of the UTF-8 bytes of
 * {@code "reel-manifest-v1\0"} followed by {@code name\0value\0} for each field
 * present, in the order above (a field with an empty value, such as an empty
 * negative prompt, is left out: some containers drop empty tags) (values never hold NUL: the writers refuse it). So
 * changing, adding or removing any field breaks the signature; keys other than these
 * are not signed.
 *
 * <p>The frames' SHA-256 is over the decoded pictures of the written file, which is
 * what a checker can recompute: the file is encoded once, decoded to hash it, and
 * the signed metadata is then added by copying its packets (no second encode).
 */
public final class Manifest {
    /** The prefix of every manifest key in a file's metadata. */
    public static final String PREFIX = "reel.";
    /** The signed fields, in signing order. */
    public static final List<String> FIELDS = List.of("generator", "version", "model", "model_sha256", "prompt",
            "negative_prompt", "seed", "sampler", "steps", "guidance", "created", "request", "watermark",
            "watermark_key", "frames_sha256", "signing_key");
    /** The field that holds the signature. */
    public static final String SIGNATURE = "signature";

    private static final String DOMAIN = "reel-manifest-v1";

    private final Map<String, String> fields;
    private final String signature;

    private Manifest(Map<String, String> fields, String signature) {
        this.fields = Collections.unmodifiableMap(fields);
        this.signature = signature;
    }

    /** Signs {@code fields} (names from {@link #FIELDS}; {@code signing_key} is set to the key's) with {@code key}. */
    public static Manifest sign(Map<String, String> fields, SigningKey key) {
        Map<String, String> f = ordered(fields);
        f.put("signing_key", key.publicKeyBase64());
        f = ordered(f);
        String sig = Base64.getEncoder().encodeToString(key.sign(signedBytes(f)));
        return new Manifest(f, sig);
    }

    /**
     * The manifest in a file's metadata (keys compared without regard to case, as
     * WebM upper-cases them), or empty when it has none of the manifest's keys.
     */
    public static Optional<Manifest> read(Map<String, String> metadata) {
        Map<String, String> byKey = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byKey.putAll(metadata);
        Map<String, String> f = new LinkedHashMap<>();
        for (String name : FIELDS) {
            String v = byKey.get(PREFIX + name);
            if (v != null && !v.isEmpty()) {
                f.put(name, v);
            }
        }
        String sig = byKey.get(PREFIX + SIGNATURE);
        if (f.isEmpty() && sig == null) {
            return Optional.empty();
        }
        return Optional.of(new Manifest(f, sig));
    }

    private static Map<String, String> ordered(Map<String, String> fields) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String name : fields.keySet()) {
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("manifest field '" + name + "' is not one of " + FIELDS);
            }
        }
        for (String name : FIELDS) {
            String v = fields.get(name);
            if (v != null && !v.isEmpty()) {
                if (v.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("manifest field '" + name + "' holds a NUL character");
                }
                f.put(name, v);
            }
        }
        return f;
    }

    private static byte[] signedBytes(Map<String, String> fields) {
        StringBuilder s = new StringBuilder(DOMAIN).append('\0');
        for (Map.Entry<String, String> e : fields.entrySet()) {
            s.append(e.getKey()).append('\0').append(e.getValue()).append('\0');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The signed fields present, by name without the prefix, in signing order. */
    public Map<String, String> fields() {
        return fields;
    }

    /** One field, or null when absent. */
    public String get(String field) {
        return fields.get(field);
    }

    /** The base64 signature, when there is one. */
    public Optional<String> signature() {
        return Optional.ofNullable(signature);
    }

    /** Whether there is a signature and it verifies, by the public key in {@code signing_key}, over these fields. */
    public boolean signatureValid() {
        String pub = fields.get("signing_key");
        if (signature == null || pub == null) {
            return false;
        }
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return SigningKey.verify(pub, signedBytes(fields), sig);
    }

    /** The fingerprint of the signing key named in the manifest, or null. */
    public String signer() {
        String pub = fields.get("signing_key");
        return pub == null ? null : SigningKey.fingerprintOf(pub);
    }

    /** The metadata entries that carry this manifest: {@code reel.FIELD} and {@code reel.signature}. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        fields.forEach((k, v) -> m.put(PREFIX + k, v));
        if (signature != null) {
            m.put(PREFIX + SIGNATURE, signature);
        }
        return m;
    }

    @Override
    public String toString() {
        return "Manifest" + fields + (signature == null ? " (unsigned)" : "");
    }
}
