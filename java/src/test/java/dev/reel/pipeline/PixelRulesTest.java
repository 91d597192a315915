package dev.reel.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reel.model.Vocabulary;
import dev.reel.video.Video;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * The Java pixel rules measure what {@code tools/reel/evaluate.py} measures, score
 * ground-truth renders as {@code tools/tests/test_evaluate.py} requires (at least 99% on every
 * attribute), and score a caption that states something else as wrong.
 */
class PixelRulesTest {
    private static final double NUMBERS = 1e-9;
    private final PixelRules rules = PixelRules.embedded();
    private final List<String> shapes = List.of("circle", "square", "triangle", "diamond");

    @Test
    void agreesWithThePythonEvaluatorOnItsCases() throws IOException {
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("evaluator-cases.json")) {
            assertNotNull(in, "evaluator-cases.json (tools/make_evaluator_fixture.py) is not on the class path");
            doc = new ObjectMapper().readTree(in);
        }
        JsonNode k = doc.get("constants");
        assertEquals(k.get("threshold").doubleValue(), PixelRules.THRESHOLD);
        assertEquals(k.get("static_fraction").doubleValue(), PixelRules.STATIC_FRACTION);
        assertEquals(k.get("fill_square").doubleValue(), PixelRules.FILL_SQUARE);
        assertEquals(k.get("fill_circle").doubleValue(), PixelRules.FILL_CIRCLE);
        assertEquals(k.get("triangle_offset").doubleValue(), PixelRules.TRIANGLE_OFFSET);
        int n = 0;
        for (JsonNode c : doc.get("cases")) {
            String what = "case " + n++ + " (" + c.get("name").textValue() + ", '" + c.get("prompt").textValue() + "')";
            Video video = Video.ofRgb(inflate(c.get("rgb").textValue()), c.get("frames").intValue(),
                    c.get("height").intValue(), c.get("width").intValue(), Generator.DEFAULT_FPS);
            PixelRules.Measurement m = rules.measure(video);
            JsonNode e = c.get("expected");
            assertEquals(e.get("found").booleanValue(), m.found(), what + ": found");
            assertEquals(e.get("colour").textValue(), m.colour(), what + ": colour");
            assertEquals(e.get("shape").textValue(), m.shape(), what + ": shape (template rule)");
            assertEquals(e.get("shape_fill").textValue(), m.shapeFill(), what + ": shape (fill rule)");
            assertEquals(e.get("direction").textValue(), m.direction(), what + ": direction");
            assertEquals(e.get("background").textValue(), m.background(), what + ": background");
            for (int i = 0; i < 3; i++) {
                assertEquals(e.get("object_rgb").get(i).doubleValue(), m.objectRgb()[i], NUMBERS, what + ": object rgb " + i);
                assertEquals(e.get("background_rgb").get(i).doubleValue(), m.backgroundRgb()[i], NUMBERS,
                        what + ": background rgb " + i);
            }
            assertEquals(e.get("velocity").get(0).doubleValue(), m.vx(), NUMBERS, what + ": vx");
            assertEquals(e.get("velocity").get(1).doubleValue(), m.vy(), NUMBERS, what + ": vy");
            assertEquals(e.get("fill").doubleValue(), m.fill(), NUMBERS, what + ": fill");
            assertEquals(e.get("offset").doubleValue(), m.offset(), NUMBERS, what + ": offset");
            for (String s : shapes) {
                assertEquals(e.get("votes").get(s).doubleValue(), m.votes().get(s), NUMBERS, what + ": votes " + s);
            }
        }
        assertTrue(n >= 10, "only " + n + " cases");
    }

    @Test
    void scoresGroundTruthRendersAtNinetyNinePercent() {
        Map<String, Integer> hits = scoreRenders(300, 11, false);
        hits.forEach((k, h) -> assertTrue(h >= 0.99 * 300, k + ": " + h + "/300 ground-truth renders"));
    }

    @Test
    void scoresACaptionThatStatesSomethingElseAsWrong() {
        Map<String, Integer> hits = scoreRenders(300, 12, true);
        hits.forEach((k, h) -> assertTrue(h <= 0.01 * 300, k + ": " + h + "/300 renders match a wrong caption"));
        GroundTruth truth = new GroundTruth();
        Video v = truth.render(new Vocabulary.Caption("red", "circle", "right", "navy"), 8, 32, new SplittableRandom(3));
        PixelRules.Verdict verdict = PixelRules.judge(rules.measure(v),
                new Vocabulary.Caption("blue", "square", "left", "gray"));
        assertEquals(new PixelRules.Verdict(false, false, false, false, false), verdict);
        assertFalse(verdict.all());
    }

    @Test
    void findsNoObjectInAPlainVideo() {
        byte[] grey = new byte[8 * 32 * 32 * 3];
        java.util.Arrays.fill(grey, (byte) 128);
        PixelRules.Measurement m = rules.measure(Video.ofRgb(grey, 8, 32, 32, Generator.DEFAULT_FPS));
        assertFalse(m.found());
        assertEquals("gray", m.background());
        assertFalse(PixelRules.judge(m, new Vocabulary.Caption("red", "circle", "static", null)).all());
    }

    /**
     * Hits per attribute over {@code n} renders of random captions, judged against the caption
     * drawn or, with {@code wrong}, against one in which every attribute is changed.
     */
    private Map<String, Integer> scoreRenders(int n, long seed, boolean wrong) {
        GroundTruth truth = new GroundTruth();
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Integer> hits = new LinkedHashMap<>();
        for (String k : List.of("colour", "shape", "shape (fill rule)", "direction", "background")) {
            hits.put(k, 0);
        }
        for (int i = 0; i < n; i++) {
            Vocabulary.Caption c = truth.randomCaption(rng, shapes);
            PixelRules.Measurement m = rules.measure(truth.render(c, 8, 32, rng));
            Vocabulary.Caption stated = c;
            if (wrong) {
                Vocabulary.Caption other;
                do {
                    other = truth.randomCaption(rng, shapes);
                } while (other.colour().equals(c.colour()) || other.shape().equals(c.shape())
                        || other.direction().equals(c.direction()) || other.background().equals(c.background()));
                stated = other;
            }
            PixelRules.Verdict v = PixelRules.judge(m, stated);
            hits.merge("colour", v.colour() ? 1 : 0, Integer::sum);
            hits.merge("shape", v.shape() ? 1 : 0, Integer::sum);
            hits.merge("shape (fill rule)", v.shapeFill() ? 1 : 0, Integer::sum);
            hits.merge("direction", v.direction() ? 1 : 0, Integer::sum);
            hits.merge("background", v.background() ? 1 : 0, Integer::sum);
        }
        System.out.println("PixelRules on " + n + " ground-truth renders" + (wrong ? " against wrong captions" : "")
                + ": " + hits);
        return hits;
    }

    private static byte[] inflate(String base64) {
        Inflater inflater = new Inflater();
        inflater.setInput(Base64.getDecoder().decode(base64));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        try {
            while (!inflater.finished()) {
                int got = inflater.inflate(buf);
                if (got == 0 && inflater.needsInput()) {
                    throw new IllegalStateException("truncated zlib stream");
                }
                out.write(buf, 0, got);
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException(e);
        } finally {
            inflater.end();
        }
        return out.toByteArray();
    }
}
