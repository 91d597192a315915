package dev.reel.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The architecture and sizes of a reel-vae-2d video autoencoder: the {@code "autoencoder"}
 * block of a model folder's {@code config.json}, checked field by field before its weights
 * are mapped (the formulas are in {@code tools/reel/autoencoder.md}; the reference reader is
 * {@code tools/reel/modelfolder.py}'s {@code read_autoencoder}).
 *
 * <p>Every field is required and checked: {@code architecture} is {@code reel-vae-2d};
 * {@code file} is a plain file name in the folder ending in {@code .safetensors} (no path:
 * a config cannot point outside its folder); the counts are JSON integers in range; every
 * width is a multiple of {@code groups}; {@code downsample} is {@code 2^(len(widths) − 1)};
 * {@code eps} is positive; {@code latent_mean} and {@code latent_std} hold
 * {@code latent_channels} finite numbers, the deviations positive; {@code pixel_range} is
 * {@code [-1, 1]}. A problem is a {@link ModelFormatException} naming the file and the field
 * ({@code autoencoder.widths[2]}). Other fields are ignored.
 */
public final class AutoencoderConfig {
    public static final String ARCHITECTURE = "reel-vae-2d";
    /** The most resolution levels accepted. */
    public static final int MAX_LEVELS = 12;

    private final String file;
    private final String weightsFile;
    private final int imageChannels, latentChannels, encoderBlocks, decoderBlocks, groups;
    private final int[] widths;
    private final double eps;
    private final double[] latentMean, latentStd;

    private AutoencoderConfig(String file, Json.Obj c) {
        this.file = file;
        String architecture = c.string("architecture");
        if (!architecture.equals(ARCHITECTURE)) {
            throw c.error("architecture", "\"" + Json.clip(architecture, 80) + "\" is not " + ARCHITECTURE);
        }
        weightsFile = c.string("file");
        if (!plainName(weightsFile)) {
            throw c.error("file", "\"" + Json.clip(weightsFile, 80) + "\" is not a plain .safetensors file name in the"
                    + " model folder");
        }
        imageChannels = c.integer("image_channels", 1, 64);
        latentChannels = c.integer("latent_channels", 1, 1024);
        groups = c.integer("groups", 1, 1 << 14);
        widths = c.integerList("widths", 1, MAX_LEVELS, 1, 1 << 14);
        for (int i = 0; i < widths.length; i++) {
            if (widths[i] % groups != 0) {
                throw c.error("widths[" + i + "]", widths[i] + " is not a multiple of groups " + groups);
            }
        }
        encoderBlocks = c.integer("encoder_blocks", 1, 64);
        decoderBlocks = c.integer("decoder_blocks", 1, 64);
        eps = c.number("eps", 0, 1);
        if (!(eps > 0)) {
            throw c.error("eps", "must be positive");
        }
        int downsample = c.integer("downsample", 1, Integer.MAX_VALUE);
        if (downsample != downsample()) {
            throw c.error("downsample", downsample + ", but " + widths.length + " widths give 2^" + (widths.length - 1)
                    + " = " + downsample());
        }
        latentMean = c.numbers("latent_mean", latentChannels, -1e6, 1e6);
        latentStd = c.numbers("latent_std", latentChannels, 0, 1e6);
        for (int i = 0; i < latentChannels; i++) {
            // the decoder multiplies by it and the encoder divides by it, in float32
            if (!((float) latentStd[i] >= Float.MIN_NORMAL)) {
                throw c.error("latent_std[" + i + "]", latentStd[i] + " is not positive");
            }
        }
        double[] range = c.numbers("pixel_range", 2, -1e6, 1e6);
        if (range[0] != -1 || range[1] != 1) {
            throw c.error("pixel_range", Arrays.toString(range) + ", expected [-1.0, 1.0]");
        }
    }

    /** A name that resolves to a file directly inside the folder. */
    private static boolean plainName(String name) {
        return !name.isEmpty() && name.length() <= 255 && name.endsWith(".safetensors") && !name.startsWith(".")
                && name.chars().noneMatch(ch -> ch == '/' || ch == '\\' || ch == ':' || ch < 0x20);
    }

    /** Checks the {@code "autoencoder"} block {@code block} of {@code file}. */
    static AutoencoderConfig parse(String file, Json.Obj block) {
        return new AutoencoderConfig(file, block);
    }

    /** Reads the {@code "autoencoder"} block of config.json's bytes; {@code file} names them in messages. */
    public static AutoencoderConfig parse(String file, byte[] configJson) {
        if (file == null || configJson == null) {
            throw new IllegalArgumentException(file == null ? "file is null" : "configJson is null");
        }
        if (configJson.length > ModelConfig.MAX_FILE_BYTES) {
            throw new ModelFormatException(file, "file", "is " + configJson.length + " bytes, more than the limit "
                    + ModelConfig.MAX_FILE_BYTES);
        }
        Json.Obj c = Json.parseObject(file, "config", configJson);
        if (!c.has("autoencoder")) {
            throw c.error("autoencoder", "missing (this config.json describes no autoencoder)");
        }
        return parse(file, c.object("autoencoder"));
    }

    // ---------------------------------------------------------------- tensors

    /**
     * Every tensor of the autoencoder, by name (sorted), with its shape, as
     * {@code tools/reel/autoencoder.md} names them in {@code autoencoder.safetensors}.
     */
    public Map<String, long[]> expectedTensors() {
        Map<String, long[]> out = new TreeMap<>();
        tensors(out::put);
        return out;
    }

    private void tensors(BiConsumer<String, long[]> out) {
        int levels = widths.length;
        long c = latentChannels, last = widths[levels - 1];
        conv(out, "encoder.conv_in", widths[0], imageChannels);
        for (int l = 0; l < levels; l++) {
            for (int j = 0; j < encoderBlocks; j++) {
                block(out, "encoder.levels." + l + ".blocks." + j, widths[l]);
            }
            if (l < levels - 1) {
                conv(out, "encoder.levels." + l + ".down", widths[l + 1], widths[l]);
            }
        }
        norm(out, "encoder.norm_out", last);
        conv(out, "encoder.conv_out", 2 * c, last);
        conv(out, "decoder.conv_in", last, c);
        for (int l = 0; l < levels; l++) {
            for (int j = 0; j < decoderBlocks; j++) {
                block(out, "decoder.levels." + l + ".blocks." + j, widths[l]);
            }
            if (l > 0) {
                conv(out, "decoder.levels." + l + ".up", widths[l - 1], widths[l]);
            }
        }
        norm(out, "decoder.norm_out", widths[0]);
        conv(out, "decoder.conv_out", imageChannels, widths[0]);
    }

    private static void block(BiConsumer<String, long[]> out, String name, long w) {
        norm(out, name + ".norm1", w);
        conv(out, name + ".conv1", w, w);
        norm(out, name + ".norm2", w);
        conv(out, name + ".conv2", w, w);
    }

    private static void conv(BiConsumer<String, long[]> out, String name, long outputs, long inputs) {
        out.accept(name + ".weight", new long[] {outputs, inputs, 3, 3});
        out.accept(name + ".bias", new long[] {outputs});
    }

    private static void norm(BiConsumer<String, long[]> out, String name, long dim) {
        out.accept(name + ".weight", new long[] {dim});
        out.accept(name + ".bias", new long[] {dim});
    }

    /** The number of weights (every tensor of {@link #expectedTensors()}). */
    public long parameterCount() {
        long[] sum = {0};
        tensors((name, shape) -> {
            long e = 1;
            for (long s : shape) {
                e *= s;
            }
            sum[0] += e;
        });
        return sum[0];
    }

    // ---------------------------------------------------------------- accessors

    /** The config file the block was read from (for messages). */
    public String source() {
        return file;
    }

    public String architecture() {
        return ARCHITECTURE;
    }

    /** The weights' file name inside the model folder ({@code file}). */
    public String weightsFile() {
        return weightsFile;
    }

    /** Channels of a frame (3: RGB). */
    public int imageChannels() {
        return imageChannels;
    }

    /** Channels of the latent {@code C}. */
    public int latentChannels() {
        return latentChannels;
    }

    /** Channels at each resolution level, level 0 at full resolution. */
    public int[] widths() {
        return widths.clone();
    }

    public int levels() {
        return widths.length;
    }

    public int width(int level) {
        return widths[level];
    }

    /** Residual blocks per level in the encoder. */
    public int encoderBlocks() {
        return encoderBlocks;
    }

    /** Residual blocks per level in the decoder. */
    public int decoderBlocks() {
        return decoderBlocks;
    }

    /** GroupNorm groups. */
    public int groups() {
        return groups;
    }

    /** GroupNorm epsilon. */
    public double eps() {
        return eps;
    }

    /** How many times smaller a latent is than its frame, in height and in width: {@code 2^(levels − 1)}. */
    public int downsample() {
        return 1 << (widths.length - 1);
    }

    /** Per latent channel: the transformer's latent is {@code (z − mean) / std}. */
    public double[] latentMean() {
        return latentMean.clone();
    }

    public double[] latentStd() {
        return latentStd.clone();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %d -> %d channels, widths %s, %d/%d blocks, %d groups, %dx downsampling",
                ARCHITECTURE, imageChannels, latentChannels, Arrays.toString(widths), encoderBlocks, decoderBlocks, groups,
                downsample());
    }
}
