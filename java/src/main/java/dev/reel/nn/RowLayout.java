package dev.reel.nn;

/**
 * The checks {@link Layers} makes on memory before a native call, the same as
 * libreel's: a buffer is a set of {@code rows} rows of {@code width} fp32
 * elements, {@code stride} elements apart, at an address. Static methods on
 * primitives, so that a check allocates nothing.
 */
final class RowLayout {
    static final int ELEMENT = 4;                 // fp32 bytes
    static final long MAX_SIZE = 1L << 40;        // largest size or count
    static final long MAX_EXTENT = 1L << 62;      // largest span of a buffer, bytes

    private RowLayout() {}

    static void requireDevice(Object device) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
    }

    /** {@code min <= value <= 2^40}. */
    static void requireSize(String name, long value, long min) {
        if (value < min || value > MAX_SIZE) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", 2^40], got " + value);
        }
    }

    static void requireAddress(String name, long address) {
        if (address == 0) {
            throw new IllegalArgumentException(name + " address is null (0)");
        }
    }

    /** value >= 1 and dividing rows. */
    static void requireDivides(String name, long value, long rows) {
        if (value < 1 || rows % value != 0) {
            throw new IllegalArgumentException(name + " must be >= 1 and divide rows " + rows + ", got " + value);
        }
    }

    static void requireEps(float eps) {
        if (!(eps >= 0f) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
    }

    /** Checks the address, the stride and the extent of a row set (rows >= 1). */
    static void requireRows(String name, long address, long rows, long width, String strideName, long stride) {
        requireAddress(name, address);
        if (stride < width) {
            throw new IllegalArgumentException(strideName + " must be >= " + width + ", got " + stride);
        }
        if (extent(rows, width, stride) < 0) {
            throw new IllegalArgumentException("the extent of " + name + " exceeds 2^62 bytes");
        }
    }

    /** Bytes from the first element to one past the last; -1 above 2^62. */
    static long extent(long rows, long width, long stride) {
        try {
            long bytes = Math.multiplyExact(Math.addExact(Math.multiplyExact(rows - 1, stride), width), (long) ELEMENT);
            return bytes > MAX_EXTENT ? -1 : bytes;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /**
     * Throws unless the output shares no element with the input, or (where
     * {@code inPlaceOk}) is the input itself: same address, stride and shape.
     * Exact for row sets that step alike, so interleaved column slices of one
     * buffer pass; otherwise whether the spans meet. Extents are checked first.
     */
    static void requireApart(String outName, long out, long outRows, long outWidth, long outStride, String inName,
            long in, long inRows, long inWidth, long inStride, boolean inPlaceOk) {
        if (in == 0) {
            return;
        }
        if (inPlaceOk && out == in && outStride == inStride && outRows == inRows && outWidth == inWidth) {
            return;
        }
        if (meet(out, outRows, outWidth, outStride, in, inRows, inWidth, inStride)) {
            throw new IllegalArgumentException(outName + " and " + inName + " overlap"
                    + (inPlaceOk ? " partially (in place needs the same address and stride)" : ""));
        }
    }

    static boolean meet(long a, long aRows, long aWidth, long aStride, long b, long bRows, long bWidth, long bStride) {
        long aEnd = a + extent(aRows, aWidth, aStride), bEnd = b + extent(bRows, bWidth, bStride);
        if (!(a < bEnd && b < aEnd)) {
            return false;
        }
        if (aRows == 1 && bRows == 1) {
            return true;
        }
        long stride = aRows == 1 ? bStride : aStride;
        if ((aRows > 1 && aStride != stride) || (bRows > 1 && bStride != stride) || aWidth > stride || bWidth > stride) {
            return true;
        }
        // Bytes of a: i*S + [0, A), of b: delta + j*S + [0, B) with delta = q*S + m.
        long s = stride * ELEMENT, widthA = aWidth * ELEMENT, widthB = bWidth * ELEMENT;
        long delta = b - a, q = Math.floorDiv(delta, s), m = Math.floorMod(delta, s);
        return (m < widthA && reach(q, aRows, bRows)) || (s - m < widthB && reach(q + 1, aRows, bRows));
    }

    /** Whether some i in [0, aRows) and j in [0, bRows) have i - j = diff. */
    private static boolean reach(long diff, long aRows, long bRows) {
        return diff <= aRows - 1 && diff >= -(bRows - 1);
    }
}
