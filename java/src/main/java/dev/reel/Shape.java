package dev.reel;

import java.util.Arrays;

/** An immutable tensor shape with 64-bit dimensions, row-major. */
public final class Shape {
    private final long[] dims;
    private final long numel;

    private Shape(long[] dims) {
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": dimension " + i + " is negative");
            }
            try {
                n = Math.multiplyExact(n, dims[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": element count overflows 64 bits");
            }
        }
        this.dims = dims;
        this.numel = n;
    }

    public static Shape of(long... dims) {
        if (dims == null) {
            throw new IllegalArgumentException("dims is null");
        }
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int axis) {
        if (axis < 0 || axis >= dims.length) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + dims.length);
        }
        return dims[axis];
    }

    public long[] dims() {
        return dims.clone();
    }

    /** Number of elements (1 for rank 0). */
    public long numel() {
        return numel;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
