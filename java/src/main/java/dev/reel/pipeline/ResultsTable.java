package dev.reel.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch's results table as files: {@value #JSONL} (one JSON object per row) and
 * {@value #CSV} (RFC 4180 with a header), columns {@link BatchResult#COLUMNS}, an
 * empty CSV field or a JSON null where a value is absent.
 *
 * <p>While a batch runs, each row is appended to {@value #JSONL} as soon as it is
 * known, so that a run that dies keeps what it finished (a later row for the same
 * path replaces an earlier one when the table is read); at the end both files are
 * rewritten, atomically, with one row per video in input order.
 */
public final class ResultsTable {
    public static final String JSONL = "results.jsonl";
    public static final String CSV = "results.csv";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ResultsTable() {}

    /** The rows of a {@value #JSONL} file in file order; lines that cannot be read (a torn last line) are left out. */
    public static List<BatchResult> read(Path jsonl) {
        List<BatchResult> rows = new ArrayList<>();
        if (!Files.exists(jsonl)) {
            return rows;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jsonl + ": " + e.getMessage(), e);
        }
        for (String line : lines) {
            BatchResult r = parse(line);
            if (r != null) {
                rows.add(r);
            }
        }
        return rows;
    }

    /** The last row for each path of a {@value #JSONL} file. */
    static Map<String, BatchResult> latestByPath(Path jsonl) {
        Map<String, BatchResult> latest = new LinkedHashMap<>();
        for (BatchResult r : read(jsonl)) {
            if (r.path() != null) {
                latest.put(r.path(), r);
            }
        }
        return latest;
    }

    private static BatchResult parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode n = MAPPER.readTree(line);
            if (n == null || !n.isObject() || !n.hasNonNull("status")) {
                return null;
            }
            return new BatchResult(n.path("line").asLong(), text(n, "request"),
                    n.hasNonNull("seed") ? n.get("seed").asLong() : null, text(n, "path"),
                    n.hasNonNull("duration_s") ? n.get("duration_s").asDouble() : null,
                    n.hasNonNull("elapsed_s") ? n.get("elapsed_s").asDouble() : null, text(n, "watermark"),
                    BatchResult.Status.of(n.get("status").asText()), text(n, "error"));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return null;
        }
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    /** One row as a JSON object on one line. */
    public static String json(BatchResult r) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("line", r.line());
        n.put("request", r.request());
        n.put("seed", r.seed());
        n.put("path", r.path());
        n.put("duration_s", r.durationSeconds());
        n.put("elapsed_s", r.elapsedSeconds());
        n.put("watermark", r.watermark());
        n.put("status", r.status().label());
        n.put("error", r.error());
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a results row did not serialise", e);
        }
    }

    /** One row as a CSV record, without the line break. */
    public static String csv(BatchResult r) {
        return String.join(",", field(String.valueOf(r.line())), field(r.request()), field(r.seed()), field(r.path()),
                field(r.durationSeconds()), field(r.elapsedSeconds()), field(r.watermark()), field(r.status().label()),
                field(r.error()));
    }

    private static String field(Object v) {
        if (v == null) {
            return "";
        }
        String s = v.toString();
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                || !s.equals(s.strip());
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** Writes {@value #JSONL} and {@value #CSV} into {@code dir}, each to a temporary name renamed over the old one. */
    static void write(Path dir, List<BatchResult> rows) {
        StringBuilder json = new StringBuilder();
        StringBuilder csv = new StringBuilder(String.join(",", BatchResult.COLUMNS)).append("\r\n");
        for (BatchResult r : rows) {
            json.append(json(r)).append('\n');
            csv.append(csv(r)).append("\r\n");
        }
        replace(dir.resolve(JSONL), json.toString());
        replace(dir.resolve(CSV), csv.toString());
    }

    private static void replace(Path target, String content) {
        Path temp = target.resolveSibling("." + target.getFileName() + ".part");
        try {
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the write's own error is the one to report
            }
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Appends rows to a {@value #JSONL} file as they come, each flushed as one line. */
    static final class Journal implements AutoCloseable {
        private final Path file;
        private final Writer out;

        Journal(Path file) {
            this.file = file;
            try {
                boolean needsNewline = false;
                if (Files.exists(file) && Files.size(file) > 0) {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                        java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
                        ch.read(last, ch.size() - 1);
                        needsNewline = last.get(0) != '\n';
                    }
                }
                out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                if (needsNewline) {
                    out.write('\n'); // a torn last line must not swallow the next row
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
        }

        void append(BatchResult r) {
            try {
                out.write(json(r));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
