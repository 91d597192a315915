package dev.reel.spark;

import dev.reel.pipeline.BatchItem;
import dev.reel.pipeline.BatchResult;
import dev.reel.pipeline.VideoStore;
import dev.reel.video.Video;
import dev.reel.video.VideoWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A task's files under the output URI, through Hadoop's FileSystem API. Each
 * video is encoded into a local temporary folder, copied to
 * {@code <out>/_reel_temporary/<name>.<attempt>.part} — a name no other task
 * attempt uses — and renamed to {@code <out>/<name>}. A rename is atomic, so a
 * reader, a rerun or a duplicate attempt only ever sees complete files; an attempt
 * that dies leaves at most a part file, which the driver deletes after the job.
 *
 * <p>An item whose file exists is not made again: skipped when the file was
 * there before the job began, ok when an earlier attempt of this job wrote it.
 */
final class HadoopStore implements VideoStore, AutoCloseable {
    static final String TEMPORARY = "_reel_temporary";

    private final FileSystem fs;
    private final Path out;
    private final Set<String> before;
    private final String attempt;
    private final double videoSeconds;
    private final Options.FaultHook hook;
    private final int attemptNumber;
    private final java.nio.file.Path local;

    HadoopStore(FileSystem fs, Path out, Set<String> before, String attempt, int attemptNumber, double videoSeconds,
                Options.FaultHook hook) {
        this.fs = fs;
        this.out = out;
        this.before = before;
        this.attempt = attempt;
        this.attemptNumber = attemptNumber;
        this.videoSeconds = videoSeconds;
        this.hook = hook;
        try {
            this.local = Files.createTempDirectory("reel-spark-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a local temporary folder: " + e.getMessage(), e);
        }
    }

    @Override
    public BatchResult existing(BatchItem item) {
        Path target = new Path(out, item.name());
        try {
            if (!fs.exists(target)) {
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look for " + target + ": " + e.getMessage(), e);
        }
        BatchResult.Status status = before.contains(item.name()) ? BatchResult.Status.SKIPPED : BatchResult.Status.OK;
        return new BatchResult(item.source().line(), item.line(), item.seed(), target.toString(), videoSeconds, null,
                null, status, null);
    }

    @Override
    public String store(BatchItem item, Video video, VideoWriter writer) {
        java.nio.file.Path file = local.resolve(item.name());
        Path target = new Path(out, item.name());
        Path part = new Path(new Path(out, TEMPORARY), item.name() + "." + attempt + ".part");
        try {
            writer.write(video, file);
            fs.copyFromLocalFile(true, true, new Path(file.toUri()), part);
            if (hook != null) {
                hook.at(Options.FaultHook.COPIED, item.line(), attemptNumber);
            }
            // Another attempt of the same item (speculation, a zombie task) may have finished first; its file is
            // complete, and a rename onto a folder would move the part inside it.
            if (fs.exists(target) || !fs.rename(part, target)) {
                if (!fs.exists(target)) {
                    throw new IOException("rename of " + part + " to " + target + " failed");
                }
                fs.delete(part, true);
            }
            return target.toString();
        } catch (IOException e) {
            deleteQuietly(part);
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(part);
            throw e;
        } finally {
            deleteLocal(file);
        }
    }

    private void deleteQuietly(Path p) {
        try {
            fs.delete(p, true);
        } catch (IOException ignored) {
            // the driver deletes what is left in _reel_temporary after the job
        }
    }

    private static void deleteLocal(java.nio.file.Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<java.nio.file.Path> s = Files.walk(p)) {
            for (java.nio.file.Path q : (Iterable<java.nio.file.Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        } catch (IOException | UncheckedIOException ignored) {
            // a temporary file of this task; the folder goes in close()
        }
    }

    @Override
    public void close() throws IOException {
        deleteLocal(local);
        fs.close();
    }
}
