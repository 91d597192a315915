package dev.reel.cli;

import dev.reel.model.VideoModel;
import dev.reel.pipeline.BatchInput;
import dev.reel.pipeline.BatchRequest;
import dev.reel.pipeline.BatchRunner;
import dev.reel.pipeline.BatchSummary;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.pipeline.ResultsTable;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code reel batch}: a file of requests to a folder of videos and a results table; resumable. */
@Command(name = "batch", sortOptions = false,
        description = "Generate every request of a JSON Lines or CSV file into a folder, with a results table "
                + "(results.csv, results.jsonl). A rerun skips what is done; Ctrl-C stops after the videos in flight.")
final class Batch implements Callable<Integer> {
    /** How long Ctrl-C waits for the videos in flight to be written and the table to be saved. */
    static final long STOP_GRACE_SECONDS = 300;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "Requests: JSON Lines (.jsonl), one object per line, or CSV (.csv) with a header.")
    Path input;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR",
            description = "Output folder (created if missing): the videos and results.csv / results.jsonl.")
    Path out;

    @Option(names = "--batch", paramLabel = "N",
            description = "At most N videos per batched forward (default: ${DEFAULT-VALUE}).")
    int batch = GenerationRequest.DEFAULT_MAX_BATCH;

    @Option(names = "--model", paramLabel = "FOLDER", description = "A reel-dit model folder (default: the embedded model).")
    Path model;

    @Option(names = "--device", paramLabel = "cpu|cuda[:N]",
            description = "Where the model runs (default: CUDA if a device is found, else the CPU; REEL_BACKEND=cpu|cuda "
                    + "overrides the default).")
    String device;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    /** Set by Ctrl-C (or any orderly shutdown); tests set it directly. */
    final AtomicBoolean stop = new AtomicBoolean();

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        if (batch < 1 || batch > 256) {
            throw new Cli.UsageError("--batch must be in [1, 256], got " + batch);
        }
        if (!Files.isReadable(input) || Files.isDirectory(input)) {
            throw new Cli.IoError("--input " + input + ": no such readable file");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new Cli.IoError("--out " + out + ": it is a file, not a folder");
        }
        List<BatchRequest> requests = BatchInput.read(input);
        BatchBar bar = new BatchBar(err, quiet);
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            err.println();
            err.println("reel: stopping after the videos in flight; run the same command again to finish");
            err.flush();
            try {
                finished.await(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reel-batch-stop");
        // The hook holds the JVM's exit until the videos in flight are written and the summary is printed.
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run(requests, bar, err, stdout);
        } finally {
            finished.countDown();
            removeHook(hook);
        }
    }

    private int run(List<BatchRequest> requests, BatchBar bar, PrintWriter err, PrintWriter stdout) {
        BatchSummary s;
        dev.reel.Device where = Cli.device(device);
        try (VideoModel vm = model == null ? VideoModel.embedded(where) : VideoModel.load(model, where);
             Generator generator = Generator.of(vm)) {
            s = BatchRunner.builder(generator).maxBatch(batch).listener(bar).stopWhen(stop::get).build()
                    .run(requests, out);
        }
        bar.done();
        stdout.println(out.resolve(ResultsTable.CSV).toAbsolutePath());
        stdout.println(out.resolve(ResultsTable.JSONL).toAbsolutePath());
        stdout.flush();
        if (!quiet || s.stopped()) {
            err.printf(Locale.ROOT, "%s: %d ok, %d skipped, %d failed%s in %s; results in %s%n",
                    s.stopped() ? "stopped" : "done", s.ok(), s.skipped(), s.failed(),
                    s.notRun() > 0 ? ", " + s.notRun() + " not run" : "", BatchBar.clock(s.elapsed()),
                    out.resolve(ResultsTable.CSV));
            err.flush();
        }
        if (s.stopped()) {
            return ExitCodes.CANCELLED;
        }
        return s.failed() > 0 ? ExitCodes.FAILED : ExitCodes.OK;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it returns once the latch is released
        }
    }
}
