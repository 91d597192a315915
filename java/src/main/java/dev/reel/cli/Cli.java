package dev.reel.cli;

import dev.reel.pipeline.GeneratedVideo;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.video.VideoFormat;
import java.nio.file.Files;
import java.nio.file.Path;

/** Shared pieces of the commands: the errors that map to exit codes, output naming. */
final class Cli {
    private Cli() {}

    /** A user's mistake: one line on stderr, exit {@link ExitCodes#USAGE}. */
    /**
     * The device of a {@code --device} value, else the default ({@link dev.reel.Reel#defaultDevice()});
     * a bad spelling or an absent device is a usage error.
     */
    static dev.reel.Device device(String spec) {
        try {
            return spec == null ? dev.reel.Reel.defaultDevice() : dev.reel.Reel.device(spec);
        } catch (IllegalArgumentException | dev.reel.ReelException e) {
            throw new UsageError((spec == null ? "the default device: " : "--device: ") + e.getMessage());
        }
    }

    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** A path that cannot be read or written: one line on stderr, exit {@link ExitCodes#IO}. */
    static final class IoError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IoError(String message) {
            super(message);
        }
    }

    /** Fails before any work when the output's directory is missing or not writable. */
    static void requireWritableParent(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IoError("cannot write " + target + ": directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new IoError("cannot write " + target + ": directory " + dir + " is not writable");
        }
        if (Files.isDirectory(target) && !target.toString().endsWith("frames")) {
            try (var entries = Files.list(target)) {
                if (entries.findAny().isPresent()) {
                    throw new IoError("cannot write " + target + ": it is a directory that is not empty");
                }
            } catch (java.io.IOException e) {
                throw new IoError("cannot write " + target + ": " + e.getMessage());
            }
        }
    }

    /** {@code name-seed42.mp4}, or {@code name-p2-seed42.mp4} when the request has several prompts. */
    static Path numbered(Path target, VideoFormat fmt, GeneratedVideo v, GenerationRequest request) {
        String prompt = request.prompts().size() > 1 ? "-p" + (request.prompts().indexOf(v.prompt()) + 1) : "";
        return sibling(target, prompt.substring(prompt.isEmpty() ? 0 : 1) + (prompt.isEmpty() ? "" : "-") + "seed"
                + v.seed() + (fmt.extension().isEmpty() ? "" : "." + fmt.extension()));
    }

    /** {@code dir/base-suffix} for the target {@code dir/base.ext}. */
    static Path sibling(Path target, String suffix) {
        String name = target.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        return target.resolveSibling(base + "-" + suffix);
    }
}
