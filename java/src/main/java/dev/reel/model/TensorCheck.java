package dev.reel.model;

import dev.reel.DType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The check of a weights file against the tensors its configuration describes, for every kind of model file. */
final class TensorCheck {
    private TensorCheck() {}

    /**
     * Refuses weights that lack a tensor {@code expected} names, hold one it does not name,
     * or hold one of another shape, another dtype than F32 where {@code f32Only}, or a NaN or
     * infinite element; {@code architecture} and {@code configFile} say in messages what
     * describes the tensors.
     */
    static void check(SafeTensors weights, Map<String, long[]> expected, String architecture, String configFile,
            boolean f32Only) {
        List<String> missing = new ArrayList<>();
        for (String n : expected.keySet()) {
            if (!weights.contains(n)) {
                missing.add(n);
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelFormatException(weights.source(), missing.get(0), "missing" + (missing.size() > 1
                    ? " (and " + (missing.size() - 1) + " more: " + Json.clip(String.join(", ", missing.subList(1,
                            missing.size())), 300) + ")" : "")
                    + "; " + configFile + " describes " + expected.size() + " tensors");
        }
        Set<String> unexpected = new TreeSet<>(weights.names());
        unexpected.removeAll(expected.keySet());
        if (!unexpected.isEmpty()) {
            String first = unexpected.iterator().next();
            throw new ModelFormatException(weights.entry(first).file(), Json.clip(first, 200), "is not a tensor of "
                    + "the " + architecture + " that " + configFile + " describes" + (unexpected.size() > 1 ? " (nor are "
                            + (unexpected.size() - 1) + " more)" : "") + "; is this the right weights file?");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafeTensors.Entry entry = weights.entry(e.getKey());
            if (!Arrays.equals(entry.shape(), e.getValue())) {
                throw new ModelFormatException(entry.file(), e.getKey(), "shape " + Arrays.toString(entry.shape())
                        + ", but " + configFile + " needs " + Arrays.toString(e.getValue()));
            }
        }
        if (f32Only) {
            for (String n : expected.keySet()) {
                SafeTensors.Entry entry = weights.entry(n);
                if (entry.dtype() != DType.F32) {
                    throw new ModelFormatException(entry.file(), n, "dtype " + entry.dtype() + ", but " + architecture
                            + " weights are F32");
                }
            }
        }
        for (String n : expected.keySet()) {
            long bad = weights.firstNonFinite(n);
            if (bad >= 0) {
                float value = valueAt(weights, n, bad);
                String what = Float.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
                throw new ModelFormatException(weights.entry(n).file(), n, "element " + bad + " is " + what
                        + " (every weight must be finite)");
            }
        }
    }

    private static float valueAt(SafeTensors weights, String tensor, long index) {
        ByteBuffer b = weights.bytes(tensor);
        switch (weights.entry(tensor).dtype()) {
            case F32:
                return b.getFloat((int) (4 * index));
            case BF16:
                return Float.intBitsToFloat((b.getShort((int) (2 * index)) & 0xFFFF) << 16);
            default:
                return SafeTensors.halfToFloat(b.getShort((int) (2 * index)));
        }
    }
}
