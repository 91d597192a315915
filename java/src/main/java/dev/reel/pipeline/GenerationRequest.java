package dev.reel.pipeline;

import dev.reel.model.ModelConfig;
import dev.reel.sampling.SamplerKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What to generate: immutable, built with {@link #builder}, with every unset
 * option taken from the model's config.json when the request runs. Its
 * {@link #toString} is the {@code reel generate} command line that reproduces
 * the run.
 *
 * <ul>
 *   <li>prompts — one or more (a batch); each makes {@code variations} videos with
 *   seeds {@code seed, seed + 1, …} (a seed sweep for A/B testing);</li>
 *   <li>negative prompt — the unconditional row of classifier-free guidance
 *   (default: the empty prompt);</li>
 *   <li>steps, sampler, guidance and the guidance interval (the noise levels t at
 *   which guidance applies) — the model's defaults unless set;</li>
 *   <li>init and strength — video-to-video / image-to-video: the input (a video
 *   or still image, resized to the model's size) is noised to {@code strength}
 *   (0 returns it, 1 ignores it) and denoised towards the prompt;</li>
 *   <li>width, height, fps — the output file's size and frame rate (the video
 *   itself is the model's size; writers scale it);</li>
 *   <li>maxBatch — at most this many videos share one batched forward.</li>
 * </ul>
 */
public final class GenerationRequest {
    /** The default seed, so that the same command gives the same video. */
    public static final long DEFAULT_SEED = 42;
    public static final double DEFAULT_STRENGTH = 0.6;
    public static final int DEFAULT_MAX_BATCH = 8;

    private final List<String> prompts;
    private final String negativePrompt;
    private final Integer steps;
    private final SamplerKind sampler;
    private final Double guidance;
    private final double[] guidanceInterval;   // null: the model's
    private final long seed;
    private final int variations;
    private final int maxBatch;
    private final Path init;
    private final double strength;
    private final Integer width;
    private final Integer height;
    private final Double fps;

    private GenerationRequest(Builder b) {
        this.prompts = List.copyOf(b.prompts);
        this.negativePrompt = b.negativePrompt;
        this.steps = b.steps;
        this.sampler = b.sampler;
        this.guidance = b.guidance;
        this.guidanceInterval = b.guidanceInterval == null ? null : b.guidanceInterval.clone();
        this.seed = b.seed;
        this.variations = b.variations;
        this.maxBatch = b.maxBatch;
        this.init = b.init;
        this.strength = b.strength;
        this.width = b.width;
        this.height = b.height;
        this.fps = b.fps;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A request for one prompt with every other option at its default. */
    public static GenerationRequest of(String prompt) {
        return builder().prompt(prompt).build();
    }

    public List<String> prompts() {
        return prompts;
    }

    public String negativePrompt() {
        return negativePrompt;
    }

    /** The steps, or null for the model's default. */
    public Integer steps() {
        return steps;
    }

    /** The sampler, or null for the model's default. */
    public SamplerKind sampler() {
        return sampler;
    }

    /** The guidance scale, or null for the model's default. */
    public Double guidance() {
        return guidance;
    }

    /** The noise levels {@code [from, to]} at which guidance applies, or null for the model's default. */
    public double[] guidanceInterval() {
        return guidanceInterval == null ? null : guidanceInterval.clone();
    }

    public long seed() {
        return seed;
    }

    public int variations() {
        return variations;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** The input video or image of a video-to-video request, or null. */
    public Path init() {
        return init;
    }

    public double strength() {
        return strength;
    }

    /** Output width in pixels, or null for the writer's default. */
    public Integer width() {
        return width;
    }

    public Integer height() {
        return height;
    }

    /** Output frame rate, or null for the model's. */
    public Double fps() {
        return fps;
    }

    /** The sampler this request runs with on a model of {@code config}: its own, else the model's default. */
    public SamplerKind samplerFor(ModelConfig config) {
        if (sampler != null) {
            return sampler;
        }
        switch (config.sampler()) {
            case "flow_euler":
                return SamplerKind.EULER;
            case "flow_heun":
                return SamplerKind.HEUN;
            default:
                throw new IllegalArgumentException("model's sampler '" + config.sampler() + "' is not one Reel runs");
        }
    }

    /** The steps this request runs on a model of {@code config}: its own, else the model's default. */
    public int stepsFor(ModelConfig config) {
        return steps != null ? steps : config.steps();
    }

    /** The guidance scale this request runs with on a model of {@code config}: its own, else the model's default. */
    public double guidanceFor(ModelConfig config) {
        return guidance != null ? guidance : config.guidance();
    }

    /** The guidance interval this request runs with on a model of {@code config}: its own, else the model's. */
    public double[] guidanceIntervalFor(ModelConfig config) {
        return guidanceInterval != null ? guidanceInterval.clone() : config.guidanceInterval();
    }

    /** Videos this request makes: prompts × variations. */
    public int videoCount() {
        return prompts.size() * variations;
    }

    /** The seed of variation {@code v} (0-based). */
    public long seedOf(int variation) {
        return seed + variation;
    }

    /**
     * Whether this request and {@code other} can share batched forwards: the same
     * negative prompt, steps, sampler, guidance, init and strength. Prompts, seeds,
     * variations, batch size, output size and frame rate may differ.
     */
    public boolean sharesSamplingWith(GenerationRequest other) {
        return other != null && negativePrompt.equals(other.negativePrompt) && Objects.equals(steps, other.steps)
                && sampler == other.sampler && Objects.equals(guidance, other.guidance)
                && Arrays.equals(guidanceInterval, other.guidanceInterval)
                && Objects.equals(init, other.init) && strength == other.strength;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.prompts.addAll(prompts);
        b.negativePrompt = negativePrompt;
        b.steps = steps;
        b.sampler = sampler;
        b.guidance = guidance;
        b.guidanceInterval = guidanceInterval;
        b.seed = seed;
        b.variations = variations;
        b.maxBatch = maxBatch;
        b.init = init;
        b.strength = strength;
        b.width = width;
        b.height = height;
        b.fps = fps;
        return b;
    }

    /** The {@code reel generate} command line that reproduces this request. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("reel generate");
        for (String p : prompts) {
            s.append(" --prompt ").append(quote(p));
        }
        if (!negativePrompt.isEmpty()) {
            s.append(" --negative ").append(quote(negativePrompt));
        }
        if (steps != null) {
            s.append(" --steps ").append(steps);
        }
        if (sampler != null) {
            s.append(" --sampler ").append(sampler.name().toLowerCase(Locale.ROOT));
        }
        if (guidance != null) {
            s.append(" --guidance ").append(number(guidance));
        }
        if (guidanceInterval != null) {
            s.append(" --guidance-interval ").append(number(guidanceInterval[0])).append(',')
                    .append(number(guidanceInterval[1]));
        }
        s.append(" --seed ").append(seed);
        if (variations != 1) {
            s.append(" --variations ").append(variations);
        }
        if (maxBatch != DEFAULT_MAX_BATCH) {
            s.append(" --batch ").append(maxBatch);
        }
        if (init != null) {
            s.append(" --init ").append(quote(init.toString())).append(" --strength ").append(number(strength));
        }
        if (width != null) {
            s.append(" --size ").append(width).append('x').append(height);
        }
        if (fps != null) {
            s.append(" --fps ").append(number(fps));
        }
        return s.toString();
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** POSIX shell quoting: bare when safe, else single quotes. */
    static String quote(String s) {
        if (!s.isEmpty() && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./:=+,@".indexOf(c) >= 0)) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GenerationRequest)) {
            return false;
        }
        GenerationRequest r = (GenerationRequest) o;
        return seed == r.seed && variations == r.variations && maxBatch == r.maxBatch && strength == r.strength
                && prompts.equals(r.prompts) && negativePrompt.equals(r.negativePrompt) && Objects.equals(steps, r.steps)
                && sampler == r.sampler && Objects.equals(guidance, r.guidance)
                && Arrays.equals(guidanceInterval, r.guidanceInterval) && Objects.equals(init, r.init)
                && Objects.equals(width, r.width) && Objects.equals(height, r.height) && Objects.equals(fps, r.fps);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(prompts, negativePrompt, steps, sampler, guidance, seed, variations, maxBatch, init,
                strength, width, height, fps) + Arrays.hashCode(guidanceInterval);
    }

    /** Options of a request; {@link #build} checks them. */
    public static final class Builder {
        private final List<String> prompts = new ArrayList<>();
        private String negativePrompt = "";
        private Integer steps;
        private SamplerKind sampler;
        private Double guidance;
        private double[] guidanceInterval;
        private long seed = DEFAULT_SEED;
        private int variations = 1;
        private int maxBatch = DEFAULT_MAX_BATCH;
        private Path init;
        private double strength = DEFAULT_STRENGTH;
        private Integer width;
        private Integer height;
        private Double fps;

        private Builder() {}

        /** Adds a prompt (call again for a batch of prompts). */
        public Builder prompt(String value) {
            if (value == null) {
                throw new IllegalArgumentException("prompt is null");
            }
            prompts.add(value);
            return this;
        }

        public Builder prompts(List<String> values) {
            if (values == null) {
                throw new IllegalArgumentException("prompts is null");
            }
            prompts.clear();
            values.forEach(this::prompt);
            return this;
        }

        public Builder negativePrompt(String value) {
            if (value == null) {
                throw new IllegalArgumentException("negative prompt is null (use \"\" for none)");
            }
            negativePrompt = value;
            return this;
        }

        public Builder steps(int value) {
            if (value < 1 || value > 1000) {
                throw new IllegalArgumentException("steps must be in [1, 1000], got " + value);
            }
            steps = value;
            return this;
        }

        public Builder sampler(SamplerKind value) {
            if (value == null) {
                throw new IllegalArgumentException("sampler is null");
            }
            sampler = value;
            return this;
        }

        public Builder guidance(double value) {
            if (!(value >= 0 && value <= 100)) {
                throw new IllegalArgumentException("guidance must be in [0, 100], got " + value);
            }
            guidance = value;
            return this;
        }

        /**
         * Applies the guidance scale only at noise levels t in {@code [from, to]}
         * ({@code 0 <= from <= to <= 1}); elsewhere the conditional output is used
         * alone and the unconditional forward is skipped. {@code (0, 1)}: every step.
         */
        public Builder guidanceInterval(double from, double to) {
            if (!(from >= 0 && from <= to && to <= 1)) {
                throw new IllegalArgumentException("guidance interval must satisfy 0 <= from <= to <= 1, got ["
                        + from + ", " + to + "]");
            }
            guidanceInterval = new double[] {from, to};
            return this;
        }

        /**
         * {@link #guidanceInterval(double, double)} from the text {@code FROM,TO}, as the
         * command line and batch files write it.
         */
        public Builder guidanceInterval(String fromTo) {
            String[] ft = fromTo == null ? new String[0] : fromTo.split(",", -1);
            double from, to;
            try {
                if (ft.length != 2) {
                    throw new NumberFormatException();
                }
                from = Double.parseDouble(ft[0].trim());
                to = Double.parseDouble(ft[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("guidance interval must be FROM,TO, e.g. 0.85,1, got '" + fromTo + "'");
            }
            return guidanceInterval(from, to);
        }

        public Builder seed(long value) {
            seed = value;
            return this;
        }

        public Builder variations(int value) {
            if (value < 1 || value > 10_000) {
                throw new IllegalArgumentException("variations must be in [1, 10000], got " + value);
            }
            variations = value;
            return this;
        }

        public Builder maxBatch(int value) {
            if (value < 1 || value > 256) {
                throw new IllegalArgumentException("batch must be in [1, 256], got " + value);
            }
            maxBatch = value;
            return this;
        }

        /** Starts from this video or image (video-to-video), noised to {@code strength}. */
        public Builder init(Path value, double strengthValue) {
            if (value == null) {
                throw new IllegalArgumentException("init is null");
            }
            if (!(strengthValue >= 0 && strengthValue <= 1)) {
                throw new IllegalArgumentException("strength must be in [0, 1], got " + strengthValue);
            }
            init = value;
            strength = strengthValue;
            return this;
        }

        public Builder size(int widthValue, int heightValue) {
            if (widthValue < 2 || heightValue < 2 || widthValue > 8192 || heightValue > 8192) {
                throw new IllegalArgumentException("size must be between 2x2 and 8192x8192, got " + widthValue + "x"
                        + heightValue);
            }
            width = widthValue;
            height = heightValue;
            return this;
        }

        public Builder fps(double value) {
            if (!(value > 0 && value <= 240)) {
                throw new IllegalArgumentException("fps must be in (0, 240], got " + value);
            }
            fps = value;
            return this;
        }

        public GenerationRequest build() {
            if (prompts.isEmpty()) {
                throw new IllegalArgumentException("a request needs at least one prompt");
            }
            if ((long) prompts.size() * variations > 100_000) {
                throw new IllegalArgumentException("prompts x variations must be at most 100000, got "
                        + (long) prompts.size() * variations);
            }
            return new GenerationRequest(this);
        }
    }
}
