package dev.reel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.reel.provenance.Detection;
import dev.reel.provenance.Manifest;
import dev.reel.provenance.Provenance;
import dev.reel.provenance.SigningKey;
import dev.reel.provenance.Watermark;
import dev.reel.provenance.WatermarkKey;
import dev.reel.provenance.WatermarkReading;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reel detect}: is this file's watermark there, and does its manifest check out. */
@Command(name = "detect", sortOptions = false,
        description = "Check a video (or PNG folder) for Reel's watermark and signed manifest. Exit 0: watermarked; "
                + "1: not watermarked; 2: error.")
final class Detect implements Callable<Integer> {
    /** Exit codes of this command (the others' do not apply: any error is {@link #ERROR}). */
    static final int MARKED = 0, NOT_MARKED = 1, ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "An MP4, WebM, GIF or PNG file, or a folder of PNG frames.")
    Path file;

    @Option(names = "--key", paramLabel = "FILE",
            description = "The watermark key (64 hex digits or 32 bytes; default: Reel's public key).")
    Path key;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(file)) {
            throw new Cli.IoError("cannot read " + file + ": no such file or folder");
        }
        WatermarkKey k = key == null ? WatermarkKey.defaultKey() : WatermarkKey.read(key);
        Detection d = Provenance.detect(file, k);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree(d, k)));
        } else {
            print(out, d, k);
        }
        out.flush();
        return d.watermarked() ? MARKED : NOT_MARKED;
    }

    private static void print(PrintWriter out, Detection d, WatermarkKey k) {
        WatermarkReading w = d.watermark();
        out.printf(Locale.ROOT, "%s: %s%n", d.file(), d.watermarked() ? "watermarked" : "not watermarked");
        out.printf(Locale.ROOT, "  watermark  p = %s (marked when p <= %s), z = %.2f over %d cells; key %s%n",
                pText(w.pValue()), pText(Watermark.FALSE_POSITIVE_RATE), w.zScore(), w.presenceCells(), keyText(k));
        out.printf(Locale.ROOT, "  payload    %s%n", w.payload().isPresent()
                ? String.format("%016x", w.payload().getAsLong()) + checkText(d.payload(), "matches the manifest",
                        "differs from the manifest's")
                : "did not decode");
        if (d.manifest().isEmpty()) {
            out.println("  manifest   none");
        } else {
            Manifest m = d.manifest().get();
            out.printf(Locale.ROOT, "  manifest   signature %s%s; frames %s%n", d.signature().name().toLowerCase(Locale.ROOT),
                    m.signer() == null ? "" : " (Ed25519 key " + m.signer() + signerText(m.signer()) + ")",
                    d.frames().name().toLowerCase(Locale.ROOT));
            m.fields().forEach((name, value) -> {
                if (!name.equals("signing_key")) {
                    out.printf(Locale.ROOT, "    %-16s %s%n", name, value);
                }
            });
        }
        for (String note : d.notes()) {
            out.println("  note: " + note);
        }
    }

    private static Map<String, Object> tree(Detection d, WatermarkKey k) {
        Map<String, Object> t = new LinkedHashMap<>();
        WatermarkReading w = d.watermark();
        t.put("file", d.file().toString());
        t.put("watermarked", d.watermarked());
        t.put("p_value", w.pValue());
        t.put("threshold", Watermark.FALSE_POSITIVE_RATE);
        t.put("z_score", w.zScore());
        t.put("presence_cells", w.presenceCells());
        t.put("key", k.fingerprint());
        t.put("default_key", k.isDefault());
        t.put("payload", w.payload().isPresent() ? String.format("%016x", w.payload().getAsLong()) : null);
        t.put("payload_check", d.payload().name().toLowerCase(Locale.ROOT));
        t.put("signature_check", d.signature().name().toLowerCase(Locale.ROOT));
        t.put("frames_check", d.frames().name().toLowerCase(Locale.ROOT));
        t.put("signer", d.manifest().map(Manifest::signer).orElse(null));
        t.put("manifest", d.manifest().map(Manifest::fields).orElse(null));
        t.put("notes", d.notes());
        return t;
    }

    private static String pText(double p) {
        return p == 0 ? "< 1e-300" : p >= 0.001 ? String.format(Locale.ROOT, "%.3f", p)
                : String.format(Locale.ROOT, "%.2e", p);
    }

    private static String keyText(WatermarkKey k) {
        return k.fingerprint() + (k.isDefault() ? " (Reel's public default)" : "");
    }

    private static String checkText(Detection.Check c, String passed, String failed) {
        return switch (c) {
            case PASSED -> " (" + passed + ")";
            case FAILED -> " (" + failed + ")";
            case MISSING -> "";
        };
    }

    private static String signerText(String signer) {
        return SigningKey.defaultFingerprint().filter(signer::equals).map(f -> ", the key in " + SigningKey.home())
                .orElse("");
    }
}
