package dev.reel.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Jackson under read limits, and typed access to the parsed fields with a
 * {@link ModelFormatException} naming the field. Every JSON file of a model folder
 * (config.json, vocabulary.json, a safetensors header, a shard index) is read here.
 *
 * <p>The bytes are decoded as strict UTF-8 first (Jackson would otherwise guess UTF-16 or
 * UTF-32 from leading zero bytes), duplicate names are an error (a later value must not
 * silently replace an earlier one), and anything after the value other than white space
 * is an error (Jackson's readTree alone stops after the first value).
 */
final class Json {
    /** A safetensors header is 3 deep, config.json 2, vocabulary.json 3. */
    static final int MAX_NESTING = 8;
    static final int MAX_STRING = 1 << 20;
    static final int MAX_NAME = 1 << 16;
    static final int MAX_NUMBER_DIGITS = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING)
                    .maxStringLength(MAX_STRING)
                    .maxNameLength(MAX_NAME)
                    .maxNumberLength(MAX_NUMBER_DIGITS)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private Json() {}

    /** Parses one JSON value from {@code length} bytes at {@code offset}. */
    static JsonNode parse(String file, String subject, byte[] bytes, int offset, int length) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, subject, "is not valid UTF-8");
        }
        JsonNode node;
        try (JsonParser parser = MAPPER.getFactory().createParser(text)) {
            node = MAPPER.readTree(parser);
            if (node != null && parser.nextToken() != null) {
                throw new ModelFormatException(file, subject, "is not valid JSON: more after the JSON value"
                        + where(parser.currentTokenLocation()));
            }
        } catch (StreamConstraintsException e) {
            throw new ModelFormatException(file, subject, "exceeds a JSON read limit: " + describe(e), e);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, subject, "is not valid JSON: " + describe(e), e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelFormatException) {
                throw (ModelFormatException) e;
            }
            // Jackson's own checks are parse exceptions; anything else is still a bad document.
            throw new ModelFormatException(file, subject, "could not be read as JSON: " + e, e);
        }
        if (node == null || node.isMissingNode()) {
            throw new ModelFormatException(file, subject, "is empty (no JSON value)");
        }
        return node;
    }

    static Obj parseObject(String file, String subject, byte[] bytes) {
        JsonNode node = parse(file, subject, bytes, 0, bytes.length);
        if (!node.isObject()) {
            throw new ModelFormatException(file, subject, "must be a JSON object, found " + describe(node));
        }
        return new Obj(file, "", (ObjectNode) node);
    }

    private static String describe(JsonProcessingException e) {
        return clip(String.valueOf(e.getOriginalMessage()), 300) + where(e.getLocation());
    }

    private static String where(JsonLocation at) {
        return at != null && at.getLineNr() > 0 ? " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")" : "";
    }

    static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    /** How a value reads in a message: {@code the string "3"}, {@code the number 3.5}, {@code an array}. */
    static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        if (n.isTextual()) {
            return "the string \"" + clip(n.textValue(), 80) + "\"";
        }
        if (n.isNumber()) {
            return "the number " + clip(n.asText(), 80);
        }
        if (n.isBoolean() || n.isNull()) {
            return n.asText();
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isObject()) {
            return "an object";
        }
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** A JSON object read field by field; {@code path} prefixes field names in messages. */
    static final class Obj {
        final String file;
        final String path;
        final ObjectNode node;

        Obj(String file, String path, ObjectNode node) {
            this.file = file;
            this.path = path;
            this.node = node;
        }

        String name(String field) {
            return path + field;
        }

        ModelFormatException error(String field, String problem) {
            return new ModelFormatException(file, name(field), problem);
        }

        boolean has(String field) {
            return node.has(field);
        }

        JsonNode required(String field, String what) {
            JsonNode n = node.get(field);
            if (n == null) {
                throw error(field, "missing (" + what + " is required)");
            }
            return n;
        }

        String string(String field) {
            JsonNode n = required(field, "a string");
            if (!n.isTextual()) {
                throw error(field, "must be a string, found " + describe(n));
            }
            return n.textValue();
        }

        /** A JSON integer (not 3.0, "3" or true) in [min, max]. */
        int integer(String field, int min, int max) {
            return integer(field, required(field, "an integer"), min, max);
        }

        int integer(String field, JsonNode n, int min, int max) {
            if (!n.isIntegralNumber()) {
                throw error(field, "must be an integer, found " + describe(n));
            }
            BigInteger v = n.bigIntegerValue();
            if (v.compareTo(BigInteger.valueOf(min)) < 0) {
                throw error(field, clip(v.toString(), 40) + " is below the minimum " + min);
            }
            if (v.compareTo(BigInteger.valueOf(max)) > 0) {
                throw error(field, clip(v.toString(), 40) + " is above the limit " + max);
            }
            return v.intValue();
        }

        /** A finite JSON number (integer or not) in [min, max]. */
        double number(String field, double min, double max) {
            JsonNode n = required(field, "a number");
            if (!n.isNumber()) {
                throw error(field, "must be a number, found " + describe(n));
            }
            double v = n.doubleValue();
            if (!Double.isFinite(v)) {
                throw error(field, clip(n.asText(), 40) + " is not a finite number");
            }
            if (v < min) {
                throw error(field, n.asText() + " is below the minimum " + min);
            }
            if (v > max) {
                throw error(field, n.asText() + " is above the limit " + max);
            }
            return v;
        }

        /** An array of exactly {@code length} integers, each in [min, max]. */
        int[] integers(String field, int length, int min, int max) {
            JsonNode n = required(field, "an array of " + length + " integers");
            if (!n.isArray()) {
                throw error(field, "must be an array of " + length + " integers, found " + describe(n));
            }
            if (n.size() != length) {
                throw error(field, "must have " + length + " entries, found " + n.size());
            }
            int[] out = new int[length];
            for (int i = 0; i < length; i++) {
                out[i] = integer(field + "[" + i + "]", n.get(i), min, max);
            }
            return out;
        }

        /** An array of {@code minLength..maxLength} integers, each in [min, max]. */
        int[] integerList(String field, int minLength, int maxLength, int min, int max) {
            JsonNode n = required(field, "an array of integers");
            if (!n.isArray()) {
                throw error(field, "must be an array of integers, found " + describe(n));
            }
            if (n.size() < minLength || n.size() > maxLength) {
                throw error(field, "must have " + minLength + " to " + maxLength + " entries, found " + n.size());
            }
            int[] out = new int[n.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = integer(field + "[" + i + "]", n.get(i), min, max);
            }
            return out;
        }

        /** An array of exactly {@code length} finite numbers, each in [min, max]. */
        double[] numbers(String field, int length, double min, double max) {
            JsonNode n = required(field, "an array of " + length + " numbers");
            if (!n.isArray()) {
                throw error(field, "must be an array of " + length + " numbers, found " + describe(n));
            }
            if (n.size() != length) {
                throw error(field, "must have " + length + " entries, found " + n.size());
            }
            double[] out = new double[length];
            for (int i = 0; i < length; i++) {
                JsonNode e = n.get(i);
                String name = field + "[" + i + "]";
                if (!e.isNumber()) {
                    throw error(name, "must be a number, found " + describe(e));
                }
                double v = e.doubleValue();
                if (!Double.isFinite(v)) {
                    throw error(name, clip(e.asText(), 40) + " is not a finite number");
                }
                if (v < min || v > max) {
                    throw error(name, e.asText() + " is outside [" + min + ", " + max + "]");
                }
                out[i] = v;
            }
            return out;
        }

        /** An array of strings. */
        List<String> strings(String field) {
            JsonNode n = required(field, "an array of strings");
            if (!n.isArray()) {
                throw error(field, "must be an array of strings, found " + describe(n));
            }
            List<String> out = new ArrayList<>(n.size());
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                if (!e.isTextual()) {
                    throw error(field + "[" + i + "]", "must be a string, found " + describe(e));
                }
                out.add(e.textValue());
            }
            return out;
        }

        /** The names of an object's fields, or the strings of an array, in file order. */
        List<String> names(String field) {
            JsonNode n = required(field, "an object or an array of strings");
            if (n.isObject()) {
                List<String> out = new ArrayList<>(n.size());
                n.fieldNames().forEachRemaining(out::add);
                return out;
            }
            if (n.isArray()) {
                return strings(field);
            }
            throw error(field, "must be an object or an array of strings, found " + describe(n));
        }

        Obj object(String field) {
            JsonNode n = required(field, "an object");
            if (!n.isObject()) {
                throw error(field, "must be an object, found " + describe(n));
            }
            return new Obj(file, name(field) + ".", (ObjectNode) n);
        }

        Set<Map.Entry<String, JsonNode>> properties() {
            return node.properties();
        }
    }
}
