package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing keys: files, the derived public key, the default location. */
class SigningKeyTest {
    @TempDir
    Path temp;

    @Test
    void aKeyReadFromItsFileSignsAsTheOriginal() {
        SigningKey k = SigningKey.generate();
        Path f = temp.resolve("key.pem");
        k.write(f);
        SigningKey back = SigningKey.read(f);
        assertEquals(k.publicKeyBase64(), back.publicKeyBase64(), "the public key is derived from the private one");
        Manifest m = Manifest.sign(Map.of("prompt", "x"), back);
        assertTrue(m.signatureValid());
        assertEquals(k.fingerprint(), m.signer());
    }

    @Test
    void theDefaultKeyIsMadeOnceUnderReelHomeForItsOwnerOnly() throws Exception {
        String before = System.getProperty("reel.home");
        System.setProperty("reel.home", temp.resolve("home").toString());
        try {
            SigningKey first = SigningKey.loadOrCreateDefault();
            SigningKey second = SigningKey.loadOrCreateDefault();
            assertEquals(first.fingerprint(), second.fingerprint());
            Path file = temp.resolve("home").resolve(SigningKey.FILE);
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(file));
            assertTrue(Files.readString(temp.resolve("home").resolve(SigningKey.PUBLIC_FILE)).contains("PUBLIC KEY"));
            assertEquals(first.fingerprint(), SigningKey.defaultFingerprint().orElseThrow());
        } finally {
            if (before == null) {
                System.clearProperty("reel.home");
            } else {
                System.setProperty("reel.home", before);
            }
        }
    }

    @Test
    void somethingElseIsNotAKey() throws Exception {
        Path f = temp.resolve("junk.pem");
        Files.writeString(f, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThrows(IllegalArgumentException.class, () -> SigningKey.read(f));
    }
}
