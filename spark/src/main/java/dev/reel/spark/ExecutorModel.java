package dev.reel.spark;

import dev.reel.Device;
import dev.reel.pipeline.Generator;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The models of this executor JVM, one per (folder, device): loaded by the first
 * task that needs it and kept for every later task, so a model is loaded once per
 * executor and device, not once per task or per row. Tasks are never handed a model in their closure (it would be
 * serialised with every task); they look it up here. Tasks running at once on one
 * executor take turns on it ({@link Generator} runs one generation at a time).
 */
final class ExecutorModel {
    private static final Map<String, Generator> LOADED = new HashMap<>();

    private ExecutorModel() {}

    /** The generator on {@code folder} (null: the embedded model) on {@code device}, loaded on first use. */
    static synchronized Generator get(String folder, Device device) {
        String key = (device.isCuda() ? "cuda:" + device.ordinal() : "cpu") + "|" + (folder == null ? "" : folder);
        Generator g = LOADED.get(key);
        if (g == null) {
            g = folder == null ? Generator.embedded(device) : Generator.load(Path.of(folder), device);
            LOADED.put(key, g);
        }
        return g;
    }
}
