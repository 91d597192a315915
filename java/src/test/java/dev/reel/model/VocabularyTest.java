package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class VocabularyTest {
    private static final Vocabulary VOCAB = Vocabulary.read(Fixtures.embeddedFolder().resolve("vocabulary.json"));

    private static int[] padded(int... ids) {
        int[] out = new int[16];
        System.arraycopy(ids, 0, out, 0, ids.length);
        return out;
    }

    private static PromptException refused(String prompt, String... words) {
        PromptException e = assertThrows(PromptException.class, () -> VOCAB.encode(prompt));
        assertEquals(prompt, e.prompt());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), () -> "'" + w + "' not in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void encodesBeginThenOneIdPerWordThenPadding() {
        Prompt p = VOCAB.encode("a red circle moving right");
        assertArrayEquals(padded(1, 2, 10, 19, 4, 24), p.ids());
        assertEquals(6, p.length());
        assertEquals("a red circle moving right", p.text());
        assertFalse(p.isUnconditional());
    }

    @Test
    void emptyAndBlankPromptsAreTheUnconditionalPrompt() {
        for (String s : new String[] {"", "   ", "\t\n", ",.!;"}) {
            Prompt p = VOCAB.encode(s);
            assertArrayEquals(padded(1), p.ids());
            assertEquals(1, p.length());
            assertEquals("", p.text());
            assertTrue(p.isUnconditional());
        }
        assertEquals(VOCAB.encode(""), VOCAB.unconditional());
    }

    @Test
    void caseAndPunctuationAndWhiteSpaceDoNotMatter() {
        Prompt p = VOCAB.encode("a red circle moving right");
        assertEquals(p, VOCAB.encode("A Red Circle, moving RIGHT!"));
        assertEquals(p, VOCAB.encode("  a\u00a0red\u2003circle\tmoving\nright; "));
        assertEquals(p, VOCAB.encode("a.red.circle.moving.right"));
    }

    @Test
    void articleBeforeAVowelIsAnAndOtherwiseA() {
        Prompt an = VOCAB.encode("an orange circle moving right");
        assertEquals(an, VOCAB.encode("a orange circle moving right"));
        assertEquals("an orange circle moving right", VOCAB.encode("a orange circle moving right").text());
        assertEquals(3, an.ids()[1]);
        Prompt a = VOCAB.encode("a red square static");
        assertEquals(a, VOCAB.encode("an red square static"));
        assertEquals("a red square static", VOCAB.encode("An Red square static").text());
        Prompt bg = VOCAB.encode("a red circle static on a black background");
        assertEquals(bg, VOCAB.encode("a red circle static on an black background"));
        assertEquals(bg, VOCAB.encode("an red circle static on an black background"));
    }

    @Test
    void unknownWordIsNamedWithTheKnownWords() {
        PromptException e = refused("a red blob moving right", "unknown word 'blob'", "known words: a, an, moving",
                "purple", "brown");
        assertFalse(e.getMessage().contains("<pad>"));
        refused("a red circle moving <s>", "unknown word '<s>'");
        refused("the red circle moving right", "unknown word 'the'");
    }

    @Test
    void grammarErrorsSayWhatWasExpected() {
        refused("red circle moving right", "'red' in prompt 'red circle moving right' is not an article (one of: a, an)");
        refused("a red circle", "ends where a motion was expected (one of: moving, standing, static)");
        refused("a red circle moving static", "'static' in prompt", "is not a direction (one of: left, right, up, down,");
        refused("a red circle standing", "ends where 'still' was expected");
        refused("a red circle moving right on a black", "ends where 'background' was expected");
        refused("a red circle moving right on a red background", "'red'", "is not a background (one of: black, gray");
        refused("a red circle moving right right", "'right' in prompt", "is not 'on' (one of: on)");
        refused("a red circle static on a black background black", "unexpected 'black' after the end of prompt");
        refused("a circle red moving right", "'circle'", "is not a colour");
    }

    @Test
    void tooManyWordsAreRefused() {
        ObjectNode v = Fixtures.json(Fixtures.read(Fixtures.embeddedFolder().resolve("vocabulary.json")));
        v.put("max_tokens", 5);
        Vocabulary small = Vocabulary.parse("vocabulary.json", Fixtures.bytes(v));
        PromptException e = assertThrows(PromptException.class, () -> small.encode("a red circle moving right"));
        assertTrue(e.getMessage().contains("has 5 words; at most 4"), e.getMessage());
        assertEquals(5, small.encode("a red circle static").ids().length);
    }

    @Test
    void parseGivesWhatThePromptStates() {
        assertEquals(new Vocabulary.Caption("orange", "diamond", "static", "navy"),
                VOCAB.caption("an orange diamond standing still on a navy background"));
        Vocabulary.Caption c = VOCAB.caption("a red circle moving up-left");
        assertEquals("up-left", c.direction());
        assertNull(c.background());
        assertThrows(PromptException.class, () -> VOCAB.caption(""));
    }

    @Test
    void accessorsDescribeTheVocabulary() {
        assertEquals(35, VOCAB.size());
        assertEquals(16, VOCAB.maxTokens());
        assertEquals(0, VOCAB.padId());
        assertEquals(1, VOCAB.beginId());
        assertEquals(24, VOCAB.id("right"));
        assertEquals(-1, VOCAB.id("blob"));
        assertEquals(9, VOCAB.colours().size());
        assertTrue(VOCAB.directions().contains("static"));
        assertTrue(VOCAB.isHeldOut("red", "triangle"));
        assertFalse(VOCAB.isHeldOut("red", "circle"));
    }

    /** Every prompt of fixtures/prompts.json (written by tools/make_prompt_fixture.py from vocab.py). */
    @Test
    void encodesEveryPromptExactlyAsTheTwin() {
        JsonNode cases;
        try {
            cases = Fixtures.JSON.readTree(Fixtures.read(Fixtures.tinyFull().getParent().resolve("prompts.json")));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertTrue(cases.size() >= 500);
        int refusedCount = 0;
        for (JsonNode c : cases) {
            String prompt = c.get("prompt").asText();
            if (c.has("error")) {
                refusedCount++;
                PromptException e = assertThrows(PromptException.class, () -> VOCAB.encode(prompt), prompt);
                assertEquals(c.get("error").asText(), e.getMessage());
            } else {
                Prompt p = VOCAB.encode(prompt);
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = c.get("ids").get(i).asInt();
                }
                assertArrayEquals(ids, p.ids(), prompt);
                assertEquals(c.get("length").asInt(), p.length(), prompt);
            }
        }
        assertTrue(refusedCount > 100 && refusedCount < cases.size() - 100);
    }

    @Test
    void wordsSplitOnPythonWhiteSpaceOnly() {
        assertEquals(Arrays.asList("a", "b"), Vocabulary.words("a\u0085b"));
        assertEquals(Arrays.asList("a\u200bb"), Vocabulary.words("a\u200bb")); // zero-width space is not white space
        assertEquals(Arrays.asList("black"), Vocabulary.words("BLAC\u212A")); // the Kelvin sign lower-cases to k
    }

    // ------------------------------------------------------------ hostile vocabulary.json

    private static ModelFormatException refusedVocabulary(Consumer<ObjectNode> change, String subject, String... words) {
        ObjectNode v = Fixtures.json(Fixtures.read(Fixtures.embeddedFolder().resolve("vocabulary.json")));
        change.accept(v);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Vocabulary.parse("vocabulary.json", Fixtures.bytes(v)));
        assertEquals("vocabulary.json", e.file());
        assertEquals(subject, e.subject(), e.getMessage());
        for (String w : words) {
            assertTrue(e.problem().contains(w), () -> "'" + w + "' not in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void vocabularyFieldsAreChecked() {
        refusedVocabulary(v -> v.put("format", "reel-vocabulary-2"), "format", "is not reel-vocabulary-1");
        refusedVocabulary(v -> v.remove("tokens"), "tokens", "missing");
        refusedVocabulary(v -> ((ArrayNode) v.get("tokens")).add("red"), "tokens[35]", "appears twice");
        refusedVocabulary(v -> ((ArrayNode) v.get("tokens")).add("two words"), "tokens[35]", "white space");
        refusedVocabulary(v -> ((ArrayNode) v.get("tokens")).add(7), "tokens[35]", "must be a string");
        refusedVocabulary(v -> v.put("pad_token", "<nothing>"), "pad_token", "not one of the tokens");
        refusedVocabulary(v -> v.put("begin_token", "<pad>"), "begin_token", "same token as pad_token");
        refusedVocabulary(v -> v.put("max_tokens", 16.5), "max_tokens", "must be an integer");
        refusedVocabulary(v -> v.put("max_tokens", 1), "max_tokens", "below the minimum 2");
        refusedVocabulary(v -> ((ObjectNode) v.get("colours")).putArray("pink"), "colours", "\"pink\" is not one of the tokens");
        refusedVocabulary(v -> ((ObjectNode) v.get("grammar")).putArray("article").add("the"), "grammar.article",
                "\"the\" is not one of the tokens");
        refusedVocabulary(v -> v.putArray("shapes"), "shapes", "is empty");
        refusedVocabulary(v -> v.put("held_out", 3), "held_out", "must be an array");
        refusedVocabulary(v -> ((ArrayNode) v.get("held_out")).addArray().add("red").add("blob"), "held_out[9]", "pair");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Vocabulary.parse("vocabulary.json", "{\"format\": ".getBytes()));
        assertEquals("vocabulary", e.subject());
    }
}
