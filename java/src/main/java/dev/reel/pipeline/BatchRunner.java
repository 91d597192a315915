package dev.reel.pipeline;

import dev.reel.model.PromptException;
import dev.reel.model.Vocabulary;
import dev.reel.sampling.SamplerKind;
import dev.reel.video.FrameRate;
import dev.reel.video.VideoWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs a batch of requests on one {@link Generator} (the model is loaded once, by
 * its caller) and reports one results row per video.
 *
 * <pre>{@code
 * try (Generator generator = Generator.embedded()) {
 *     BatchSummary s = BatchRunner.builder(generator).build()
 *             .run(BatchInput.read(Path.of("requests.jsonl")), Path.of("out"));
 * }
 * }</pre>
 *
 * <ul>
 * <li>Every request is expanded into its videos (one per seed), each with a file
 *     name fixed by the request and the model ({@link BatchItem#name}).</li>
 * <li>A video whose file the store already holds is skipped, so that a rerun
 *     finishes what an earlier run left; the same video asked for twice is made
 *     once.</li>
 * <li>A request that cannot be read, or names a word the model does not know,
 *     fails alone: its rows say why and the batch goes on. So does a video whose
 *     generation or file fails.</li>
 * <li>Videos that share their sampling settings ({@link
 *     GenerationRequest#sharesSamplingWith}) and batch size are packed into the same
 *     batched forwards, at most {@code maxBatch} per forward (and at most each
 *     request's own {@code batch}).</li>
 * <li>The stop condition is checked before each batched forward: a stop lets the
 *     videos in flight be written, then returns with {@link BatchSummary#stopped}.</li>
 * </ul>
 */
public final class BatchRunner {
    private final Generator generator;
    private final int maxBatch;
    private final BatchListener listener;
    private final BooleanSupplier stop;

    private BatchRunner(Builder b) {
        generator = b.generator;
        maxBatch = b.maxBatch;
        listener = b.listener;
        stop = b.stop;
    }

    public static Builder builder(Generator generator) {
        if (generator == null) {
            throw new IllegalArgumentException("generator is null");
        }
        return new Builder(generator);
    }

    /** {@link #run(List, Path)} on the requests of an input file ({@link BatchInput#read}). */
    public BatchSummary run(Path input, Path outDir) {
        return run(BatchInput.read(input), outDir);
    }

    /**
     * Runs the requests into a folder: a file per video and the results table
     * ({@link ResultsTable}). A video is skipped when its file exists and the
     * folder's last results table says ok or skipped for it.
     */
    public BatchSummary run(List<BatchRequest> requests, Path outDir) {
        if (outDir == null) {
            throw new IllegalArgumentException("output folder is null");
        }
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output folder " + outDir + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(outDir)) {
            throw new UncheckedIOException(new IOException("the output folder " + outDir + " is not writable"));
        }
        Path table = outDir.resolve(ResultsTable.JSONL);
        FolderStore store = new FolderStore(outDir, ResultsTable.latestByPath(table));
        BatchSummary summary;
        try (ResultsTable.Journal journal = new ResultsTable.Journal(table)) {
            summary = run(requests, store, journal::append);
        }
        ResultsTable.write(outDir, summary.results());
        return summary;
    }

    /**
     * Runs the requests into any store; {@code onResult} sees each row as soon as
     * it is known (in the order they become known), the summary has them in input
     * order.
     */
    public BatchSummary run(List<BatchRequest> requests, VideoStore store, Consumer<BatchResult> onResult) {
        if (requests == null || store == null || onResult == null) {
            throw new IllegalArgumentException((requests == null ? "requests" : store == null ? "store" : "onResult")
                    + " is null");
        }
        return new Run(store, onResult).run(requests);
    }

    /** The settings that let videos share a batched forward. */
    private record Key(String negative, Integer steps, SamplerKind sampler, Double guidance, Path init, double strength,
                       int batch) {
        static Key of(GenerationRequest r) {
            return new Key(r.negativePrompt(), r.steps(), r.sampler(), r.guidance(), r.init(), r.strength(),
                    r.maxBatch());
        }
    }

    private record Pending(int index, BatchItem item) {}

    /** The state of one run. */
    private final class Run {
        private final VideoStore store;
        private final Consumer<BatchResult> onResult;
        private final List<BatchResult> rows = new ArrayList<>();
        private final Map<Integer, List<Integer>> followers = new HashMap<>();
        private final List<BatchItem> items = new ArrayList<>();
        private final long start = System.nanoTime();
        private int ok, skipped, failed, known;
        private int toMake, made, forwards;
        private long makingSince;

        Run(VideoStore store, Consumer<BatchResult> onResult) {
            this.store = store;
            this.onResult = onResult;
        }

        BatchSummary run(List<BatchRequest> requests) {
            String model = generator.model().folder().weightsSha256();
            Vocabulary vocabulary = generator.model().vocabulary();
            Map<String, Integer> firstOfName = new HashMap<>();
            List<Pending> pending = new ArrayList<>();
            List<Runnable> immediate = new ArrayList<>();
            for (BatchRequest r : requests) {
                if (!r.ok()) {
                    int index = slot(null);
                    immediate.add(() -> set(index, new BatchResult(r.line(), r.source(), null, null, null, null, null,
                            BatchResult.Status.FAILED, r.error())));
                    continue;
                }
                String wordError = wordError(vocabulary, r.request());
                for (BatchItem item : r.items(model)) {
                    int index = slot(item);
                    if (wordError != null) {
                        immediate.add(() -> set(index, BatchResult.failed(item, wordError)));
                        continue;
                    }
                    Integer leader = firstOfName.putIfAbsent(item.name(), index);
                    if (leader != null) {
                        followers.computeIfAbsent(leader, k -> new ArrayList<>()).add(index);
                        continue;
                    }
                    BatchResult existing = store.existing(item);
                    if (existing != null) {
                        immediate.add(() -> set(index, existing));
                    } else {
                        pending.add(new Pending(index, item));
                    }
                }
            }
            toMake = pending.size();
            immediate.forEach(Runnable::run);

            Map<Key, List<Pending>> groups = new LinkedHashMap<>();
            for (Pending p : pending) {
                groups.computeIfAbsent(Key.of(p.item().request()), k -> new ArrayList<>()).add(p);
            }
            boolean stopped = false;
            makingSince = System.nanoTime();
            outer:
            for (Map.Entry<Key, List<Pending>> g : groups.entrySet()) {
                int cap = Math.min(maxBatch, g.getKey().batch());
                List<Pending> group = g.getValue();
                for (int from = 0; from < group.size(); from += cap) {
                    if (stop.getAsBoolean()) {
                        stopped = true;
                        break outer;
                    }
                    make(group.subList(from, Math.min(group.size(), from + cap)));
                }
            }
            List<BatchResult> table = new ArrayList<>(known);
            for (BatchResult r : rows) {
                if (r != null) {
                    table.add(r);
                }
            }
            report(0, 0, stopped ? "stopped" : "done");
            return new BatchSummary(table, ok, skipped, failed, rows.size() - known, stopped, elapsed());
        }

        private int slot(BatchItem item) {
            rows.add(null);
            items.add(item);
            return rows.size() - 1;
        }

        /** One batched forward of the videos of {@code chunk}, then their files. */
        private void make(List<Pending> chunk) {
            long t0 = System.nanoTime();
            List<GenerationRequest> requests = new ArrayList<>(chunk.size());
            for (Pending p : chunk) {
                requests.add(p.item().request());
            }
            forwards++;
            String detail = "forward " + forwards + ": " + chunk.size() + " video(s), '"
                    + chunk.get(0).item().request().prompts().get(0) + "'" + (chunk.size() > 1 ? ", ..." : "");
            List<GeneratedVideo> videos;
            try {
                videos = generator.generate(requests, p -> {
                    if (p.phase() == Phase.STEP) {
                        report(p.fraction(), chunk.size(), detail);
                    }
                });
            } catch (CancellationException e) {
                throw e;
            } catch (RuntimeException e) {
                for (Pending p : chunk) {
                    made++;
                    set(p.index(), BatchResult.failed(p.item(), oneLine(e)));
                }
                return;
            }
            double perVideo = seconds(System.nanoTime() - t0) / chunk.size();
            for (int i = 0; i < chunk.size(); i++) {
                Pending p = chunk.get(i);
                BatchItem item = p.item();
                long tw = System.nanoTime();
                BatchResult row;
                try {
                    String path = store.store(item, videos.get(i).video(), writer(item));
                    row = new BatchResult(item.source().line(), item.line(), item.seed(), path,
                            videos.get(i).video().seconds(), round(perVideo + seconds(System.nanoTime() - tw)), null,
                            BatchResult.Status.OK, null);
                } catch (RuntimeException e) {
                    row = BatchResult.failed(item, oneLine(e));
                }
                made++;
                set(p.index(), row);
            }
        }

        private void set(int index, BatchResult row) {
            rows.set(index, row);
            known++;
            switch (row.status()) {
                case OK -> ok++;
                case SKIPPED -> skipped++;
                case FAILED -> failed++;
            }
            onResult.accept(row);
            report(0, 0, row.status().label() + ": " + (row.path() != null ? row.path() : "line " + row.line()));
            for (int f : followers.getOrDefault(index, List.of())) {
                BatchItem item = items.get(f);
                set(f, new BatchResult(item.source().line(), item.line(), item.seed(), row.path(), row.durationSeconds(),
                        null, row.watermark(), row.done() ? BatchResult.Status.SKIPPED : BatchResult.Status.FAILED,
                        row.error()));
            }
        }

        private void report(double inFlight, int inFlightVideos, String detail) {
            double work = made + inFlight * inFlightVideos;
            Duration eta = null;
            if (work > 0) {
                double pace = (System.nanoTime() - makingSince) / work;
                eta = Duration.ofNanos((long) (pace * Math.max(0, toMake - work)));
            } else if (toMake == 0) {
                eta = Duration.ZERO;
            }
            double fraction = rows.isEmpty() ? 1 : Math.min(1, (known + inFlight * inFlightVideos) / rows.size());
            listener.onProgress(new BatchProgress(known, rows.size(), ok, skipped, failed, fraction, elapsed(), eta,
                    detail));
        }

        private Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    private static String wordError(Vocabulary vocabulary, GenerationRequest r) {
        try {
            vocabulary.encode(r.prompts().get(0));
            vocabulary.encode(r.negativePrompt());
            return null;
        } catch (PromptException e) {
            return oneLine(e);
        }
    }

    /** The writer for an item: its format, and its size and frame rate when the request sets them. */
    public static VideoWriter writer(BatchItem item) {
        GenerationRequest r = item.request();
        VideoWriter.Builder w = VideoWriter.builder().format(item.format());
        if (r.width() != null) {
            w.size(r.width(), r.height());
        }
        if (r.fps() != null) {
            w.frameRate(FrameRate.of(r.fps()));
        }
        return w.build();
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }

    /** Options of a {@link BatchRunner}. */
    public static final class Builder {
        private final Generator generator;
        private int maxBatch = GenerationRequest.DEFAULT_MAX_BATCH;
        private BatchListener listener = BatchListener.NONE;
        private BooleanSupplier stop = () -> false;

        private Builder(Generator generator) {
            this.generator = generator;
        }

        /** At most this many videos per batched forward (default {@value GenerationRequest#DEFAULT_MAX_BATCH}). */
        public Builder maxBatch(int value) {
            if (value < 1 || value > 256) {
                throw new IllegalArgumentException("batch must be in [1, 256], got " + value);
            }
            maxBatch = value;
            return this;
        }

        public Builder listener(BatchListener value) {
            listener = value == null ? BatchListener.NONE : value;
            return this;
        }

        /** Checked before each batched forward; once true, the run returns after the videos in flight. */
        public Builder stopWhen(BooleanSupplier value) {
            stop = value == null ? () -> false : value;
            return this;
        }

        public BatchRunner build() {
            return new BatchRunner(this);
        }
    }
}
