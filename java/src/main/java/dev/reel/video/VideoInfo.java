package dev.reel.video;

/**
 * What {@link VideoReader#probe} finds in a file, without decoding it.
 *
 * @param container FFmpeg's name for the demuxer, e.g. {@code "mov,mp4,m4a,3gp,3g2,mj2"},
 *     {@code "matroska,webm"}, {@code "gif"}; {@code "png folder"} for a folder of frames
 * @param codec the video codec, e.g. {@code "h264"}, {@code "vp9"}, {@code "gif"}, {@code "png"}
 * @param pixelFormat the coded pixel format, e.g. {@code "yuv420p"}, {@code "rgb24"}
 * @param width coded width in pixels
 * @param height coded height in pixels
 * @param frames the number of frames (video packets; one per frame in the formats Reel writes)
 * @param frameRate the average frame rate
 * @param indexAtFront for MP4: whether the {@code moov} box (the index) precedes the
 *     {@code mdat} box (the media), so a player can start before the whole file has
 *     arrived ({@code +faststart}); false for other formats
 */
public record VideoInfo(String container, String codec, String pixelFormat, int width, int height, long frames,
        FrameRate frameRate, boolean indexAtFront) {}
