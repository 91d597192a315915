package dev.reel.nn;

import dev.reel.Device;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Matrix products on the CPU through OpenBLAS ({@code cblas_sgemm}) on Reel's
 * off-heap memory: a linear layer's {@code y[rows, out] = x[rows, in] · Wᵀ} with
 * {@code W} stored {@code [out, in]} (PyTorch's layout), and a convolution's
 * {@code c = a · b} ({@link #multiply}), every operand fp32 and row-major with
 * its own row stride. Reel never hand-writes a GEMM. A linear product on a CUDA device
 * goes to {@link CudaGemm} (cuBLASLt), made on the first such call: the CPU path never
 * loads the CUDA classes.
 *
 * <p>Threads: OpenBLAS runs single-threaded, and a large product is split by rows (by
 * columns in {@link #multiply})
 * into parts that run concurrently on Reel's own threads. OpenBLAS's own threads
 * spin after each call and then fight libreel's kernel threads for the cores:
 * measured on a 2-core machine, the embedded model's forward took 363 ms with
 * OpenBLAS threaded and 20 ms single-threaded; a product below
 * {@link #SPLIT_FLOPS} runs whole on the calling thread.
 *
 * <p>The system property {@code reel.gemm} picks the threading, for measuring
 * this choice and nothing else: {@code split} (the default, as above),
 * {@code serial} (OpenBLAS single-threaded and no split: every product on the
 * calling thread) or {@code openblas} (OpenBLAS's own threads on all cores, no
 * split: the arrangement that lost 18x on the embedded model). It is read once,
 * when the class loads.
 *
 * <p>An instance holds the JavaCPP pointers its calls need and re-aims them at
 * each call, so a forward pass makes no pointer objects per product; it is
 * confined to one thread at a time.
 */
public final class Gemm implements AutoCloseable {
    private static final int ROW_MAJOR;
    private static final int NO_TRANS;
    private static final int TRANS;

    /** Products of fewer multiply-adds than this run whole on the calling thread. */
    public static final long SPLIT_FLOPS = 64L << 20;
    /** Rows of the smallest part of a split product. */
    private static final long MIN_PART_ROWS = 64;
    /**
     * {@link #multiply} products of fewer multiply-adds than this run whole on the calling
     * thread: a convolution's product of a few hundred thousand multiply-adds per output
     * channel is worth a second thread, where a transformer's small products are not.
     */
    public static final long SPLIT_COLUMN_FLOPS = 4L << 20;
    /** Columns of the smallest part of a split {@link #multiply}. */
    private static final long MIN_PART_COLUMNS = 256;

    /** How products use the cores; see the class comment. */
    public enum Threading { SPLIT, SERIAL, OPENBLAS }

    /** The threading of this JVM, from {@code -Dreel.gemm=split|serial|openblas}. */
    public static final Threading THREADING = threading(System.getProperty("reel.gemm", "split"));

    private static final java.util.concurrent.ExecutorService WORKERS;
    private static final int THREADS;

    static {
        Loader.load(openblas_nolapack.class);
        ROW_MAJOR = openblas_nolapack.CblasRowMajor;
        NO_TRANS = openblas_nolapack.CblasNoTrans;
        TRANS = openblas_nolapack.CblasTrans;
        THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(
                THREADING == Threading.OPENBLAS ? THREADS : 1);
        WORKERS = THREADS == 1 || THREADING != Threading.SPLIT ? null
                : java.util.concurrent.Executors.newFixedThreadPool(THREADS - 1, r -> {
                    Thread t = new Thread(r, "reel-gemm");
                    t.setDaemon(true);
                    return t;
                });
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

    private final Aim[][] aims = new Aim[THREADS][];
    private CudaGemm cuda;   // made on the first product on a CUDA device
    private final java.util.concurrent.Future<?>[] parts = new java.util.concurrent.Future<?>[THREADS];

    public Gemm() {
        for (int i = 0; i < THREADS; i++) {
            aims[i] = new Aim[] {new Aim(), new Aim(), new Aim()};
        }
    }

    /** Threads a large product is split over (the logical cores). */
    public static int threads() {
        return THREADS;
    }

    /**
     * {@code y = x · Wᵀ} (beta 0) or {@code y += x · Wᵀ} (accumulate). Strides are in
     * elements between rows. On the CPU x, w and y are fp32 host memory; on a CUDA device
     * x and w are bf16 and y fp32 device memory, the product queued on the legacy default
     * stream ({@link #linearBias} takes a stream).
     */
    public void linear(Device device, long rows, long in, long out, long x, long xStride, long w, long y, long yStride,
                       boolean accumulate) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (device.isCuda()) {
            cuda(device, 0L).linear(rows, in, out, x, xStride, w, 0L, y, yStride, Activation.NONE, accumulate);
            return;
        }
        requireInt("rows", rows, 1);
        requireInt("in", in, 1);
        requireInt("out", out, 1);
        requireInt("xStride", xStride, in);
        requireInt("yStride", yStride, out);
        if (x == 0 || w == 0 || y == 0) {
            throw new IllegalArgumentException((x == 0 ? "x" : w == 0 ? "w" : "y") + " is null (0)");
        }
        float beta = accumulate ? 1.0f : 0.0f;
        int split = (int) Math.min(THREADS, rows / MIN_PART_ROWS);
        if (split < 2 || rows * out * in < SPLIT_FLOPS || WORKERS == null) {
            product(aims[0], rows, in, out, x, xStride, w, y, yStride, beta);
            return;
        }
        long chunk = (rows + split - 1) / split;
        inParts(split, rows, chunk, (aim, r0, r1) -> product(aim, r1 - r0, in, out, x + 4 * r0 * xStride, xStride, w,
                y + 4 * r0 * yStride, yStride, beta));
    }

    /**
     * {@code y = act(x · Wᵀ + bias)} (bias 0: none) on {@code stream}. On the CPU it is
     * {@link #linear} then {@link Layers#biasAct}, and {@code stream} is ignored; on a CUDA
     * device it is one cuBLASLt product with x and W bf16, fp32 accumulation, y and bias
     * fp32, the bias (and GELU) in its epilogue where cuBLASLt has one ({@link CudaGemm}).
     */
    public void linearBias(Device device, long stream, long rows, long in, long out, long x, long xStride, long w,
                           long bias, long y, long yStride, Activation act) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (act == null) {
            throw new IllegalArgumentException("act is null (use Activation.NONE)");
        }
        if (device.isCuda()) {
            cuda(device, stream).linear(rows, in, out, x, xStride, w, bias, y, yStride, act, false);
            return;
        }
        linear(device, rows, in, out, x, xStride, w, y, yStride, false);
        if (bias != 0 || act != Activation.NONE) {
            Layers.biasAct(device, stream, rows, out, y, yStride, y, yStride, bias, 1, act);
        }
    }

    /**
     * The cuBLASLt products of this instance on (device, stream), made on first use. Only
     * here does a {@code Gemm} reach the CUDA classes, so the CPU path never loads them.
     */
    private CudaGemm cuda(Device device, long stream) {
        if (cuda == null || !cuda.device().equals(device) || cuda.stream() != stream) {
            if (cuda != null) {
                cuda.close();
                cuda = null;
            }
            cuda = new CudaGemm(device, stream);
        }
        return cuda;
    }

    /** Frees the cuBLASLt handle and workspace, if a CUDA product made them; the CPU side holds nothing to free. */
    @Override
    public void close() {
        if (cuda != null) {
            cuda.close();
            cuda = null;
        }
    }

    /**
     * {@code c[m, n] = a[m, k] · b[k, n]} (beta 0) or {@code c += a · b} (accumulate), every
     * operand fp32 row-major with its own row stride in elements: a convolution's weight
     * {@code [O, C·k²]} times its patch matrix, onto its output rows. A product of at least
     * {@link #SPLIT_COLUMN_FLOPS} multiply-adds is split by columns over Reel's threads (the
     * rows, a convolution's output channels, are few).
     */
    public void multiply(Device device, long m, long n, long k, long a, long aStride, long b, long bStride, long c,
                         long cStride, boolean accumulate) {
        multiply(device, 0L, m, n, k, a, aStride, b, bStride, c, cStride, accumulate);
    }

    /**
     * {@link #multiply} queued on {@code stream}: on the CPU the same product (the stream
     * ignored); on a CUDA device a and b are bf16 and c fp32 device memory, through cuBLASLt.
     */
    public void multiply(Device device, long stream, long m, long n, long k, long a, long aStride, long b, long bStride,
                         long c, long cStride, boolean accumulate) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (device.isCuda()) {
            cuda(device, stream).multiply(m, n, k, a, aStride, b, bStride, c, cStride, accumulate);
            return;
        }
        requireInt("m", m, 1);
        requireInt("n", n, 1);
        requireInt("k", k, 1);
        requireInt("aStride", aStride, k);
        requireInt("bStride", bStride, n);
        requireInt("cStride", cStride, n);
        if (a == 0 || b == 0 || c == 0) {
            throw new IllegalArgumentException((a == 0 ? "a" : b == 0 ? "b" : "c") + " is null (0)");
        }
        float beta = accumulate ? 1.0f : 0.0f;
        int split = (int) Math.min(THREADS, n / MIN_PART_COLUMNS);
        if (split < 2 || m * n * k < SPLIT_COLUMN_FLOPS) {
            matmul(aims[0], m, n, k, a, aStride, b, bStride, c, cStride, beta);
            return;
        }
        // parts of whole vectors of columns, so that each part's rows stay aligned as the whole's
        long chunk = ((n + split - 1) / split + 15) / 16 * 16;
        inParts(split, n, chunk, (aim, n0, n1) -> matmul(aim, m, n1 - n0, k, a, aStride, b + 4 * n0, bStride,
                c + 4 * n0, cStride, beta));
    }

    /** Part p of a split product: elements [begin, end) of the split axis, with its own pointers. */
    private interface Part {
        void run(Aim[] aim, long begin, long end);
    }

    /** Runs parts 1.. on the workers and part 0 here, and waits for all of them even when one fails. */
    private void inParts(int split, long total, long chunk, Part part) {
        int submitted = 0;
        try {
            for (int p = 1; p < split; p++) {
                long begin = p * chunk, end = Math.min(total, begin + chunk);
                if (begin >= end) {
                    break;
                }
                Aim[] mine = aims[p];
                parts[submitted++] = WORKERS.submit(() -> part.run(mine, begin, end));
            }
            part.run(aims[0], 0, Math.min(total, chunk));
        } finally {
            // every part must be done before the caller reuses its buffers, even when one failed
            RuntimeException failure = null;
            boolean interrupted = false;
            for (int p = 0; p < submitted; p++) {
                try {
                    parts[p].get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = new IllegalStateException("a part of a matrix product failed", e.getCause());
                } catch (InterruptedException e) {
                    interrupted = true;   // the part still writes the caller's memory: wait for it anyway
                    p--;
                    continue;
                }
                parts[p] = null;
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static void matmul(Aim[] aim, long m, long n, long k, long a, long aStride, long b, long bStride, long c,
                               long cStride, float beta) {
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int) m, (int) n, (int) k, 1.0f, aim[0].at(a),
                (int) aStride, aim[1].at(b), (int) bStride, beta, aim[2].at(c), (int) cStride);
    }

    private static void product(Aim[] aim, long rows, long in, long out, long x, long xStride, long w, long y,
                                long yStride, float beta) {
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int) rows, (int) out, (int) in, 1.0f,
                aim[0].at(x), (int) xStride, aim[1].at(w), (int) in, beta, aim[2].at(y), (int) yStride);
    }

    private static Threading threading(String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "split" -> Threading.SPLIT;
            case "serial" -> Threading.SERIAL;
            case "openblas" -> Threading.OPENBLAS;
            default -> throw new IllegalArgumentException(
                    "system property reel.gemm must be split, serial or openblas, got '" + value + "'");
        };
    }

    private static void requireInt(String name, long value, long min) {
        if (value < min || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", 2^31 - 1] for OpenBLAS, got " + value);
        }
    }
}
