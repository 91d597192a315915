package dev.reel.pipeline;

import dev.reel.video.VideoFormat;

/**
 * One video of a batch: a request's variation, as a one-prompt, one-seed
 * {@link GenerationRequest}.
 *
 * @param source    the request it comes from
 * @param request   the prompt, settings and seed of this one video
 * @param variation which of the request's seeds (0-based)
 * @param line      the {@code reel generate} line that makes this video, with its
 *                  {@code --format}: the results table's {@code request} column
 * @param name      its file name: {@value #HASH_CHARS} hex digits of
 *                  SHA-256({@code line} + "\n" + the model's weights SHA-256), then
 *                  {@code -seed<N>} and the format's extension (none for PNG frames,
 *                  a folder); the same request on the same model always has the same
 *                  name, and a different model never does
 */
public record BatchItem(BatchRequest source, GenerationRequest request, int variation, String line, String name) {
    /** Hex digits of the hash in a file name (48 bits). */
    public static final int HASH_CHARS = 12;

    public long seed() {
        return request.seed();
    }

    public VideoFormat format() {
        return source.format();
    }
}
