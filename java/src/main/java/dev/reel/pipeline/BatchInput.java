package dev.reel.pipeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a batch input file: JSON Lines or CSV, UTF-8.
 *
 * <p><b>JSON Lines</b> ({@code .jsonl}, {@code .ndjson}, {@code .json}): one JSON
 * object per line, with the fields of {@link BatchRequest}; blank lines are
 * skipped. A line that is not one JSON object fails alone.
 *
 * <p><b>CSV</b> ({@code .csv}): RFC 4180. The first record is a header naming the
 * columns (any of {@link BatchRequest#FIELDS}, in any order, {@code prompt}
 * required); an unknown or repeated column is an error for the whole file. Fields
 * are separated by commas; a field holding a comma, a double quote or a line break
 * is enclosed in double quotes, with each double quote inside doubled
 * ({@code "a ""quoted"" word"}); an empty field is the default. A record with the
 * wrong number of fields, a quote inside an unquoted field or text after a closing
 * quote fails alone; blank lines are skipped.
 *
 * <p>Any other name is read as JSON Lines when its first character (after white
 * space) is <code>{</code>, else as CSV.
 */
public final class BatchInput {
    /** Requests per input file at most, so that a runaway file fails fast. */
    public static final int MAX_REQUESTS = 1_000_000;
    static final int MAX_LINE_CHARS = 1 << 20;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(4).maxStringLength(MAX_LINE_CHARS).maxNumberLength(64).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private BatchInput() {}

    /**
     * The requests of {@code file}; relative {@code init} paths are taken from the
     * file's folder.
     *
     * @throws UncheckedIOException     when the file cannot be read
     * @throws IllegalArgumentException when it is not UTF-8 text or a CSV header is wrong
     */
    public static List<BatchRequest> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + " is not UTF-8 text");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        Path base = file.toAbsolutePath().getParent();
        return isJsonLines(file, text) ? jsonLines(text, base) : csv(file.toString(), text, base);
    }

    private static boolean isJsonLines(Path file, String text) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return false;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return true;
        }
        return text.stripLeading().startsWith("{");
    }

    /** The requests of JSON Lines text, one per non-blank line. */
    public static List<BatchRequest> jsonLines(String text, Path base) {
        List<BatchRequest> out = new ArrayList<>();
        long lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (line.isBlank()) {
                continue;
            }
            checkCount(out);
            out.add(jsonObject(lineNo, line, base));
        }
        return out;
    }

    /** One request from one JSON object's text. */
    public static BatchRequest jsonObject(long line, String json, Path base) {
        if (json.length() > MAX_LINE_CHARS) {
            return BatchRequest.failed(line, json.substring(0, 200) + "...", "line is longer than " + MAX_LINE_CHARS
                    + " characters");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return BatchRequest.failed(line, json, "not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return BatchRequest.failed(line, json, "not a JSON object: each line holds one {...} request");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            fields.put(e.getKey(), value(e.getValue()));
        }
        return BatchRequest.parse(line, json, fields, base);
    }

    private static Object value(JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isNumber()) {
            return v.numberValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        return v; // an array or object: BatchRequest reports it as neither text nor a number
    }

    /** The requests of CSV text with a header record; {@code name} names the input in errors. */
    public static List<BatchRequest> csv(String name, String text, Path base) {
        CsvReader reader = new CsvReader(text);
        CsvReader.Record header = reader.next();
        while (header != null && header.blank()) {
            header = reader.next();
        }
        if (header == null) {
            return List.of();
        }
        if (header.error() != null) {
            throw new IllegalArgumentException(name + ": the header on line " + header.line() + " cannot be read: "
                    + header.error());
        }
        List<String> columns = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String c : header.fields()) {
            String col = c.trim().toLowerCase(Locale.ROOT);
            if (!BatchRequest.FIELDS.contains(col)) {
                throw new IllegalArgumentException(name + ": unknown column '" + c.trim() + "' in the header; known: "
                        + String.join(", ", BatchRequest.FIELDS));
            }
            if (!seen.add(col)) {
                throw new IllegalArgumentException(name + ": column '" + col + "' appears twice in the header");
            }
            columns.add(col);
        }
        if (!seen.contains("prompt")) {
            throw new IllegalArgumentException(name + ": the header has no 'prompt' column");
        }
        List<BatchRequest> out = new ArrayList<>();
        for (CsvReader.Record r = reader.next(); r != null; r = reader.next()) {
            if (r.blank()) {
                continue;
            }
            checkCount(out);
            if (r.error() != null) {
                out.add(BatchRequest.failed(r.line(), r.text(), r.error()));
            } else if (r.fields().size() != columns.size()) {
                out.add(BatchRequest.failed(r.line(), r.text(), "has " + r.fields().size() + " field(s); the header "
                        + "has " + columns.size()));
            } else {
                Map<String, Object> fields = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    fields.put(columns.get(i), r.fields().get(i));
                }
                out.add(BatchRequest.parse(r.line(), r.text(), fields, base));
            }
        }
        return out;
    }

    private static void checkCount(List<BatchRequest> out) {
        if (out.size() >= MAX_REQUESTS) {
            throw new IllegalArgumentException("the input holds more than " + MAX_REQUESTS + " requests; split it");
        }
    }
}
