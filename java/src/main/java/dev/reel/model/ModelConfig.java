package dev.reel.model;

import dev.reel.attention.AttentionMode;
import dev.reel.sampling.PredictionType;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The architecture and sizes of a reel-dit, read from a model folder's {@code config.json}
 * and checked field by field before anything is allocated (the formulas are in
 * {@code tools/reel/architecture.md}; the field names are those of
 * {@code tools/reel/model.py}'s {@code Config}).
 *
 * <p>Every field that {@code Config} has is required: a missing one is refused rather than
 * defaulted, so that a file from a newer or older writer is not read with silently different
 * sizes. An {@code autoencoder} block is checked as {@link AutoencoderConfig} says, with
 * its {@code latent_channels} equal to {@code channels} and its {@code image_channels} 3. Other
 * fields ({@code trained_steps}, {@code latent_layout}, {@code noise}, ...) are descriptive and
 * ignored. Integers must be JSON integers ({@code 3}, not {@code 3.0} or
 * {@code "3"}); every size is at least 1 and under a cap, and the sizes together must fit
 * {@link #MAX_FORWARD_BYTES} for a forward of 2 rows (conditional and unconditional), so
 * that an absurd configuration is refused with the figure instead of failing in an
 * allocation.
 */
public final class ModelConfig {
    public static final String ARCHITECTURE = "reel-dit";
    /** Head dimensions the attention kernels run (for self-, cross- and text attention). */
    public static final Set<Integer> HEAD_DIMS = Set.of(32, 64, 96, 128);
    /** The samplers a config may name as its default. */
    public static final List<String> SAMPLERS = List.of("flow_euler", "flow_heun");
    /** The most memory a forward of 2 rows may need: weights plus activations, in bytes. */
    public static final long MAX_FORWARD_BYTES = 64L << 30;
    /** The largest config.json accepted. */
    public static final long MAX_FILE_BYTES = 1 << 20;
    private static final double GIB = 1024.0 * 1024 * 1024;

    /** How self-attention sees the video. */
    public enum Attention {
        /** Every block attends all tokens. */
        FULL,
        /** Even blocks attend within a latent frame, odd blocks across frames at one position. */
        FACTORISED;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the network outputs. */
    public enum Prediction {
        /** The flow velocity {@code noise - x0}. */
        FLOW_VELOCITY(PredictionType.FLOW),
        /** The clean video {@code x0}. */
        FLOW_SAMPLE(PredictionType.SAMPLE);

        private final PredictionType type;

        Prediction(PredictionType type) {
            this.type = type;
        }

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The sampler's prediction type (with α = 1 − t, σ = t). */
        public PredictionType type() {
            return type;
        }
    }

    private final String file;
    private final int channels, frames, height, width, patchT, patchH, patchW;
    private final int hidden, depth, heads, mlpRatio, textLayers, textHeads, vocabSize, maxTokens, timestepDim;
    private final Attention attention;
    private final double ropeTheta, timestepScale, guidance, shift;
    private final double[] guidanceInterval;
    private final int[] ropeSections;
    private final Prediction prediction;
    private final String sampler;
    private final int steps;
    private final int gridT, gridH, gridW, tokens, patchDim;
    private final AutoencoderConfig autoencoder;   // null: a pixel-space model

    private ModelConfig(String file, Json.Obj c) {
        this.file = file;
        String architecture = c.string("architecture");
        if (!architecture.equals(ARCHITECTURE)) {
            throw c.error("architecture", "\"" + Json.clip(architecture, 80) + "\" is not " + ARCHITECTURE);
        }
        channels = c.integer("channels", 1, 1024);
        frames = c.integer("frames", 1, 1 << 16);
        height = c.integer("height", 1, 1 << 16);
        width = c.integer("width", 1, 1 << 16);
        int[] patch = c.integers("patch", 3, 1, 1024);
        patchT = patch[0];
        patchH = patch[1];
        patchW = patch[2];
        hidden = c.integer("hidden", 1, 1 << 16);
        depth = c.integer("depth", 1, 4096);
        heads = c.integer("heads", 1, 4096);
        mlpRatio = c.integer("mlp_ratio", 1, 64);
        attention = choice(c, "attention", Attention.values());
        ropeTheta = c.number("rope_theta", Double.MIN_NORMAL, 1e12);
        if (ropeTheta <= 1) {
            throw c.error("rope_theta", ropeTheta + " must be above 1 (frequencies fall with the pair index)");
        }
        ropeSections = c.integers("rope_sections", 3, 0, 1 << 16);
        textLayers = c.integer("text_layers", 1, 4096);
        textHeads = c.integer("text_heads", 1, 4096);
        vocabSize = c.integer("vocab_size", 2, 10_000_000);
        maxTokens = c.integer("max_tokens", 2, 1 << 16);
        timestepDim = c.integer("timestep_dim", 2, 1 << 16);
        timestepScale = c.number("timestep_scale", 0, 1e6);
        prediction = choice(c, "prediction", Prediction.values());
        sampler = c.string("sampler");
        if (!SAMPLERS.contains(sampler)) {
            throw c.error("sampler", "\"" + Json.clip(sampler, 80) + "\" is not one of " + String.join(", ", SAMPLERS));
        }
        steps = c.integer("steps", 1, 10_000);
        guidance = c.number("guidance", 0, 100);
        guidanceInterval = c.has("guidance_interval") ? c.numbers("guidance_interval", 2, 0, 1) : new double[] {0, 1};
        if (guidanceInterval[0] > guidanceInterval[1]) {
            throw c.error("guidance_interval", "[" + guidanceInterval[0] + ", " + guidanceInterval[1]
                    + "] must be [from, to] with from <= to");
        }
        shift = c.number("shift", 0, 1000);

        if (timestepScale <= 0) {
            throw c.error("timestep_scale", "must be positive");
        }
        if (shift <= 0) {
            throw c.error("shift", "must be positive");
        }
        divides(c, "patch[0]", patchT, "frames", frames);
        divides(c, "patch[1]", patchH, "height", height);
        divides(c, "patch[2]", patchW, "width", width);
        divides(c, "heads", heads, "hidden", hidden);
        divides(c, "text_heads", textHeads, "hidden", hidden);
        if (!HEAD_DIMS.contains(hidden / heads)) {
            throw c.error("heads", "head dim hidden/heads = " + hidden + "/" + heads + " = " + hidden / heads
                    + " is not one the attention runs (" + headDimList() + ")");
        }
        if (!HEAD_DIMS.contains(hidden / textHeads)) {
            throw c.error("text_heads", "head dim hidden/text_heads = " + hidden + "/" + textHeads + " = "
                    + hidden / textHeads + " is not one the attention runs (" + headDimList() + ")");
        }
        int d = hidden / heads;
        for (int i = 0; i < 3; i++) {
            if (ropeSections[i] % 2 != 0) {
                throw c.error("rope_sections[" + i + "]", ropeSections[i] + " is odd (a section holds pairs)");
            }
        }
        if (ropeSections[0] + ropeSections[1] + ropeSections[2] != d) {
            throw c.error("rope_sections", "[" + ropeSections[0] + ", " + ropeSections[1] + ", " + ropeSections[2]
                    + "] sum to " + (ropeSections[0] + ropeSections[1] + ropeSections[2]) + ", not the head dim " + d);
        }
        if (timestepDim % 2 != 0) {
            throw c.error("timestep_dim", timestepDim + " is odd (the embedding is cosines then sines)");
        }
        gridT = frames / patchT;
        gridH = height / patchH;
        gridW = width / patchW;
        long n = (long) gridT * gridH * gridW;
        long p = (long) channels * patchT * patchH * patchW;
        long bytes = estimate(2, n, p);
        if (bytes > MAX_FORWARD_BYTES) {
            throw new ModelFormatException(file, "sizes", String.format(Locale.ROOT,
                    "a forward of 2 rows needs about %.1f GiB (weights %.1f GiB, %d tokens of width %d), more than the "
                            + "limit of %d GiB", bytes / GIB, weightBytes(n, p) / GIB, n, hidden, MAX_FORWARD_BYTES >> 30));
        }
        // under the memory limit every count below fits an int (tokens × hidden × 4 bytes ≤ 64 GiB)
        tokens = (int) n;
        patchDim = (int) p;
        autoencoder = c.has("autoencoder") ? AutoencoderConfig.parse(file, c.object("autoencoder")) : null;
        if (autoencoder != null && autoencoder.latentChannels() != channels) {
            throw c.error("autoencoder.latent_channels", autoencoder.latentChannels() + ", but the transformer has "
                    + channels + " channels");
        }
        if (autoencoder != null && autoencoder.imageChannels() != 3) {
            throw c.error("autoencoder.image_channels", autoencoder.imageChannels() + ", but the videos a model makes "
                    + "are RGB (3)");
        }
    }

    /** Reads and checks {@code config.json}. */
    public static ModelConfig read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("file is null");
        }
        return parse(file.toString(), SafeTensors.readSmallFile(file, MAX_FILE_BYTES));
    }

    /** Checks config.json's bytes; {@code file} names them in messages. */
    public static ModelConfig parse(String file, byte[] json) {
        if (file == null || json == null) {
            throw new IllegalArgumentException(file == null ? "file is null" : "json is null");
        }
        if (json.length > MAX_FILE_BYTES) {
            throw new ModelFormatException(file, "file", "is " + json.length + " bytes, more than the limit " + MAX_FILE_BYTES);
        }
        return new ModelConfig(file, Json.parseObject(file, "config", json));
    }

    private static <E extends Enum<E>> E choice(Json.Obj c, String field, E[] options) {
        String v = c.string(field);
        StringBuilder known = new StringBuilder();
        for (E e : options) {
            String name = e.name().toLowerCase(Locale.ROOT);
            if (name.equals(v)) {
                return e;
            }
            known.append(known.length() == 0 ? "" : ", ").append(name);
        }
        throw c.error(field, "\"" + Json.clip(v, 80) + "\" is not one of " + known);
    }

    private static void divides(Json.Obj c, String divisorField, int divisor, String field, int value) {
        if (value % divisor != 0) {
            throw c.error(divisorField, divisor + " does not divide " + field + " " + value);
        }
    }

    private static String headDimList() {
        return "32, 64, 96 or 128";
    }

    // ---------------------------------------------------------------- memory

    /**
     * About how many bytes a forward of {@code batch} rows needs: the weights as fp32 plus
     * each row's activations (the residual stream and its normalised copy, q/k/v, the
     * attention output, the MLP hidden layer, the cross-attention query, patches in and out,
     * the sampler's latents, the text encoder's activations, every block's cached
     * cross-attention K/V, and the attention's per-head tiles).
     */
    public long forwardBytes(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        return estimate(batch, tokens, patchDim);
    }

    /** The fp32 weights alone, in bytes. */
    public long weightBytes() {
        return (long) weightBytes(tokens, patchDim);
    }

    /** The number of weights (every tensor of {@link #expectedTensors()}). */
    public long parameterCount() {
        return (long) (weightBytes(tokens, patchDim) / 4);
    }

    /** Computed in double so that no product of sizes overflows; saturates at Long.MAX_VALUE. */
    private long estimate(int batch, long n, long p) {
        double nd = (double) n * hidden;
        double l = maxTokens;
        double perRow = nd * (8 + mlpRatio)                      // x, y, q, k, v, attention out, proj out, cross q; mlp
                + 2.0 * n * p + 4.0 * channels * frames * height * width // patches in/out; sampler latents
                + l * hidden * (8 + 4) + l * l * textHeads             // text activations, text scores
                + 2.0 * depth * l * hidden                             // cross-attention K/V of every block
                + (double) heads * n * 64                              // attention tiles
                + 8.0 * depth * hidden;                                // modulation vectors
        double total = weightBytes(n, p) + 4 * perRow * batch;
        return total >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) total;
    }

    private double weightBytes(long n, long p) {
        double[] sum = {0};
        tensors(n, p, (name, shape) -> {
            double e = 1;
            for (long s : shape) {
                e *= s;
            }
            sum[0] += e;
        });
        return 4 * sum[0];
    }

    // ---------------------------------------------------------------- tensors

    /**
     * Every tensor of a reel-dit with this configuration, by name (sorted), with its shape,
     * exactly as {@code tools/reel/model.py} names them in {@code model.safetensors}.
     */
    public Map<String, long[]> expectedTensors() {
        Map<String, long[]> out = new TreeMap<>();
        tensors(tokens, patchDim, out::put);
        return out;
    }

    private void tensors(long n, long p, BiConsumer<String, long[]> out) {
        long dm = hidden, d = hidden / heads;
        linear(out, "patch_embed", dm, p);
        out.accept("pos_embed", new long[] {n, dm});
        linear(out, "t_embed.fc1", dm, timestepDim);
        linear(out, "t_embed.fc2", dm, dm);
        out.accept("text.tok_embed", new long[] {vocabSize, dm});
        out.accept("text.pos_embed", new long[] {maxTokens, dm});
        for (int i = 0; i < textLayers; i++) {
            String t = "text.layers." + i + ".";
            norm(out, t + "norm1", dm);
            linear(out, t + "qkv", 3 * dm, dm);
            linear(out, t + "proj", dm, dm);
            norm(out, t + "norm2", dm);
            linear(out, t + "mlp.fc1", 4 * dm, dm); // the text MLP is 4 × hidden whatever mlp_ratio says
            linear(out, t + "mlp.fc2", dm, 4 * dm);
        }
        norm(out, "text.norm", dm);
        norm(out, "text.word_norm", dm);
        linear(out, "pool", dm, dm);
        for (int i = 0; i < depth; i++) {
            String b = "blocks." + i + ".";
            linear(out, b + "ada", 6 * dm, dm);
            linear(out, b + "attn.qkv", 3 * dm, dm);
            out.accept(b + "attn.q_norm.weight", new long[] {d});
            out.accept(b + "attn.k_norm.weight", new long[] {d});
            linear(out, b + "attn.proj", dm, dm);
            norm(out, b + "norm_cross", dm);
            linear(out, b + "cross.q", dm, dm);
            linear(out, b + "cross.kv", 2 * dm, dm);
            out.accept(b + "cross.q_norm.weight", new long[] {d});
            out.accept(b + "cross.k_norm.weight", new long[] {d});
            linear(out, b + "cross.proj", dm, dm);
            linear(out, b + "mlp.fc1", mlpRatio * dm, dm);
            linear(out, b + "mlp.fc2", dm, mlpRatio * dm);
        }
        linear(out, "final.ada", 2 * dm, dm);
        linear(out, "final.linear", p, dm);
    }

    private static void linear(BiConsumer<String, long[]> out, String name, long outputs, long inputs) {
        out.accept(name + ".weight", new long[] {outputs, inputs});
        out.accept(name + ".bias", new long[] {outputs});
    }

    private static void norm(BiConsumer<String, long[]> out, String name, long dim) {
        out.accept(name + ".weight", new long[] {dim});
        out.accept(name + ".bias", new long[] {dim});
    }

    // ---------------------------------------------------------------- accessors

    /**
     * The folder's video autoencoder, when config.json has an {@code "autoencoder"} block: the
     * transformer then denoises latents of {@code latent_channels} channels, and its
     * {@code frames × height × width} are the latent's (the video is
     * {@code downsample} times larger in height and width).
     */
    public java.util.Optional<AutoencoderConfig> autoencoder() {
        return java.util.Optional.ofNullable(autoencoder);
    }

    /** The file the configuration was read from (for messages). */
    public String file() {
        return file;
    }

    public String architecture() {
        return ARCHITECTURE;
    }

    /** Latent channels {@code C}. */
    public int channels() {
        return channels;
    }

    /** Latent frames {@code T}. */
    public int frames() {
        return frames;
    }

    /** Latent height {@code H}. */
    public int height() {
        return height;
    }

    /** Latent width {@code W}. */
    public int width() {
        return width;
    }

    public int patchT() {
        return patchT;
    }

    public int patchH() {
        return patchH;
    }

    public int patchW() {
        return patchW;
    }

    /** Latent frames in patches, {@code T / pt}. */
    public int gridT() {
        return gridT;
    }

    public int gridH() {
        return gridH;
    }

    public int gridW() {
        return gridW;
    }

    /** {@code N = gridT·gridH·gridW}, the video tokens. */
    public int tokens() {
        return tokens;
    }

    /** {@code P = C·pt·ph·pw}, a token's patch vector. */
    public int patchDim() {
        return patchDim;
    }

    /** The model width {@code D}. */
    public int hidden() {
        return hidden;
    }

    /** The number of blocks. */
    public int depth() {
        return depth;
    }

    public int heads() {
        return heads;
    }

    /** {@code hidden / heads}, also the length of the q/k RMSNorm weights. */
    public int headDim() {
        return hidden / heads;
    }

    public int mlpRatio() {
        return mlpRatio;
    }

    /** The blocks' MLP width, {@code mlp_ratio · hidden}. */
    public int mlpHidden() {
        return mlpRatio * hidden;
    }

    public Attention attention() {
        return attention;
    }

    /** The self-attention of block {@code i}: FULL, or SPATIAL for even and TEMPORAL for odd blocks. */
    public AttentionMode blockMode(int block) {
        if (block < 0 || block >= depth) {
            throw new IllegalArgumentException("block " + block + " is outside 0.." + (depth - 1));
        }
        if (attention == Attention.FULL) {
            return AttentionMode.FULL;
        }
        return block % 2 == 0 ? AttentionMode.SPATIAL : AttentionMode.TEMPORAL;
    }

    public double ropeTheta() {
        return ropeTheta;
    }

    /** {@code (dt, dh, dw)}, summing to the head dim. */
    public int[] ropeSections() {
        return ropeSections.clone();
    }

    public int textLayers() {
        return textLayers;
    }

    public int textHeads() {
        return textHeads;
    }

    public int textHeadDim() {
        return hidden / textHeads;
    }

    /** The text MLP width: always {@code 4 · hidden}. */
    public int textMlpHidden() {
        return 4 * hidden;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The text length {@code L}, {@code <s>} and padding included. */
    public int maxTokens() {
        return maxTokens;
    }

    public int timestepDim() {
        return timestepDim;
    }

    public double timestepScale() {
        return timestepScale;
    }

    public Prediction prediction() {
        return prediction;
    }

    /** The default sampler, one of {@link #SAMPLERS}. */
    public String sampler() {
        return sampler;
    }

    /** The default number of sampling steps. */
    public int steps() {
        return steps;
    }

    /** The default classifier-free guidance scale. */
    public double guidance() {
        return guidance;
    }

    /**
     * The default noise levels {@code [from, to]} (the flow time t) at which the guidance
     * scale applies; elsewhere the conditional output is used alone. {@code [0, 1]}
     * (every step) when config.json has no {@code guidance_interval}.
     */
    public double[] guidanceInterval() {
        return guidanceInterval.clone();
    }

    /** The default timestep shift of the flow schedule. */
    public double shift() {
        return shift;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "reel-dit %dx%dx%dx%d, patch %dx%dx%d (%d tokens), hidden %d, depth %d, "
                + "heads %d, %s attention, %s", channels, frames, height, width, patchT, patchH, patchW, tokens,
                hidden, depth, heads, attention.jsonName(), prediction.jsonName());
    }
}
