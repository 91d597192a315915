package dev.reel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.video.Video;
import dev.reel.video.VideoReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * reel-spark in local mode with task retries ({@code local[2,3]}: two task threads, a task may fail twice):
 * 8 videos, a retried task, a rerun, a bad row.
 */
class ReelSparkTest {
    /** The embedded model's frame count, which every video of these tests has. */
    static final int EMBEDDED_FRAMES;

    static {
        try (dev.reel.model.ModelFolder m = dev.reel.model.ModelFolder.embedded()) {
            EMBEDDED_FRAMES = m.config().frames();
        }
    }

    private static SparkSession spark;

    @TempDir
    static Path warehouse;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,3]").appName("reel-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.default.parallelism", "4")
                .config("spark.sql.warehouse.dir", warehouse.resolve("warehouse").toUri().toString())
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** 8 videos from 6 rows (one with 3 variations), all at 4 steps. */
    static final List<String> EIGHT = List.of(
            "{\"prompt\": \"a red circle moving right\", \"steps\": 4}",
            "{\"prompt\": \"a blue square moving up\", \"steps\": 4, \"seed\": 7, \"variations\": 3}",
            "{\"prompt\": \"a green diamond moving down\", \"steps\": 4, \"format\": \"webm\"}",
            "{\"prompt\": \"a yellow triangle moving left\", \"steps\": 4}",
            "{\"prompt\": \"a white circle static\", \"steps\": 4, \"seed\": 1}",
            "{\"prompt\": \"a magenta diamond moving up\", \"steps\": 4, \"seed\": 2}");

    private static Dataset<Row> requests(List<String> lines) {
        return spark.read().json(spark.createDataset(lines, Encoders.STRING()));
    }

    private static Options options() {
        return Options.builder().partitions(4).build();
    }

    private static List<Path> videos(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{12}-seed\\d+\\.(mp4|webm)")).sorted()
                    .collect(Collectors.toList());
        }
    }

    private static List<Row> sorted(Dataset<Row> results) {
        return results.orderBy("line", "seed").collectAsList();
    }

    private static void assertNoPartialFiles(Path out) throws Exception {
        assertFalse(Files.exists(out.resolve(HadoopStore.TEMPORARY)), "temporary parts are left");
        try (Stream<Path> s = Files.walk(out)) {
            List<Path> parts = s.filter(p -> p.toString().endsWith(".part")).toList();
            assertTrue(parts.isEmpty(), "partial files: " + parts);
        }
    }

    @Test
    void eightRequestsMakeEightFilesAndEightRowsAndABadRowFailsAlone() throws Exception {
        Path out = temp.resolve("out");
        List<String> lines = new java.util.ArrayList<>(EIGHT);
        lines.add(3, "{\"prompt\": \"a red elephant moving right\", \"steps\": 4}");
        lines.add("{\"prompt\": \"a red circle moving right\", \"steps\": \"x\"}");
        List<Row> rows = sorted(ReelSpark.generate(requests(lines), out.toUri().toString(), options()));
        assertEquals(10, rows.size(), rows.toString());
        List<Row> failed = rows.stream().filter(r -> r.getAs("status").equals("failed")).toList();
        assertEquals(2, failed.size(), rows.toString());
        assertEquals(4L, (long) failed.get(0).getAs("line"));
        assertTrue(((String) failed.get(0).getAs("error")).contains("elephant"), failed.get(0).toString());
        assertTrue(((String) failed.get(1).getAs("error")).contains("steps must be a number"), failed.get(1).toString());
        assertNull(failed.get(1).getAs("seed"));

        List<Row> ok = rows.stream().filter(r -> r.getAs("status").equals("ok")).toList();
        assertEquals(8, ok.size());
        assertEquals(List.of(7L, 8L, 9L), ok.subList(1, 4).stream().map(r -> (Long) r.getAs("seed")).toList());
        Set<String> paths = new HashSet<>();
        for (Row r : ok) {
            Path file = Path.of(URI.create(r.getAs("path")));
            assertTrue(paths.add(file.getFileName().toString()), "two rows for one file");
            Video v = VideoReader.read(file);
            assertEquals(EMBEDDED_FRAMES, v.frames(), file.toString());
            assertEquals(EMBEDDED_FRAMES / 8.0, (double) r.getAs("duration_s"), 1e-9, "the model's frames at 8 fps");
            dev.reel.Device where = dev.reel.Reel.defaultDevice();
            assertEquals(where.isCuda() ? "cuda:" + where.ordinal() : "cpu", r.getAs("device"));
            assertNull(r.getAs("spark_gpu"), "local mode schedules no GPU");
            assertNull(r.getAs("watermark"));
        }
        assertEquals(8, videos(out).size());
        assertTrue(Files.isDirectory(out.resolve(ReelSpark.RESULTS)));
        assertEquals(10, spark.read().parquet(out.resolve(ReelSpark.RESULTS).toString()).count());
        assertNoPartialFiles(out);
        try (Stream<Path> s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".crc")), "checksum side files");
        }
    }

    @Test
    void aTaskThatFailsItsFirstAttemptIsRetriedWithNoDuplicateOrPartialFile() throws Exception {
        Path out = temp.resolve("out");
        // One task, forwards of 2: its first attempt dies after copying the green diamond's part file, before the
        // rename, with the 4 videos of its first two forwards already in place.
        Options options = Options.builder().partitions(1).maxBatch(2).faultHook((point, request, attempt) -> {
            if (attempt == 0 && request.contains("green diamond")) {
                throw new InjectedFailure(point + ": " + request);
            }
        }).build();
        List<Row> rows = sorted(ReelSpark.generate(requests(EIGHT), out.toUri().toString(), options));
        assertEquals(8, rows.size(), "one row per video: " + rows);
        assertTrue(rows.stream().allMatch(r -> r.getAs("status").equals("ok")), rows.toString());
        assertEquals(8, rows.stream().map(r -> (String) r.getAs("path")).distinct().count());
        Row green = rows.stream().filter(r -> ((String) r.getAs("request")).contains("green")).findFirst().orElseThrow();
        assertEquals(1, (int) green.getAs("attempt"), "the row comes from the retry");
        List<Path> files = videos(out);
        assertEquals(8, files.size(), files.toString());
        for (Path f : files) {
            assertEquals(EMBEDDED_FRAMES, VideoReader.read(f).frames(), f.toString());
        }
        assertNoPartialFiles(out);
    }

    @Test
    void aRerunWritesNothingNew() throws Exception {
        Path out = temp.resolve("out");
        ReelSpark.generate(requests(EIGHT), out.toUri().toString(), options());
        Map<Path, FileTime> before = new HashMap<>();
        for (Path f : videos(out)) {
            before.put(f, Files.getLastModifiedTime(f));
        }
        Thread.sleep(20);
        List<Row> again = sorted(ReelSpark.generate(requests(EIGHT), out.toUri().toString(), options()));
        assertEquals(8, again.size());
        assertTrue(again.stream().allMatch(r -> r.getAs("status").equals("skipped")), again.toString());
        Map<Path, FileTime> after = new HashMap<>();
        for (Path f : videos(out)) {
            after.put(f, Files.getLastModifiedTime(f));
        }
        assertEquals(before, after, "a rerun wrote a file");
        assertNoPartialFiles(out);
    }

    @Test
    void jsonLinesAreReadAsReelBatchReadsThem() throws Exception {
        Path out = temp.resolve("out");
        List<String> lines = List.of("{\"prompt\": \"a red circle moving right\", \"steps\": 4}", "", "not json",
                "{\"prompt\": \"a red circle moving right\", \"colour\": \"red\"}");
        List<Row> rows = ReelSpark.generateJson(spark.createDataset(lines, Encoders.STRING()), out.toUri().toString(),
                options()).orderBy("line").collectAsList();
        assertEquals(List.of("ok", "failed", "failed"), rows.stream().map(r -> (String) r.getAs("status")).toList());
        assertTrue(((String) rows.get(1).getAs("error")).startsWith("not JSON"), rows.get(1).toString());
        assertEquals("not json", rows.get(1).getAs("request"));
        assertTrue(((String) rows.get(2).getAs("error")).contains("unknown field 'colour'"), rows.get(2).toString());
        assertEquals(1, videos(out).size());
    }

    @Test
    void aTaskRunsOnItsAssignedGpuOrWhereReelBatchWould() {
        assertEquals(dev.reel.Reel.defaultDevice(), ReelSpark.executorDevice(null));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ReelSpark.executorDevice("gpu-0"));
        assertTrue(bad.getMessage().contains("'gpu-0'"), bad.getMessage());
        if (dev.reel.Reel.cudaDevices().isEmpty()) {
            dev.reel.ReelException none = assertThrows(dev.reel.ReelException.class,
                    () -> ReelSpark.executorDevice("0"));
            assertTrue(none.getMessage().contains("cuda:0"), none.getMessage());
        } else {
            assertEquals(0, ReelSpark.executorDevice("0").ordinal());
        }
    }

    @Test
    void aColumnThatIsNotAFieldIsRefusedBeforeAnyWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReelSpark.generate(
                requests(List.of("{\"prompt\": \"a red circle moving right\", \"colour\": \"red\"}")),
                temp.resolve("out").toUri().toString(), options()));
        assertTrue(e.getMessage().contains("colour"), e.getMessage());
    }

    /** What the fault hook throws: an Error, so that it fails the task rather than one video. */
    static final class InjectedFailure extends Error {
        private static final long serialVersionUID = 1L;

        InjectedFailure(String message) {
            super(message);
        }
    }
}
