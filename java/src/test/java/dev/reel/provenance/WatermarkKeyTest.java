package dev.reel.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Watermark keys: the default, files, and what a key determines. */
class WatermarkKeyTest {
    @TempDir
    Path temp;

    @Test
    void theDefaultKeyShipsInTheJar() {
        WatermarkKey k = WatermarkKey.defaultKey();
        assertTrue(k.isDefault());
        assertEquals(16, k.fingerprint().length());
        assertTrue(k.toString().contains("default"), k.toString());
    }

    @Test
    void aWrittenKeyReadsBackAndItsSecretIsNotPrinted() throws Exception {
        WatermarkKey k = WatermarkKey.generate();
        Path f = temp.resolve("wm.key");
        k.write(f);
        WatermarkKey back = WatermarkKey.read(f);
        assertEquals(k, back);
        assertFalse(back.isDefault());
        String hex = Files.readString(f).lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow();
        assertFalse(k.toString().contains(hex));
        Path raw = temp.resolve("raw.key");
        Files.write(raw, java.util.HexFormat.of().parseHex(hex));
        assertEquals(k, WatermarkKey.read(raw));
    }

    @Test
    void malformedKeysAreRefused() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> WatermarkKey.of(new byte[31]));
        Path f = temp.resolve("bad.key");
        Files.writeString(f, "not hex at all");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WatermarkKey.read(f));
        assertTrue(e.getMessage().contains("64 hexadecimal digits"), e.getMessage());
    }

    @Test
    void aKeyFixesEveryChipAndRoleAndTwoKeysDiffer() {
        WatermarkKey a = WatermarkKey.generate(), b = WatermarkKey.generate();
        Layout la = a.layout(32, 32), again = WatermarkKey.of(copy(a)).layout(32, 32), lb = b.layout(32, 32);
        assertTrue(java.util.Arrays.equals(la.chips, again.chips));
        assertTrue(java.util.Arrays.equals(la.roles, again.roles));
        assertNotEquals(java.util.Arrays.toString(la.chips), java.util.Arrays.toString(lb.chips));
        int presence = 0, plus = 0;
        int[] perBit = new int[PayloadCode.CODED_BITS];
        for (int c = 0; c < la.cells(); c++) {
            if (la.roles[c] == Layout.PRESENCE) {
                presence++;
            } else {
                perBit[la.roles[c]]++;
            }
            plus += la.chips[c] > 0 ? 1 : 0;
        }
        assertEquals(256, presence);
        assertTrue(plus > 400 && plus < 624, plus + " of 1024 chips are +1");
        for (int n : perBit) {
            assertTrue(n == 2 || n == 3, "each coded bit has 2 or 3 of the 768 payload cells");
        }
    }

    private static byte[] copy(WatermarkKey k) {
        // the only way to the secret from outside the key is its file
        try {
            Path f = Files.createTempFile("k", ".key");
            Files.delete(f);
            k.write(f);
            byte[] b = java.util.HexFormat.of().parseHex(Files.readString(f).lines()
                    .filter(l -> !l.startsWith("#")).findFirst().orElseThrow().trim());
            Files.delete(f);
            return b;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
