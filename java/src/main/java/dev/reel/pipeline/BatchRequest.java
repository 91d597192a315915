package dev.reel.pipeline;

import dev.reel.sampling.SamplerKind;
import dev.reel.video.VideoFormat;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One request of a batch: where it came from (its line in the input, its text as
 * written) and either what it asks for — a one-prompt {@link GenerationRequest} and
 * the output format — or why it cannot be read. A request that cannot be read is
 * not an exception: it becomes one failed row of the results table and the batch
 * goes on.
 *
 * <p>Fields (names are matched without regard to case; a missing, null or empty
 * value means the default): {@code prompt} (required), {@code negative},
 * {@code steps}, {@code sampler}, {@code guidance}, {@code guidance_interval}
 * ({@code FROM,TO}), {@code seed}, {@code variations},
 * {@code batch}, {@code init} (a video or image; relative to the input file's
 * folder), {@code strength}, {@code size} ({@code WxH}) or {@code width} and
 * {@code height}, {@code fps}, {@code format} ({@code mp4}, {@code webm}, {@code gif}
 * or {@code png}; default {@code mp4}). Numbers may be JSON numbers or text; any
 * other field is an error.
 */
public final class BatchRequest {
    /** The fields a request may have, in the order the README lists them. */
    public static final List<String> FIELDS = List.of("prompt", "negative", "steps", "sampler", "guidance",
            "guidance_interval", "seed",
            "variations", "batch", "init", "strength", "size", "width", "height", "fps", "format");

    /** Plain decimal text; the exponent has at most 3 digits so that no value is absurdly large. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d{1,40}\\.?\\d{0,40}|\\.\\d{1,40})([eE][+-]?\\d{1,3})?");
    private static final Pattern SIZE = Pattern.compile("\\s*(\\d{1,9})\\s*[xX]\\s*(\\d{1,9})\\s*");

    private final long line;
    private final String source;
    private final GenerationRequest request;
    private final VideoFormat format;
    private final String error;

    private BatchRequest(long line, String source, GenerationRequest request, VideoFormat format, String error) {
        this.line = line;
        this.source = source;
        this.request = request;
        this.format = format;
        this.error = error;
    }

    /**
     * A request built in Java: {@code request} must have one prompt (make one
     * BatchRequest per prompt).
     */
    public static BatchRequest of(long line, GenerationRequest request, VideoFormat format) {
        if (request == null || format == null) {
            throw new IllegalArgumentException((request == null ? "request" : "format") + " is null");
        }
        if (request.prompts().size() != 1) {
            throw new IllegalArgumentException("a batch request has one prompt, got " + request.prompts().size());
        }
        return new BatchRequest(line, itemLine(request, format), request, format, null);
    }

    /** A request that cannot be read: it fails alone, with {@code error} in the results table. */
    public static BatchRequest failed(long line, String source, String error) {
        return new BatchRequest(line, source, null, null, error == null ? "unreadable request" : error);
    }

    /**
     * Reads one request from its fields: each value a String, a Number, a Boolean or
     * null (a JSON array or object is an error). Relative {@code init} paths are
     * resolved against {@code base} when it is not null.
     */
    public static BatchRequest parse(long line, String source, Map<String, ?> fields, Path base) {
        try {
            Map<String, Object> f = normalise(fields);
            GenerationRequest.Builder b = GenerationRequest.builder();
            Object prompt = f.remove("prompt");
            if (prompt == null) {
                throw new IllegalArgumentException("prompt is missing");
            }
            b.prompt(text("prompt", prompt));
            take(f, "negative", v -> b.negativePrompt(text("negative", v)));
            take(f, "steps", v -> b.steps(integer("steps", v)));
            take(f, "sampler", v -> b.sampler(SamplerKind.named(text("sampler", v))));
            take(f, "guidance", v -> b.guidance(number("guidance", v)));
            take(f, "guidance_interval", v -> b.guidanceInterval(text("guidance_interval", v)));
            take(f, "seed", v -> b.seed(longInteger("seed", v)));
            take(f, "variations", v -> b.variations(integer("variations", v)));
            take(f, "batch", v -> b.maxBatch(integer("batch", v)));
            Object init = f.remove("init");
            Object strength = f.remove("strength");
            if (init != null) {
                Path path = path("init", text("init", init), base);
                if (!Files.isReadable(path)) {
                    throw new IllegalArgumentException("init " + path + ": no such readable file");
                }
                b.init(path, strength == null ? GenerationRequest.DEFAULT_STRENGTH : number("strength", strength));
            } else if (strength != null) {
                throw new IllegalArgumentException("strength needs init");
            }
            Object size = f.remove("size");
            Object width = f.remove("width");
            Object height = f.remove("height");
            int[] wh = size(size, width, height);
            if (wh != null) {
                b.size(wh[0], wh[1]);
            }
            take(f, "fps", v -> b.fps(number("fps", v)));
            Object fmt = f.remove("format");
            VideoFormat format = fmt == null ? VideoFormat.MP4 : format(text("format", fmt));
            if (!f.isEmpty()) {
                String unknown = f.keySet().iterator().next();
                throw new IllegalArgumentException("unknown field '" + unknown + "'; known: " + String.join(", ", FIELDS));
            }
            if (format == VideoFormat.MP4 && wh != null && (wh[0] % 2 != 0 || wh[1] % 2 != 0)) {
                throw new IllegalArgumentException("size " + wh[0] + "x" + wh[1] + ": MP4 (H.264 in yuv420p) needs an "
                        + "even width and height");
            }
            return new BatchRequest(line, source, b.build(), format, null);
        } catch (IllegalArgumentException e) {
            return failed(line, source, e.getMessage());
        }
    }

    /** 1-based line of the request in its input (its first line for a CSV record that spans several). */
    public long line() {
        return line;
    }

    /** The request as written in the input. */
    public String source() {
        return source;
    }

    /** Whether the request was read; else {@link #error} says why not. */
    public boolean ok() {
        return error == null;
    }

    /** What the request asks for (one prompt), or null when it cannot be read. */
    public GenerationRequest request() {
        return request;
    }

    /** The output format, or null when the request cannot be read. */
    public VideoFormat format() {
        return format;
    }

    /** Why the request cannot be read, or null. */
    public String error() {
        return error;
    }

    /**
     * The videos this request makes, one per seed, each named for the model whose
     * weights have SHA-256 {@code modelSha256} (see {@link BatchItem#name}).
     */
    public List<BatchItem> items(String modelSha256) {
        if (!ok()) {
            throw new IllegalStateException("request on line " + line + " cannot be read: " + error);
        }
        List<BatchItem> items = new ArrayList<>(request.variations());
        for (int v = 0; v < request.variations(); v++) {
            GenerationRequest one = request.toBuilder().seed(request.seedOf(v)).variations(1).build();
            String itemLine = itemLine(one, format);
            items.add(new BatchItem(this, one, v, itemLine, fileName(itemLine, modelSha256, one.seed(), format)));
        }
        return items;
    }

    @Override
    public String toString() {
        return "line " + line + ": " + (ok() ? itemLine(request, format) : "unreadable (" + error + "): " + source);
    }

    /** The {@code reel generate} line of a request plus its format; the batch size is left out (it does not change the video). */
    static String itemLine(GenerationRequest r, VideoFormat format) {
        return r.toBuilder().maxBatch(GenerationRequest.DEFAULT_MAX_BATCH).build() + " --format "
                + format.name().toLowerCase(Locale.ROOT);
    }

    static String fileName(String itemLine, String modelSha256, long seed, VideoFormat format) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        byte[] digest = sha.digest((itemLine + "\n" + modelSha256).getBytes(StandardCharsets.UTF_8));
        String ext = format.extension();
        return HexFormat.of().formatHex(digest).substring(0, BatchItem.HASH_CHARS) + "-seed" + seed
                + (ext.isEmpty() ? "" : "." + ext);
    }

    // ------------------------------------------------------------------ values

    private interface Setter {
        void set(Object value);
    }

    private static void take(Map<String, Object> fields, String name, Setter setter) {
        Object v = fields.remove(name);
        if (v != null) {
            setter.set(v);
        }
    }

    /** Lower-cased, trimmed names; null and empty-text values dropped; a name given twice is an error. */
    private static Map<String, Object> normalise(Map<String, ?> fields) {
        if (fields == null) {
            throw new IllegalArgumentException("the request has no fields");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            String name = e.getKey() == null ? "" : e.getKey().trim().toLowerCase(Locale.ROOT);
            Object v = e.getValue();
            if (out.containsKey(name)) {
                throw new IllegalArgumentException("field '" + name + "' is given twice");
            }
            out.put(name, v instanceof String s && s.isBlank() ? null : v);
        }
        out.values().removeIf(v -> v == null);
        return out;
    }

    private static String text(String name, Object v) {
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(name + " must be text, got " + shown(v));
        }
        return s.trim();
    }

    private static int integer(String name, Object v) {
        long n = longInteger(name, v);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " is out of range, got " + n);
        }
        return (int) n;
    }

    private static long longInteger(String name, Object v) {
        try {
            BigDecimal d = decimal(name, v);
            BigInteger i = d.toBigIntegerExact();
            return i.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(name + " must be a whole number in the range of a 64-bit integer, got "
                    + shown(v));
        }
    }

    private static double number(String name, Object v) {
        double d = decimal(name, v).doubleValue();
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(name + " is out of range, got " + shown(v));
        }
        return d;
    }

    private static BigDecimal decimal(String name, Object v) {
        BigDecimal d = anyDecimal(name, v);
        if (d.signum() != 0 && Math.abs(d.precision() - d.scale()) > 40) {
            throw new IllegalArgumentException(name + " is out of range, got " + shown(v));
        }
        return d;
    }

    private static BigDecimal anyDecimal(String name, Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return BigDecimal.valueOf(((Number) v).longValue());
        }
        if (v instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        if (v instanceof BigDecimal d) {
            return d;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(name + " must be a finite number, got " + d);
            }
            return new BigDecimal(d);
        }
        if (v instanceof String s) {
            String t = s.trim();
            if (DECIMAL.matcher(t).matches()) {
                return new BigDecimal(t.startsWith("+") ? t.substring(1) : t);
            }
            throw new IllegalArgumentException(name + " must be a number, got " + shown(v));
        }
        throw new IllegalArgumentException(name + " must be a number, got " + shown(v));
    }

    private static int[] size(Object size, Object width, Object height) {
        if (size != null && (width != null || height != null)) {
            throw new IllegalArgumentException("give size or width and height, not both");
        }
        if (size != null) {
            String s = text("size", size);
            var m = SIZE.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException("size must be WIDTHxHEIGHT, e.g. 512x512, got '" + s + "'");
            }
            return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
        }
        if (width == null && height == null) {
            return null;
        }
        if (width == null || height == null) {
            throw new IllegalArgumentException((width == null ? "height" : "width") + " needs "
                    + (width == null ? "width" : "height") + " (or give size as WIDTHxHEIGHT)");
        }
        return new int[] {integer("width", width), integer("height", height)};
    }

    private static VideoFormat format(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "mp4": return VideoFormat.MP4;
            case "webm": return VideoFormat.WEBM;
            case "gif": return VideoFormat.GIF;
            case "png": return VideoFormat.PNG;
            default: throw new IllegalArgumentException("format must be mp4, webm, gif or png, got '" + name + "'");
        }
    }

    private static Path path(String name, String value, Path base) {
        try {
            Path p = Path.of(value);
            return (base != null && !p.isAbsolute() ? base.resolve(p) : p).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(name + " is not a path: '" + value + "'");
        }
    }

    private static String shown(Object v) {
        String s = v instanceof String ? "'" + v + "'" : String.valueOf(v);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
