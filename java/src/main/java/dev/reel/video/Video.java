package dev.reel.video;

import java.util.Arrays;

/**
 * An immutable clip: {@code frames} pictures of {@code height × width} RGB pixels,
 * 8 bits per channel, shown at a {@link FrameRate}.
 *
 * <p>Pixels are stored frame-major, then row, then column, then channel
 * ({@code R, G, B}): the byte of channel {@code c} of pixel {@code (x, y)} in frame
 * {@code t} is at {@code ((t·height + y)·width + x)·3 + c}. Every accessor that
 * returns an array returns a copy.
 *
 * <p>A model's output becomes a video through {@link #fromLatent}, which maps
 * values in [−1, 1] to pixels; {@link #toLatent()} is its inverse up to rounding.
 * Files are written by {@link VideoWriter} and read by {@link VideoReader}.
 */
public final class Video {
    /** Upper bound on frames·height·width·3, the size of one Java array. */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final byte[] rgb;
    private final int frames;
    private final int height;
    private final int width;
    private final FrameRate frameRate;

    private Video(byte[] rgb, int frames, int height, int width, FrameRate frameRate) {
        this.rgb = rgb;
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.frameRate = frameRate;
    }

    /**
     * A video from packed RGB bytes laid out as the class comment says; the array is
     * copied.
     *
     * @throws IllegalArgumentException naming the argument when a size is not
     *     positive, the array's length is not {@code frames·height·width·3}, or the
     *     frame rate is null
     */
    public static Video ofRgb(byte[] rgb, int frames, int height, int width, FrameRate frameRate) {
        checkSize(frames, height, width);
        if (rgb == null) {
            throw new IllegalArgumentException("rgb is null");
        }
        long want = (long) frames * height * width * 3;
        if (rgb.length != want) {
            throw new IllegalArgumentException("rgb has " + rgb.length + " bytes: expected frames·height·width·3 = "
                    + frames + "·" + height + "·" + width + "·3 = " + want);
        }
        return new Video(rgb.clone(), frames, height, width, checkRate(frameRate));
    }

    /** {@link #ofRgb(byte[], int, int, int, FrameRate)} at {@code fps} frames per second. */
    public static Video ofRgb(byte[] rgb, int frames, int height, int width, double fps) {
        return ofRgb(rgb, frames, height, width, FrameRate.of(fps));
    }

    /**
     * A video from a model's output: {@code x} is {@code [channels, frames, height,
     * width]} (channel-major, as a diffusion model produces it) with values nominally
     * in [−1, 1]. Each value becomes the byte {@code round(clamp((x + 1) / 2, 0, 1) · 255)},
     * computed in double precision, where it is exact for every float (so the rounding
     * is of the true value), with {@code round} = {@link Math#round(double)} (halves
     * round up). So −1 is 0, +1 is 255, 0 is 128 (127.5 rounds up), and values
     * outside [−1, 1] clamp to the ends. One channel is grey (copied to R, G and B).
     *
     * @throws IllegalArgumentException when a size is not positive, {@code channels}
     *     is not 1 or 3, {@code x.length} is not the product of the sizes, or a value
     *     is NaN or infinite (the message names its index {@code [c, t, y, x]})
     */
    public static Video fromLatent(float[] x, int channels, int frames, int height, int width, FrameRate frameRate) {
        checkSize(frames, height, width);
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels is " + channels + ": expected 1 (grey) or 3 (RGB)");
        }
        if (x == null) {
            throw new IllegalArgumentException("x is null");
        }
        long plane = (long) frames * height * width;
        if (x.length != plane * channels) {
            throw new IllegalArgumentException("x has " + x.length
                    + " values: expected channels·frames·height·width = " + channels + "·" + frames + "·"
                    + height + "·" + width + " = " + plane * channels);
        }
        FrameRate rate = checkRate(frameRate);
        byte[] rgb = new byte[(int) (plane * 3)];
        for (int c = 0; c < 3; c++) {
            int src = channels == 1 ? 0 : c;
            for (int p = 0; p < plane; p++) {
                float v = x[(int) (src * plane + p)];
                if (!Float.isFinite(v)) {
                    int t = (int) (p / ((long) height * width));
                    int yy = (int) (p / width % height);
                    int xx = (int) (p % width);
                    throw new IllegalArgumentException("x[" + (src * plane + p) + "] = [" + src + ", " + t + ", "
                            + yy + ", " + xx + "] is " + v + ": expected finite values");
                }
                rgb[p * 3 + c] = (byte) toByte(v);
            }
        }
        return new Video(rgb, frames, height, width, rate);
    }

    /** {@link #fromLatent(float[], int, int, int, int, FrameRate)} with three channels. */
    public static Video fromLatent(float[] x, int frames, int height, int width, double fps) {
        return fromLatent(x, 3, frames, height, width, FrameRate.of(fps));
    }

    /** The pixel value of one model value, as {@link #fromLatent} documents. */
    static int toByte(float v) {
        double u = (v + 1.0) / 2.0;
        u = u < 0 ? 0 : u > 1 ? 1 : u;
        return (int) Math.round(u * 255.0);
    }

    /**
     * The inverse of {@link #fromLatent}: {@code [3, frames, height, width]} floats,
     * each {@code byte / 255 · 2 − 1}, so 0 is −1 and 255 is +1. For values that
     * {@code fromLatent} did not clamp, a round trip changes each value by at most
     * 1/255.
     */
    public float[] toLatent() {
        int plane = frames * height * width;
        float[] x = new float[plane * 3];
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                x[c * plane + p] = (float) ((rgb[p * 3 + c] & 0xff) / 255.0 * 2.0 - 1.0);
            }
        }
        return x;
    }

    public int frames() {
        return frames;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public FrameRate frameRate() {
        return frameRate;
    }

    /** Frames per second as a double; {@link #frameRate()} is the exact fraction. */
    public double fps() {
        return frameRate.fps();
    }

    /** The clip's length in seconds: frames / fps. */
    public double seconds() {
        return frames * (double) frameRate.denominator() / frameRate.numerator();
    }

    /** A copy of every pixel, laid out as the class comment says. */
    public byte[] rgb() {
        return rgb.clone();
    }

    /** A copy of frame {@code t}: {@code height·width·3} bytes, row-major RGB. */
    public byte[] rgb(int t) {
        checkFrame(t);
        int n = height * width * 3;
        return Arrays.copyOfRange(rgb, t * n, (t + 1) * n);
    }

    /** The pixel at {@code (x, y)} of frame {@code t} as {@code 0xRRGGBB}. */
    public int pixel(int t, int x, int y) {
        checkFrame(t);
        if (x < 0 || x >= width) {
            throw new IllegalArgumentException("x is " + x + ": expected 0 ≤ x < width = " + width);
        }
        if (y < 0 || y >= height) {
            throw new IllegalArgumentException("y is " + y + ": expected 0 ≤ y < height = " + height);
        }
        int i = ((t * height + y) * width + x) * 3;
        return (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | rgb[i + 2] & 0xff;
    }

    /** The same pixels shown at another rate (the frames are not resampled). */
    public Video withFrameRate(FrameRate frameRate) {
        return new Video(rgb, frames, height, width, checkRate(frameRate));
    }

    /**
     * Every frame resized to {@code width × height} with the given filter. The same
     * size returns this video.
     */
    public Video resize(int width, int height, Scaling scaling) {
        checkSize(frames, height, width);
        if (scaling == null) {
            throw new IllegalArgumentException("scaling is null");
        }
        if (width == this.width && height == this.height) {
            return this;
        }
        byte[] out = new byte[Math.toIntExact((long) frames * height * width * 3)];
        try (Resizer resizer = new Resizer(this.width, this.height, width, height, scaling)) {
            int n = height * width * 3;
            for (int t = 0; t < frames; t++) {
                byte[] frame = resizer.resize(rgb, t * this.height * this.width * 3);
                System.arraycopy(frame, 0, out, t * n, n);
            }
        }
        return new Video(out, frames, height, width, frameRate);
    }

    /**
     * This clip fitted to {@code frames} frames of {@code width × height}, the shape a
     * model takes as video-to-video input: frames resized (area-averaging bilinear),
     * the first {@code frames} kept, and the last one repeated when the clip is
     * shorter (a still image becomes a still video).
     */
    public Video fit(int frames, int width, int height) {
        checkSize(frames, height, width);
        Video sized = resize(width, height, Scaling.BILINEAR);
        if (frames == this.frames) {
            return sized;
        }
        int n = height * width * 3;
        byte[] out = new byte[Math.toIntExact((long) frames * n)];
        for (int t = 0; t < frames; t++) {
            System.arraycopy(sized.rgb, Math.min(t, this.frames - 1) * n, out, t * n, n);
        }
        return new Video(out, frames, height, width, frameRate);
    }

    /** The internal array, not copied: for this package's encoders, which only read it. */
    byte[] rgbArray() {
        return rgb;
    }

    /** Wraps an array this package filled and will not touch again. */
    static Video wrap(byte[] rgb, int frames, int height, int width, FrameRate frameRate) {
        return new Video(rgb, frames, height, width, frameRate);
    }

    @Override
    public String toString() {
        return "Video[" + frames + " frames, " + width + "×" + height + ", " + frameRate + " fps]";
    }

    static void checkSize(int frames, int height, int width) {
        if (frames <= 0) {
            throw new IllegalArgumentException("frames is " + frames + ": expected a positive count");
        }
        if (height <= 0) {
            throw new IllegalArgumentException("height is " + height + ": expected a positive size");
        }
        if (width <= 0) {
            throw new IllegalArgumentException("width is " + width + ": expected a positive size");
        }
        if ((long) frames * height * width * 3 > MAX_BYTES) {
            throw new IllegalArgumentException("frames·height·width·3 = " + (long) frames * height * width * 3
                    + " bytes: more than one Java array holds");
        }
    }

    private static FrameRate checkRate(FrameRate frameRate) {
        if (frameRate == null) {
            throw new IllegalArgumentException("frameRate is null");
        }
        return frameRate;
    }

    private void checkFrame(int t) {
        if (t < 0 || t >= frames) {
            throw new IllegalArgumentException("frame is " + t + ": expected 0 ≤ frame < frames = " + frames);
        }
    }
}
