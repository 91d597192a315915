package dev.reel.provenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * An Ed25519 key pair ({@code java.security}, algorithm "Ed25519") that signs
 * manifests.
 *
 * <p>Where it lives: {@link #loadOrCreateDefault()} uses
 * {@code $REEL_HOME/signing-key.pem}, where {@code REEL_HOME} is the system property
 * {@code reel.home}, else the environment variable {@code REEL_HOME}, else
 * {@code ~/.reel}; on first use it generates a key pair there (the folder and file
 * readable by their owner only) and writes the public half next to it as
 * {@code signing-key.pub.pem} for others to pin. The private file is standard PKCS#8
 * PEM ({@code -----BEGIN PRIVATE KEY-----}), so {@code openssl genpkey -algorithm
 * ed25519 -out key.pem} makes one that {@link #read} takes; the public key is derived
 * from it.
 *
 * <p>A signature proves that whoever holds this private key signed these fields, no
 * more: anyone can make a key and sign a manifest of their own. Check the signer's
 * {@link #fingerprint} against a key you trust.
 */
public final class SigningKey {
    static final String FILE = "signing-key.pem";
    static final String PUBLIC_FILE = "signing-key.pub.pem";

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private SigningKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A fresh key pair. */
    public static SigningKey generate() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new SigningKey(pair.getPrivate(), pair.getPublic());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is missing from this Java runtime", e);
        }
    }

    /** The folder the default key pair lives in (see the class comment). */
    public static Path home() {
        String p = System.getProperty("reel.home");
        if (p == null || p.isBlank()) {
            p = System.getenv("REEL_HOME");
        }
        return p == null || p.isBlank() ? Path.of(System.getProperty("user.home"), ".reel") : Path.of(p);
    }

    /** The default key pair, generated under {@link #home()} on first use. */
    public static synchronized SigningKey loadOrCreateDefault() {
        Path dir = home();
        Path file = dir.resolve(FILE);
        if (Files.exists(file)) {
            return read(file);
        }
        SigningKey key = generate();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                ownerOnly(dir, "rwx------");
            }
            Path temp = Files.createTempFile(dir, ".signing-key", ".tmp");
            ownerOnly(temp, "rw-------");
            Files.writeString(temp, pem("PRIVATE KEY", key.privateKey.getEncoded()));
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(dir.resolve(PUBLIC_FILE), key.publicPem());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the signing key " + file
                    + " (set -Dreel.home or REEL_HOME to a writable folder, or pass a key)", e);
        }
        return key;
    }

    /** The default key pair's public fingerprint, when it exists (nothing is created). */
    public static java.util.Optional<String> defaultFingerprint() {
        Path file = home().resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(read(file).fingerprint());
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** Reads a PKCS#8 PEM (or DER) Ed25519 private key; the public key is derived from it. */
    public static SigningKey read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("signing key file is null");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read signing key " + file, e);
        }
        byte[] der = bytes;
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        if (begin >= 0) {
            int end = text.indexOf("-----END PRIVATE KEY-----", begin);
            if (end < 0) {
                throw new IllegalArgumentException("signing key " + file + ": no END PRIVATE KEY line");
            }
            try {
                der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("signing key " + file + ": the PEM block is not base64");
            }
        }
        try {
            PrivateKey priv = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
            return new SigningKey(priv, derivePublic((EdECPrivateKey) priv));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("signing key " + file + " is not an Ed25519 private key in PKCS#8 "
                    + "(PEM 'BEGIN PRIVATE KEY' or DER): " + e.getMessage());
        }
    }

    /**
     * The public key of a private key. {@code java.security} has no call for it, but
     * its Ed25519 key generator takes the 32-byte private key straight from the
     * random source it is given; handing it this key's bytes regenerates the pair.
     */
    private static PublicKey derivePublic(EdECPrivateKey priv) throws GeneralSecurityException {
        byte[] seed = priv.getBytes().orElseThrow(() -> new GeneralSecurityException("the private key has no bytes"));
        SecureRandom fixed = new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] out) {
                if (out.length != seed.length) {
                    throw new IllegalStateException("the key generator asked for " + out.length + " bytes");
                }
                System.arraycopy(seed, 0, out, 0, seed.length);
            }
        };
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        g.initialize(NamedParameterSpec.ED25519, fixed);
        KeyPair pair = g.generateKeyPair();
        if (!MessageDigest.isEqual(pair.getPrivate().getEncoded(), priv.getEncoded())) {
            throw new GeneralSecurityException("could not derive the public key");
        }
        return pair.getPublic();
    }

    /** Writes the private key as PKCS#8 PEM to a new file readable by its owner only. */
    public void write(Path file) {
        try {
            Files.createFile(file);
            ownerOnly(file, "rw-------");
            Files.writeString(file, pem("PRIVATE KEY", privateKey.getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write signing key " + file, e);
        }
    }

    /** The public key as X.509 SubjectPublicKeyInfo PEM. */
    public String publicPem() {
        return pem("PUBLIC KEY", publicKey.getEncoded());
    }

    /** The public key as base64 of its X.509 SubjectPublicKeyInfo encoding (the manifest's form). */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey.getEncoded());
    }

    /** {@link #fingerprintOf} this key's public half. */
    public String fingerprint() {
        return fingerprintOf(publicKeyBase64());
    }

    /** A short name for a public key in the manifest's form: the first 8 bytes of SHA-256 of its encoding, in hex. */
    public static String fingerprintOf(String publicKeyBase64) {
        try {
            byte[] der = Base64.getDecoder().decode(publicKeyBase64);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        } catch (IllegalArgumentException e) {
            return "(not base64)";
        }
    }

    byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** Whether {@code signature} is a valid Ed25519 signature of {@code message} by the public key given in base64. */
    static boolean verify(String publicKeyBase64, byte[] message, byte[] signature) {
        try {
            PublicKey pub = KeyFactory.getInstance("Ed25519")
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKeyBase64)));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(pub);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Restricts a file's permissions where the file system has POSIX permissions; elsewhere it keeps the defaults. */
    static void ownerOnly(Path p, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    @Override
    public String toString() {
        return "SigningKey[Ed25519 " + fingerprint() + "]";
    }
}
