package dev.reel.nn;

import dev.reel.Device;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Matrix products on the CPU through OpenBLAS ({@code cblas_sgemm}) on Reel's
 * off-heap memory: {@code y[rows, out] = x[rows, in] · Wᵀ} with {@code W} stored
 * {@code [out, in]} (PyTorch's layout), every operand fp32 and row-major with
 * its own row stride. Reel never hand-writes a GEMM.
 *
 * <p>An instance holds the three JavaCPP pointers a call needs and re-aims them at
 * each call, so a forward pass makes no Java objects per product; it is therefore
 * confined to one thread at a time.
 */
public final class Gemm {
    private static final int ROW_MAJOR;
    private static final int NO_TRANS;
    private static final int TRANS;

    static {
        Loader.load(openblas_nolapack.class);
        ROW_MAJOR = openblas_nolapack.CblasRowMajor;
        NO_TRANS = openblas_nolapack.CblasNoTrans;
        TRANS = openblas_nolapack.CblasTrans;
    }

    /** A float pointer whose address is set per call (JavaCPP's address field is protected). */
    private static final class Aim extends FloatPointer {
        Aim() {
            super((org.bytedeco.javacpp.Pointer) null);
        }

        Aim at(long where) {
            address = where;
            position = 0;
            return this;
        }
    }

    private final Aim a = new Aim();
    private final Aim b = new Aim();
    private final Aim c = new Aim();

    /** Threads OpenBLAS uses (all logical cores unless set). */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
    }

    public static int threads() {
        return org.bytedeco.openblas.presets.openblas_nolapack.blas_get_num_threads();
    }

    /**
     * {@code y = x · Wᵀ} (beta 0) or {@code y += x · Wᵀ} (accumulate). Strides are in
     * elements between rows; all of x, w and y must be CPU memory of fp32.
     */
    public void linear(Device device, long rows, long in, long out, long x, long xStride, long w, long y, long yStride,
                       boolean accumulate) {
        if (device == null || device.isCuda()) {
            throw new IllegalArgumentException("Gemm runs on the CPU; device is " + device);
        }
        requireInt("rows", rows, 1);
        requireInt("in", in, 1);
        requireInt("out", out, 1);
        requireInt("xStride", xStride, in);
        requireInt("yStride", yStride, out);
        if (x == 0 || w == 0 || y == 0) {
            throw new IllegalArgumentException((x == 0 ? "x" : w == 0 ? "w" : "y") + " is null (0)");
        }
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int) rows, (int) out, (int) in, 1.0f,
                a.at(x), (int) xStride, b.at(w), (int) in, accumulate ? 1.0f : 0.0f, c.at(y), (int) yStride);
    }

    private static void requireInt(String name, long value, long min) {
        if (value < min || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", 2^31 - 1] for OpenBLAS, got " + value);
        }
    }
}
