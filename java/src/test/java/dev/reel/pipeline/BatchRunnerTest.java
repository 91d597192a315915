package dev.reel.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.video.Video;
import dev.reel.video.VideoReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A batch into a folder: one file and one row per video, bad rows alone, reruns that resume, a stop between forwards. */
class BatchRunnerTest {
    private static Generator generator;

    @TempDir
    Path temp;

    @BeforeAll
    static void load() {
        generator = Generator.embedded();
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    /** 8 videos from 5 requests (one with 3 variations, one GIF), then 2 requests that fail. */
    static final String INPUT = String.join("\n",
            "{\"prompt\": \"a red circle moving right\", \"steps\": 4}",
            "{\"prompt\": \"a blue square moving up\", \"steps\": 4, \"seed\": 7, \"variations\": 3}",
            "{\"prompt\": \"a green diamond moving down\", \"steps\": 4, \"format\": \"gif\", \"size\": \"64x64\"}",
            "{\"prompt\": \"a yellow triangle moving left\", \"steps\": 4, \"fps\": 16}",
            "{\"prompt\": \"a white circle static\", \"steps\": 4, \"seed\": 1, \"variations\": 2}",
            "{\"prompt\": \"a red elephant moving right\", \"steps\": 4}",
            "{\"prompt\": \"a red circle moving right\", \"steps\": \"four\"}",
            "");

    private Path input(String text) throws Exception {
        Path f = temp.resolve("requests.jsonl");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static List<Path> videos(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{12}-seed-?\\d+(\\.\\w+)?")).sorted()
                    .collect(Collectors.toList());
        }
    }

    @Test
    void eightVideosEightRowsAndBadRowsAlone() throws Exception {
        Path out = temp.resolve("out");
        BatchSummary s = BatchRunner.builder(generator).build().run(input(INPUT), out);
        assertEquals(8, s.ok());
        assertEquals(2, s.failed());
        assertFalse(s.stopped());
        List<Path> files = videos(out);
        assertEquals(8, files.size(), files.toString());
        int frames = generator.model().config().frames();
        double seconds = (double) frames / Generator.DEFAULT_FPS;
        for (Path f : files) {
            Video v = VideoReader.read(f);
            assertEquals(seconds, v.seconds(), 1e-9, f.toString()); // the model's frames at 8 fps, or twice as many at 16
            assertTrue(v.frames() == frames || v.frames() == 2 * frames, f + ": " + v.frames() + " frames");
        }
        assertEquals(64, VideoReader.read(files.stream().filter(f -> f.toString().endsWith(".gif")).findFirst()
                .orElseThrow()).width());

        List<BatchResult> rows = ResultsTable.read(out.resolve(ResultsTable.JSONL));
        assertEquals(10, rows.size());
        assertEquals(List.of(1L, 2L, 2L, 2L, 3L, 4L, 5L, 5L, 6L, 7L), rows.stream().map(BatchResult::line).toList());
        assertEquals(List.of(7L, 8L, 9L), rows.subList(1, 4).stream().map(BatchResult::seed).toList());
        for (BatchResult r : rows.subList(0, 8)) {
            assertEquals(BatchResult.Status.OK, r.status(), r.toString());
            assertTrue(Files.exists(out.resolve(r.path())), r.path());
            assertEquals(seconds, r.durationSeconds(), 1e-9, "the model's frames at 8 fps");
            assertTrue(r.elapsedSeconds() > 0);
            assertNull(r.watermark());
            assertNull(r.error());
        }
        BatchResult elephant = rows.get(8);
        assertEquals(BatchResult.Status.FAILED, elephant.status());
        assertTrue(elephant.error().contains("elephant"), elephant.error());
        assertEquals(42L, elephant.seed());
        assertNull(elephant.path());
        BatchResult unreadable = rows.get(9);
        assertTrue(unreadable.error().contains("steps must be a number"), unreadable.error());
        assertNull(unreadable.seed());
        assertTrue(unreadable.request().contains("\"four\""), "an unreadable row shows its text");

        List<String> csv = Files.readAllLines(out.resolve(ResultsTable.CSV));
        assertEquals("line,request,seed,path,duration_s,elapsed_s,watermark,status,error", csv.get(0));
        assertEquals(11, csv.size());
        assertTrue(csv.get(1).startsWith("1,reel generate --prompt 'a red circle moving right' --steps 4 --seed 42 "
                + "--format mp4,42,"), csv.get(1));
        assertTrue(csv.get(1).endsWith(",,ok,"), csv.get(1));
        try (Stream<Path> leftovers = Files.list(out)) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "a temporary file is left");
        }
    }

    @Test
    void videosThatShareSettingsShareForwards() throws Exception {
        Map<Integer, Integer> forwards = new java.util.LinkedHashMap<>();
        java.util.regex.Pattern forward = java.util.regex.Pattern.compile("forward (\\d+): (\\d+) video\\(s\\).*");
        BatchRunner.builder(generator).maxBatch(4).listener(p -> {
            var m = forward.matcher(p.detail());
            if (m.matches()) {
                forwards.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            }
        }).build().run(BatchInput.jsonLines(INPUT, null), temp.resolve("packed"));
        // the 8 videos share steps and sampler (size, fps and format are the writer's): two forwards of 4
        assertEquals(Map.of(1, 4, 2, 4), forwards);
    }

    @Test
    void aRerunSkipsWhatIsDoneAndRemakesWhatIsNot() throws Exception {
        Path out = temp.resolve("out");
        Path in = input(INPUT);
        BatchRunner runner = BatchRunner.builder(generator).build();
        runner.run(in, out);
        List<Path> files = videos(out);
        FileTime before = Files.getLastModifiedTime(files.get(0));

        BatchSummary again = runner.run(in, out);
        assertEquals(0, again.ok());
        assertEquals(8, again.skipped());
        assertEquals(2, again.failed(), "bad rows are tried again, and fail again");
        assertEquals(before, Files.getLastModifiedTime(files.get(0)), "a done file was written again");
        List<BatchResult> rows = ResultsTable.read(out.resolve(ResultsTable.JSONL));
        assertEquals(10, rows.size(), "one row per video after a rerun, not one per run");
        assertTrue(rows.subList(0, 8).stream().allMatch(r -> r.status() == BatchResult.Status.SKIPPED
                && r.elapsedSeconds() != null), "skipped rows keep what the first run measured");

        Files.delete(files.get(3));
        BatchSummary third = runner.run(in, out);
        assertEquals(1, third.ok());
        assertEquals(7, third.skipped());
        assertTrue(Files.exists(files.get(3)));
    }

    @Test
    void aStopLetsTheForwardInFlightFinishAndARerunCompletes() throws Exception {
        Path out = temp.resolve("out");
        Path in = input(INPUT);
        AtomicInteger checks = new AtomicInteger();
        BatchSummary s = BatchRunner.builder(generator).maxBatch(2).stopWhen(() -> checks.incrementAndGet() > 1)
                .build().run(in, out);
        assertTrue(s.stopped());
        assertEquals(2, s.ok(), "one forward of 2 videos ran");
        assertEquals(6, s.notRun());
        assertEquals(2, videos(out).size());
        List<BatchResult> rows = ResultsTable.read(out.resolve(ResultsTable.JSONL));
        assertEquals(4, rows.size(), "2 made and the 2 bad rows");

        BatchSummary rest = BatchRunner.builder(generator).build().run(in, out);
        assertFalse(rest.stopped());
        assertEquals(6, rest.ok());
        assertEquals(2, rest.skipped());
        assertEquals(8, videos(out).size());
    }

    @Test
    void theSameVideoTwiceIsMadeOnce() throws Exception {
        Path out = temp.resolve("out");
        BatchSummary s = BatchRunner.builder(generator).build().run(input(
                "{\"prompt\": \"a red circle moving right\", \"steps\": 4, \"seed\": 3}\n"
                + "{\"steps\": 4, \"prompt\": \"a red circle moving right\", \"seed\": 2, \"variations\": 2}\n"), out);
        assertEquals(2, s.ok());
        assertEquals(1, s.skipped());
        assertEquals(2, videos(out).size());
        assertEquals(s.results().get(0).path(), s.results().get(2).path());
    }

    @Test
    void aTornTableFromADeadRunIsReadAndRepaired() throws Exception {
        Path out = temp.resolve("out");
        Path in = input(String.join("\n", INPUT.lines().limit(2).toList()));
        BatchRunner runner = BatchRunner.builder(generator).build();
        runner.run(in, out);
        Path table = out.resolve(ResultsTable.JSONL);
        String text = Files.readString(table);
        Files.writeString(table, text + text.substring(0, 40)); // a row cut off mid-write
        BatchSummary again = runner.run(in, out);
        assertEquals(4, again.skipped());
        assertEquals(4, ResultsTable.read(table).size());
        Map<String, BatchResult> latest = ResultsTable.latestByPath(table);
        assertEquals(4, latest.size());
    }
}
