package dev.reel.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.sampling.SamplerKind;
import dev.reel.video.VideoFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading batch input: every field, JSON Lines and CSV, and a bad row failing alone with a reason. */
class BatchInputTest {
    @TempDir
    Path temp;

    @Test
    void aJsonLineSetsEveryField() throws Exception {
        Files.write(temp.resolve("in.mp4"), new byte[] {1});
        BatchRequest r = BatchInput.jsonObject(3, "{\"prompt\": \"a red circle moving right\", \"negative\": \"blue\", "
                + "\"steps\": 4, \"sampler\": \"dpm-solver-2m\", \"guidance\": 3.5, \"guidance_interval\": \"0.5, 1\", "
                + "\"seed\": 7, \"variations\": 2, "
                + "\"batch\": 2, \"init\": \"in.mp4\", \"strength\": 0.25, \"size\": \"64x48\", \"fps\": 12, "
                + "\"format\": \"webm\"}", temp);
        assertTrue(r.ok(), r.error());
        GenerationRequest g = r.request();
        assertEquals(List.of("a red circle moving right"), g.prompts());
        assertEquals("blue", g.negativePrompt());
        assertEquals(4, g.steps());
        assertEquals(SamplerKind.DPM_SOLVER_2M, g.sampler());
        assertEquals(3.5, g.guidance());
        assertArrayEquals(new double[] {0.5, 1}, g.guidanceInterval());
        assertEquals(7, g.seed());
        assertEquals(2, g.variations());
        assertEquals(2, g.maxBatch());
        assertEquals(temp.resolve("in.mp4").toAbsolutePath(), g.init());
        assertEquals(0.25, g.strength());
        assertEquals(64, g.width());
        assertEquals(48, g.height());
        assertEquals(12.0, g.fps());
        assertEquals(VideoFormat.WEBM, r.format());
        assertEquals(3, r.line());
    }

    @Test
    void aBadGuidanceIntervalIsNamed() {
        for (String bad : new String[] {"\"0.9\"", "\"0.9,0.1\"", "\"a,b\"", "\"0,1,2\"", "0.5"}) {
            BatchRequest r = BatchInput.jsonObject(1, "{\"prompt\": \"a red circle moving right\", "
                    + "\"guidance_interval\": " + bad + "}", null);
            assertFalse(r.ok(), bad);
            assertTrue(r.error().contains("guidance"), bad + ": " + r.error());
        }
    }

    @Test
    void variationsExpandToSeedsWithStableNames() {
        BatchRequest r = BatchInput.jsonObject(1, "{\"prompt\": \"a red circle moving right\", \"seed\": 10, "
                + "\"variations\": 3, \"batch\": 2}", null);
        List<BatchItem> items = r.items("ab".repeat(32));
        assertEquals(List.of(10L, 11L, 12L), items.stream().map(BatchItem::seed).toList());
        for (BatchItem i : items) {
            assertTrue(i.name().matches("[0-9a-f]{12}-seed" + i.seed() + "\\.mp4"), i.name());
            assertEquals("reel generate --prompt 'a red circle moving right' --seed " + i.seed() + " --format mp4",
                    i.line());
            assertEquals(2, i.request().maxBatch(), "the batch size travels with the item");
        }
        // the name depends on the request and the model, not on how the request was written or batched
        BatchRequest same = BatchInput.jsonObject(9, "{\"seed\": \"10\", \"prompt\": \"a red circle moving right\"}",
                null);
        assertEquals(items.get(0).name(), same.items("ab".repeat(32)).get(0).name());
        assertFalse(items.get(0).name().equals(same.items("cd".repeat(32)).get(0).name()), "another model, same name");
    }

    @Test
    void aBadJsonLineFailsAloneWithItsReason() {
        List<BatchRequest> rs = BatchInput.jsonLines("{\"prompt\": \"a red circle moving right\"}\n"
                + "{\"prompt\": \"a\", \"steps\": \"many\"}\n"
                + "\n"
                + "not json\n"
                + "{\"prompt\": \"x\", \"colour\": \"red\"}\n"
                + "{\"prompt\": \"x\", \"sampler\": \"magic\"}\n"
                + "{\"prompt\": \"x\", \"steps\": 0}\n"
                + "{\"prompt\": \"x\", \"strength\": 0.5}\n"
                + "{\"prompt\": \"x\", \"size\": \"65x64\"}\n"
                + "[1, 2]\n"
                + "{\"prompt\": \"x\", \"prompt\": \"y\"}\n"
                + "{\"steps\": 4}\n"
                + "{\"prompt\": \"x\", \"seed\": 1e999}\n"
                + "{\"prompt\": \"x\", \"steps\": [4]}\n", null);
        assertEquals(13, rs.size());
        assertTrue(rs.get(0).ok());
        String[] reasons = {"steps must be a", "not JSON", "unknown field 'colour'", "unknown sampler 'magic'",
            "steps must be in [1, 1000]", "strength needs init", "even width", "not a JSON object", "Duplicate field",
            "prompt is missing", "out of range", "steps must be a number"};
        long[] lines = {2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        for (int i = 0; i < reasons.length; i++) {
            BatchRequest r = rs.get(i + 1);
            assertFalse(r.ok(), r.toString());
            assertTrue(r.error().contains(reasons[i]), "line " + r.line() + ": " + r.error());
            assertEquals(lines[i], r.line());
            assertNull(r.request());
        }
    }

    @Test
    void csvQuotesCommasQuotesAndLineBreaks() throws Exception {
        Path f = temp.resolve("in.csv");
        Files.writeString(f, "\uFEFFPrompt, seed ,steps,negative,format\r\n"
                + "a red circle moving right,1,4,,\r\n"
                + "\"a blue square moving up\",2,,\"it's \"\"blue\"\", really\",gif\r\n"
                + "\r\n"
                + "\"a green diamond\nmoving down\",3,4,,png\n"
                + "a red circle moving right,x,4,,\n"
                + "too,few\n"
                + "a \"quoted\" word,1,4,,\n"
                + "\"closed\" early,1,4,,\n"
                + "a last one,5,4,,mp4", StandardCharsets.UTF_8);
        List<BatchRequest> rs = BatchInput.read(f);
        assertEquals(8, rs.size());
        assertEquals(1, rs.get(0).request().seed());
        assertEquals("it's \"blue\", really", rs.get(1).request().negativePrompt());
        assertNull(rs.get(1).request().steps());
        assertEquals(VideoFormat.GIF, rs.get(1).format());
        assertEquals("a green diamond\nmoving down", rs.get(2).request().prompts().get(0));
        assertEquals(5, rs.get(2).line(), "a record is numbered by its first line");
        assertTrue(rs.get(3).error().contains("seed must be a"), rs.get(3).error());
        assertEquals(7, rs.get(3).line());
        assertTrue(rs.get(4).error().contains("has 2 field(s)"), rs.get(4).error());
        assertTrue(rs.get(5).error().contains("double quote inside an unquoted field"), rs.get(5).error());
        assertTrue(rs.get(6).error().contains("text after a closing quote"), rs.get(6).error());
        assertEquals(5, rs.get(7).request().seed());
        assertEquals(11, rs.get(7).line());
    }

    @Test
    void aCsvHeaderMistakeIsAnErrorForTheFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchInput.csv("in.csv", "prompt,colour\nx,red\n", null));
        assertTrue(e.getMessage().contains("unknown column 'colour'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchInput.csv("in.csv", "seed,steps\n1,4\n", null));
        assertTrue(e.getMessage().contains("no 'prompt' column"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchInput.csv("in.csv", "prompt,Prompt\nx,y\n", null));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void anUnterminatedQuoteFailsTheRestOfTheFileAsOneRow() {
        List<BatchRequest> rs = BatchInput.csv("in.csv", "prompt,seed\nok,1\n\"never closed,2\nmore,3\n", null);
        assertEquals(2, rs.size());
        assertTrue(rs.get(0).ok());
        assertTrue(rs.get(1).error().contains("never closed"), rs.get(1).error());
    }

    @Test
    void sizeOrWidthAndHeight() {
        BatchRequest wh = BatchRequest.parse(1, "", Map.of("prompt", "x", "width", 64, "height", "32"), null);
        assertEquals(64, wh.request().width());
        assertEquals(32, wh.request().height());
        assertTrue(BatchRequest.parse(1, "", Map.of("prompt", "x", "width", 64), null).error().contains("needs height"));
        assertTrue(BatchRequest.parse(1, "", Map.of("prompt", "x", "width", 64, "size", "64x64"), null).error()
                .contains("not both"));
        assertTrue(BatchRequest.parse(1, "", Map.of("prompt", "x", "size", "big"), null).error().contains("WIDTHxHEIGHT"));
        assertTrue(BatchRequest.parse(1, "", Map.of("prompt", "x", "steps", 4.5), null).error().contains("whole"));
        assertEquals(4, BatchRequest.parse(1, "", Map.of("prompt", "x", "steps", 4.0), null).request().steps());
    }
}
