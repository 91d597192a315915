package dev.reel.pipeline;

import dev.reel.video.Video;
import dev.reel.video.VideoFormat;
import dev.reel.video.VideoWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of {@code reel batch}: {@code dir/<name>}, written by {@link VideoWriter}
 * (temporary name, then rename). An item is done when its file exists and the last
 * results table said ok or skipped for it.
 */
final class FolderStore implements VideoStore {
    private final Path dir;
    private final Map<String, BatchResult> previous;

    FolderStore(Path dir, Map<String, BatchResult> previous) {
        this.dir = dir;
        this.previous = previous;
    }

    @Override
    public BatchResult existing(BatchItem item) {
        BatchResult before = previous.get(item.name());
        if (before == null || !before.done() || !Files.exists(dir.resolve(item.name()))) {
            return null;
        }
        return new BatchResult(item.source().line(), item.line(), item.seed(), item.name(), before.durationSeconds(),
                before.elapsedSeconds(), before.watermark(), BatchResult.Status.SKIPPED, null);
    }

    @Override
    public String store(BatchItem item, Video video, VideoWriter writer) {
        Path target = dir.resolve(item.name());
        if (item.format() == VideoFormat.PNG && Files.isDirectory(target)) {
            deleteTree(target); // frames the table does not vouch for; VideoWriter replaces only an empty folder
        }
        writer.write(video, target);
        return item.name();
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace " + root + ": " + e.getMessage(), e);
        }
    }
}
