package dev.reel.video;

/**
 * A frame rate as an exact fraction of frames per second, such as 24/1 or the NTSC
 * rate 30000/1001. Containers store rates and time bases as fractions; keeping the
 * fraction avoids drift over long clips.
 *
 * @param numerator frames, positive
 * @param denominator seconds, positive
 */
public record FrameRate(int numerator, int denominator) {
    /** The largest denominator {@link #of(double)} chooses (NTSC rates need 1001). */
    private static final int MAX_DENOMINATOR = 1001;

    public FrameRate {
        if (numerator <= 0 || denominator <= 0) {
            throw new IllegalArgumentException("frame rate " + numerator + "/" + denominator
                    + ": numerator and denominator must be positive");
        }
        int g = gcd(numerator, denominator);
        numerator /= g;
        denominator /= g;
    }

    /** {@code fps} frames per second. */
    public static FrameRate of(int fps) {
        return new FrameRate(fps, 1);
    }

    /**
     * The fraction with denominator at most 1001 nearest to {@code fps}: 24.0 is 24/1,
     * 29.97 is 2997/100, 30000/1001.0 is 30000/1001.
     */
    public static FrameRate of(double fps) {
        if (!(fps > 0) || fps > 1000) {
            throw new IllegalArgumentException("fps is " + fps + ": expected a number in (0, 1000]");
        }
        int bestNum = Math.max(1, (int) Math.round(fps));
        int bestDen = 1;
        double bestErr = Math.abs(fps - bestNum);
        for (int den = 2; den <= MAX_DENOMINATOR && bestErr > 0; den++) {
            long num = Math.round(fps * den);
            double err = Math.abs(fps - (double) num / den);
            if (num > 0 && err < bestErr - 1e-12) {
                bestNum = (int) num;
                bestDen = den;
                bestErr = err;
            }
        }
        return new FrameRate(bestNum, bestDen);
    }

    /** Frames per second as a double. */
    public double fps() {
        return (double) numerator / denominator;
    }

    @Override
    public String toString() {
        return denominator == 1 ? Integer.toString(numerator) : numerator + "/" + denominator;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
