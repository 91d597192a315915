package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Manifests: what is signed, and that any change to it shows. */
class ManifestTest {
    private static final SigningKey KEY = SigningKey.generate();

    private static Map<String, String> fields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("generator", "Reel");
        f.put("prompt", "a red circle moving right");
        f.put("negative_prompt", "");
        f.put("seed", "42");
        f.put("frames_sha256", "00ff");
        return f;
    }

    @Test
    void aSignedManifestVerifiesAfterARoundTripThroughMetadata() {
        Manifest m = Manifest.sign(fields(), KEY);
        assertTrue(m.signatureValid());
        assertEquals(KEY.fingerprint(), m.signer());
        assertFalse(m.fields().containsKey("negative_prompt"), "empty values are left out");
        Manifest back = Manifest.read(m.toMetadata()).orElseThrow();
        assertTrue(back.signatureValid());
        assertEquals(m.fields(), back.fields());
    }

    @Test
    void keysUpperCasedByWebmStillRead() {
        Map<String, String> upper = new LinkedHashMap<>();
        Manifest.sign(fields(), KEY).toMetadata().forEach((k, v) -> upper.put(k.toUpperCase(Locale.ROOT), v));
        assertTrue(Manifest.read(upper).orElseThrow().signatureValid());
    }

    @Test
    void changingAddingOrRemovingASignedFieldBreaksTheSignature() {
        Map<String, String> meta = Manifest.sign(fields(), KEY).toMetadata();
        Map<String, String> changed = new LinkedHashMap<>(meta);
        changed.put("reel.seed", "43");
        assertFalse(Manifest.read(changed).orElseThrow().signatureValid());
        Map<String, String> added = new LinkedHashMap<>(meta);
        added.put("reel.steps", "25");
        assertFalse(Manifest.read(added).orElseThrow().signatureValid());
        Map<String, String> removed = new LinkedHashMap<>(meta);
        removed.remove("reel.prompt");
        assertFalse(Manifest.read(removed).orElseThrow().signatureValid());
        Map<String, String> resigned = new LinkedHashMap<>(meta);
        resigned.put("reel.signing_key", SigningKey.generate().publicKeyBase64());
        assertFalse(Manifest.read(resigned).orElseThrow().signatureValid());
        Map<String, String> extra = new LinkedHashMap<>(meta);
        extra.put("reel.note", "not a manifest field");
        assertTrue(Manifest.read(extra).orElseThrow().signatureValid(), "keys outside the manifest are not signed");
    }

    @Test
    void unsignedOrAbsent() {
        assertTrue(Manifest.read(Map.of("encoder", "Lavf")).isEmpty());
        Manifest unsigned = Manifest.read(Map.of("reel.prompt", "x")).orElseThrow();
        assertTrue(unsigned.signature().isEmpty());
        assertFalse(unsigned.signatureValid());
        assertThrows(IllegalArgumentException.class, () -> Manifest.sign(Map.of("colour", "red"), KEY));
    }
}
