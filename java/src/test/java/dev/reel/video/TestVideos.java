package dev.reel.video;

/** Synthetic clips for the video tests, and the measures they are checked with. */
final class TestVideos {
    static final int BACKGROUND = 0x1E3A66;
    static final int SQUARE = 0xE6503C;

    private TestVideos() {}

    /** A {@code side}-pixel square of {@link #SQUARE} moving right and down over {@link #BACKGROUND}. */
    static Video movingSquare(int frames, int width, int height, int side, double fps) {
        byte[] rgb = new byte[frames * height * width * 3];
        for (int t = 0; t < frames; t++) {
            int x0 = 2 + 3 * t, y0 = 3 + t;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    boolean in = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                    int c = in ? SQUARE : BACKGROUND;
                    int i = ((t * height + y) * width + x) * 3;
                    rgb[i] = (byte) (c >> 16);
                    rgb[i + 1] = (byte) (c >> 8);
                    rgb[i + 2] = (byte) c;
                }
            }
        }
        return Video.ofRgb(rgb, frames, height, width, fps);
    }

    /** Peak signal-to-noise ratio in dB over all pixels of two same-sized videos (infinite when equal). */
    static double psnr(Video a, Video b) {
        byte[] x = a.rgb(), y = b.rgb();
        if (x.length != y.length) {
            throw new IllegalArgumentException(a + " vs " + b);
        }
        double se = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (x[i] & 0xff) - (y[i] & 0xff);
            se += d * d;
        }
        double mse = se / x.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
    }
}
