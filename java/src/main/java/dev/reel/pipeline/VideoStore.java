package dev.reel.pipeline;

import dev.reel.video.Video;
import dev.reel.video.VideoWriter;

/**
 * Where a batch puts its files: a local folder for {@code reel batch}, a Hadoop
 * file system on a cluster. A store writes each file whole or not at all (a
 * temporary name, renamed when complete), so that a rerun can trust what it finds.
 */
public interface VideoStore {
    /**
     * The results row for an item that is already stored — usually status
     * {@code skipped} — or null when it must be made.
     */
    BatchResult existing(BatchItem item);

    /** Writes the item's video with {@code writer}, atomically, and returns its path as the results table shows it. */
    String store(BatchItem item, Video video, VideoWriter writer);
}
