package dev.reel.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The prompt grammar and tokenizer of a model folder, read from {@code vocabulary.json}
 * (format {@code reel-vocabulary-1}); {@link #encode} gives the same ids as
 * {@code tools/reel/vocab.py} for every prompt that file accepts, and refuses the same
 * prompts with the same messages.
 *
 * <p>Grammar: {@code article COLOUR SHAPE motion [on article BACKGROUND background]}, where
 * {@code motion} is {@code moving DIRECTION} (any direction but {@code static}),
 * {@code standing still} or {@code static}. The characters {@code , . ! ;} are dropped,
 * the rest lower-cased and split on white space (both as Python's {@code str.lower} and
 * {@code str.split} do). One step is Reel's own: the articles {@code a} and {@code an} are
 * interchangeable for the user, and each is replaced by the one English uses before the
 * next word ({@code an} before a vowel letter a, e, i, o, u; {@code a} otherwise), which is
 * what the training captions always wrote. So {@code "a orange circle"} encodes as
 * {@code "an orange circle"} and {@code "an red circle"} as {@code "a red circle"}.
 */
public final class Vocabulary {
    public static final String FORMAT = "reel-vocabulary-1";
    /** The largest vocabulary.json accepted. */
    public static final long MAX_FILE_BYTES = 16L << 20;

    private static final String DROPPED = ",.!;";
    private static final int MAX_MESSAGE_PROMPT = 200;

    /** What a prompt states; {@code background} is null when it names none. */
    public record Caption(String colour, String shape, String direction, String background) {}

    private final List<String> tokens;
    private final Map<String, Integer> index;
    private final List<String> articles, colours, shapes, directions, movingDirections, backgrounds;
    private final int maxTokens, padId, beginId;
    private final Set<List<String>> heldOut;
    private final List<String> knownWords;

    private Vocabulary(Json.Obj v) {
        String format = v.string("format");
        if (!format.equals(FORMAT)) {
            throw v.error("format", "\"" + Json.clip(format, 80) + "\" is not " + FORMAT);
        }
        Json.Obj grammar = v.object("grammar");
        articles = nonEmpty(grammar, "article", grammar.strings("article"));
        colours = nonEmpty(v, "colours", v.names("colours"));
        shapes = nonEmpty(v, "shapes", v.names("shapes"));
        directions = nonEmpty(v, "directions", v.names("directions"));
        backgrounds = nonEmpty(v, "backgrounds", v.names("backgrounds"));
        List<String> moving = new ArrayList<>(directions);
        moving.remove("static");
        movingDirections = nonEmpty(v, "directions", moving);
        tokens = nonEmpty(v, "tokens", v.strings("tokens"));
        index = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.isEmpty() || !t.equals(t.strip()) || t.chars().anyMatch(Vocabulary::isPythonSpace)) {
                throw v.error("tokens[" + i + "]", "\"" + Json.clip(t, 80) + "\" is empty or holds white space");
            }
            if (index.put(t, i) != null) {
                throw v.error("tokens[" + i + "]", "\"" + Json.clip(t, 80) + "\" appears twice");
            }
        }
        padId = token(v, "pad_token");
        beginId = token(v, "begin_token");
        if (padId == beginId) {
            throw v.error("begin_token", "is the same token as pad_token");
        }
        maxTokens = v.integer("max_tokens", 2, 1 << 16);
        for (String field : List.of("article", "colours", "shapes", "directions", "backgrounds")) {
            List<String> words = field.equals("article") ? articles : field.equals("colours") ? colours
                    : field.equals("shapes") ? shapes : field.equals("directions") ? directions : backgrounds;
            for (String w : words) {
                if (!isWord(w)) {
                    throw new ModelFormatException(v.file, (field.equals("article") ? "grammar." : "") + field,
                            "\"" + Json.clip(w, 80) + "\" is not one of the tokens");
                }
            }
        }
        for (String w : List.of("moving", "standing", "still", "static", "on", "background")) {
            if (!isWord(w)) {
                throw v.error("tokens", "lack the grammar's word \"" + w + "\"");
            }
        }
        heldOut = new LinkedHashSet<>();
        JsonNode pairs = v.required("held_out", "an array of [colour, shape] pairs");
        if (!pairs.isArray()) {
            throw v.error("held_out", "must be an array of [colour, shape] pairs, found " + Json.describe(pairs));
        }
        for (int i = 0; i < pairs.size(); i++) {
            JsonNode p = pairs.get(i);
            if (!p.isArray() || p.size() != 2 || !p.get(0).isTextual() || !p.get(1).isTextual()
                    || !colours.contains(p.get(0).textValue()) || !shapes.contains(p.get(1).textValue())) {
                throw v.error("held_out[" + i + "]", "must be a [colour, shape] pair of the vocabulary's words, found "
                        + Json.clip(p.toString(), 80));
            }
            heldOut.add(List.of(p.get(0).textValue(), p.get(1).textValue()));
        }
        List<String> known = new ArrayList<>();
        for (String t : tokens) {
            if (!t.startsWith("<")) {
                known.add(t);
            }
        }
        knownWords = Collections.unmodifiableList(known);
    }

    private static List<String> nonEmpty(Json.Obj v, String field, List<String> list) {
        if (list.isEmpty()) {
            throw v.error(field, "is empty");
        }
        return Collections.unmodifiableList(list);
    }

    private int token(Json.Obj v, String field) {
        String t = v.string(field);
        Integer id = index.get(t);
        if (id == null) {
            throw v.error(field, "\"" + Json.clip(t, 80) + "\" is not one of the tokens");
        }
        return id;
    }

    private boolean isWord(String w) {
        return index.containsKey(w) && !w.startsWith("<");
    }

    /** Reads and checks {@code vocabulary.json}. */
    public static Vocabulary read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("file is null");
        }
        return parse(file.toString(), SafeTensors.readSmallFile(file, MAX_FILE_BYTES));
    }

    /** Checks vocabulary.json's bytes; {@code file} names them in messages. */
    public static Vocabulary parse(String file, byte[] json) {
        if (file == null || json == null) {
            throw new IllegalArgumentException(file == null ? "file is null" : "json is null");
        }
        if (json.length > MAX_FILE_BYTES) {
            throw new ModelFormatException(file, "file", "is " + json.length + " bytes, more than the limit " + MAX_FILE_BYTES);
        }
        return new Vocabulary(Json.parseObject(file, "vocabulary", json));
    }

    // ---------------------------------------------------------------- prompts

    /**
     * Encodes a prompt: {@code <s>} then one id per word, padded with {@code <pad>} to
     * {@link #maxTokens()}. The empty or blank prompt is the unconditional {@code [<s>]}.
     *
     * @throws PromptException for an unknown word, a grammar error or too many words
     */
    public Prompt encode(String prompt) {
        List<String> words = checkedWords(prompt);
        if (!words.isEmpty()) {
            parseWords(words, prompt);
        }
        if (words.size() + 1 > maxTokens) {
            throw new PromptException(prompt, String.format("prompt '%s' has %d words; at most %d", clip(prompt),
                    words.size(), maxTokens - 1));
        }
        int[] ids = new int[maxTokens];
        java.util.Arrays.fill(ids, padId);
        ids[0] = beginId;
        for (int i = 0; i < words.size(); i++) {
            ids[i + 1] = index.get(words.get(i));
        }
        return new Prompt(String.join(" ", words), ids, words.size() + 1);
    }

    /** The unconditional prompt {@code [<s>]}. */
    public Prompt unconditional() {
        return encode("");
    }

    /**
     * What a prompt states.
     *
     * @throws PromptException for an unknown word or a grammar error (an empty prompt states nothing)
     */
    public Caption caption(String prompt) {
        return parseWords(checkedWords(prompt), prompt);
    }

    /** The words of a prompt after normalisation, unknown words refused. */
    private List<String> checkedWords(String prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is null");
        }
        List<String> words = words(prompt);
        for (String w : words) {
            if (!isWord(w)) {
                throw new PromptException(prompt, String.format("unknown word '%s' in prompt '%s'; known words: %s",
                        Json.clip(w, 80), clip(prompt), String.join(", ", knownWords)));
            }
        }
        return fixArticles(words);
    }

    /** Each article becomes the one English uses before the next word. */
    private List<String> fixArticles(List<String> words) {
        if (!articles.contains("a") || !articles.contains("an")) {
            return words;
        }
        List<String> out = new ArrayList<>(words);
        for (int i = 0; i + 1 < out.size(); i++) {
            String w = out.get(i);
            if (w.equals("a") || w.equals("an")) {
                out.set(i, "aeiou".indexOf(out.get(i + 1).charAt(0)) >= 0 ? "an" : "a");
            }
        }
        return out;
    }

    private Caption parseWords(List<String> words, String prompt) {
        int[] pos = {0};
        expect(words, pos, prompt, "an article", articles);
        String colour = expect(words, pos, prompt, "a colour", colours);
        String shape = expect(words, pos, prompt, "a shape", shapes);
        String first = expect(words, pos, prompt, "a motion", List.of("moving", "standing", "static"));
        String direction;
        if (first.equals("moving")) {
            direction = expect(words, pos, prompt, "a direction", movingDirections);
        } else {
            if (first.equals("standing")) {
                expect(words, pos, prompt, "'still'", List.of("still"));
            }
            direction = "static";
        }
        String background = null;
        if (pos[0] < words.size()) {
            expect(words, pos, prompt, "'on'", List.of("on"));
            expect(words, pos, prompt, "an article", articles);
            background = expect(words, pos, prompt, "a background", backgrounds);
            expect(words, pos, prompt, "'background'", List.of("background"));
        }
        if (pos[0] < words.size()) {
            throw new PromptException(prompt, String.format("unexpected '%s' after the end of prompt '%s'",
                    words.get(pos[0]), clip(prompt)));
        }
        return new Caption(colour, shape, direction, background);
    }

    private static String expect(List<String> words, int[] pos, String prompt, String kind, List<String> options) {
        if (pos[0] >= words.size()) {
            throw new PromptException(prompt, String.format("prompt '%s' ends where %s was expected (one of: %s)",
                    clip(prompt), kind, String.join(", ", options)));
        }
        String w = words.get(pos[0]);
        if (!options.contains(w)) {
            throw new PromptException(prompt, String.format("'%s' in prompt '%s' is not %s (one of: %s)", w,
                    clip(prompt), kind, String.join(", ", options)));
        }
        pos[0]++;
        return w;
    }

    private static String clip(String prompt) {
        return Json.clip(prompt, MAX_MESSAGE_PROMPT);
    }

    /** vocab.py's {@code words}: drop {@code , . ! ;}, lower-case, split on white space. */
    static List<String> words(String prompt) {
        StringBuilder kept = new StringBuilder(prompt.length());
        for (int i = 0; i < prompt.length(); i++) {
            char c = prompt.charAt(i);
            kept.append(DROPPED.indexOf(c) >= 0 ? ' ' : c);
        }
        String lower = kept.toString().toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < lower.length();) {
            int cp = lower.codePointAt(i);
            if (isPythonSpace(cp)) {
                if (start >= 0) {
                    out.add(lower.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            out.add(lower.substring(start));
        }
        return out;
    }

    /** Python's {@code str.isspace} (what {@code str.split()} splits on). */
    static boolean isPythonSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    // ---------------------------------------------------------------- accessors

    /** Every token in id order, {@code <pad>} and {@code <s>} included. */
    public List<String> tokens() {
        return tokens;
    }

    /** The number of tokens (config.json's {@code vocab_size}). */
    public int size() {
        return tokens.size();
    }

    /** The id of a token, or -1. */
    public int id(String token) {
        Integer id = index.get(token);
        return id == null ? -1 : id;
    }

    /** The tokens a prompt may use (those not in angle brackets), in id order. */
    public List<String> knownWords() {
        return knownWords;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int padId() {
        return padId;
    }

    public int beginId() {
        return beginId;
    }

    public List<String> articles() {
        return articles;
    }

    public List<String> colours() {
        return colours;
    }

    public List<String> shapes() {
        return shapes;
    }

    /** Every direction, {@code static} included. */
    public List<String> directions() {
        return directions;
    }

    public List<String> backgrounds() {
        return backgrounds;
    }

    /** Whether the colour–shape pair was never shown in training. */
    public boolean isHeldOut(String colour, String shape) {
        return heldOut.contains(List.of(String.valueOf(colour), String.valueOf(shape)));
    }
}
