package dev.reel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.pipeline.BatchResult;
import dev.reel.pipeline.ResultsTable;
import dev.reel.video.VideoReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code reel batch} end to end: files and table, a bad row, a rerun, a stop, and a signal to a real process. */
class BatchCommandTest {
    @TempDir
    Path temp;

    record Run(int code, String out, String err) {}

    /** Runs {@code reel batch} in this JVM; {@code stopFirst} sets the stop flag before it starts. */
    static Run run(boolean stopFirst, String... args) {
        CommandLine cl = Main.commandLine();
        if (stopFirst) {
            ((Batch) cl.getSubcommands().get("batch").getCommand()).stop.set(true);
        }
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** 8 videos over 6 CSV rows (one with 3 variations), all at 4 steps. */
    static final String CSV = "prompt,steps,seed,variations,format\n"
            + "a red circle moving right,4,,,\n"
            + "a blue square moving up,4,7,3,\n"
            + "a green diamond moving down,4,,,webm\n"
            + "a yellow triangle moving left,4,,,\n"
            + "a white circle static,4,1,,\n"
            + "\"a cyan square moving down, fast\",4,,,\n"
            + "a magenta diamond moving up,4,2,,\n";

    private Path input(String name, String text) throws Exception {
        Path f = temp.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static long videos(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{12}-seed\\d+\\.(mp4|webm)")).count();
        }
    }

    @Test
    void eightVideosATableAndABadRowThatFailsAlone() throws Exception {
        Path in = input("in.csv", CSV);
        Path out = temp.resolve("out");
        Run r = run(false, "batch", "--input", in.toString(), "--out", out.toString());
        assertEquals(ExitCodes.FAILED, r.code(), "a failed row makes the exit code 1; stderr: " + r.err());
        assertEquals(List.of(out.resolve("results.csv").toAbsolutePath().toString(),
                out.resolve("results.jsonl").toAbsolutePath().toString()), r.out().strip().lines().toList());
        assertTrue(r.err().contains("9/9 videos"), r.err());
        assertTrue(r.err().contains("done: 8 ok, 0 skipped, 1 failed"), r.err());
        assertEquals(8, videos(out));
        List<BatchResult> rows = ResultsTable.read(out.resolve(ResultsTable.JSONL));
        assertEquals(9, rows.size());
        List<BatchResult> failed = rows.stream().filter(row -> !row.done()).toList();
        assertEquals(1, failed.size(), rows.toString());
        assertEquals(7, failed.get(0).line(), "the table is in input order; the header is line 1");
        assertTrue(failed.get(0).error().contains("fast"), failed.get(0).error());
        for (BatchResult row : rows) {
            if (row.done()) {
                assertEquals(GenerateCommandTest.EMBEDDED_FRAMES, VideoReader.read(out.resolve(row.path())).frames(),
                        row.path());
            }
        }
    }

    @Test
    void aRerunSkipsEverythingDone() throws Exception {
        Path in = input("in.jsonl", "{\"prompt\": \"a red circle moving right\", \"steps\": 4, \"variations\": 8}\n");
        Path out = temp.resolve("out");
        assertEquals(ExitCodes.OK, run(false, "batch", "-q", "--input", in.toString(), "--out", out.toString()).code());
        Run again = run(false, "batch", "--input", in.toString(), "--out", out.toString());
        assertEquals(ExitCodes.OK, again.code(), again.err());
        assertTrue(again.err().contains("done: 0 ok, 8 skipped, 0 failed"), again.err());
        assertEquals(8, videos(out));
    }

    @Test
    void theStopFlagEndsTheRunWithExitCode130AndARerunFinishes() throws Exception {
        Path in = input("in.csv", CSV);
        Path out = temp.resolve("out");
        Run stopped = run(true, "batch", "--input", in.toString(), "--out", out.toString());
        assertEquals(ExitCodes.CANCELLED, stopped.code(), stopped.err());
        assertTrue(stopped.err().contains("stopped: 0 ok, 0 skipped, 1 failed, 8 not run"), stopped.err());
        assertEquals(0, videos(out));
        Run rest = run(false, "batch", "-q", "--input", in.toString(), "--out", out.toString());
        assertEquals(ExitCodes.FAILED, rest.code());
        assertEquals(8, videos(out));
    }

    @Test
    void mistakesBeforeAnyWorkAreOneLine() throws Exception {
        Path out = temp.resolve("out");
        assertOneLine(run(false, "batch", "--input", temp.resolve("missing.csv").toString(), "--out", out.toString()),
                ExitCodes.IO, "missing.csv");
        assertOneLine(run(false, "batch", "--input", input("h.csv", "prompt,colour\nx,red\n").toString(), "--out",
                out.toString()), ExitCodes.USAGE, "colour");
        assertOneLine(run(false, "batch", "--input", input("ok.csv", CSV).toString(), "--out", out.toString(),
                "--batch", "0"), ExitCodes.USAGE, "--batch");
        assertOneLine(run(false, "batch", "--input", input("ok2.csv", CSV).toString(), "--out",
                input("file", "").toString()), ExitCodes.IO, "not a folder");
        assertOneLine(run(false, "batch", "--out", out.toString()), ExitCodes.USAGE, "--input");
        assertOneLine(run(false, "batch", "--input", input("ok3.csv", CSV).toString(), "--out", out.toString(),
                "--device", "tpu"), ExitCodes.USAGE, "--device");
        assertFalse(Files.exists(out));
    }

    /**
     * A signal to a real {@code reel batch}: the videos in flight are written and the table saved. Ctrl-C's SIGINT
     * and SIGTERM take the same path (the JVM's shutdown hooks); the test sends SIGTERM because a JVM started from a
     * background job inherits SIGINT ignored and keeps it so, as a build in the background would.
     */
    @Test
    void aSignalStopsARealProcessAfterTheVideoInFlight() throws Exception {
        // 64 videos, one per forward (10 s or more): far more than can be made before the signal lands
        Path in = input("in.jsonl", "{\"prompt\": \"a red circle moving right\", \"steps\": 8, \"variations\": 64}\n");
        Path out = temp.resolve("out");
        Path log = temp.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.reel.cli.Main", "batch", "--batch", "1", "--input",
                in.toString(), "--out", out.toString()).redirectError(log.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.isDirectory(out) || videos(out) == 0) {
                assertTrue(p.isAlive(), "reel batch ended early: " + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "no video after 120 s");
                Thread.sleep(20);
            }
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "reel batch did not stop");
        } finally {
            p.destroyForcibly();
        }
        String err = Files.readString(log);
        assertEquals(128 + 15, p.exitValue(), err);
        assertTrue(err.contains("stopping after the videos in flight"), err);
        assertTrue(err.contains("stopped: "), err);
        long made = videos(out);
        assertTrue(made >= 1 && made < 64, made + " videos");
        List<BatchResult> rows = ResultsTable.read(out.resolve(ResultsTable.JSONL));
        assertEquals(made, rows.size(), "one row per video made");
        assertTrue(Files.exists(out.resolve(ResultsTable.CSV)));
        try (Stream<Path> s = Files.list(out)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".part")), "a temporary file is left");
        }
        assertTrue(rows.stream().allMatch(row -> row.status() == BatchResult.Status.OK
                && Files.exists(out.resolve(row.path()))), rows.toString());
    }

    private static void assertOneLine(Run r, int code, String mentions) {
        assertEquals(code, r.code(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line expected, got: " + r.err());
        assertTrue(lines[0].startsWith("reel: ") && lines[0].contains(mentions), lines[0]);
    }
}
