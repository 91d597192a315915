package dev.reel.nn;

import static org.bytedeco.cuda.global.cublas.CUBLASLT_EPILOGUE_BIAS;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_EPILOGUE_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_EPILOGUE_GELU_BIAS;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_DESC_BIAS_POINTER;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_DESC_EPILOGUE;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_DESC_TRANSA;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_DESC_TRANSB;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES;
import static org.bytedeco.cuda.global.cublas.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cublas.cublasLtMatmulAlgo_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulDescOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulHeuristicResult_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulPreferenceOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatrixLayoutOpaque_t;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Matrix products on a CUDA device through cuBLASLt (the {@code cublas} class of
 * {@code org.bytedeco:cuda}): a convolution's {@code c = a · b} ({@link #multiply}) and a
 * linear layer's {@code y[rows, out] = x[rows, in] · Wᵀ}
 * with {@code W [out, in]} (PyTorch's layout), {@code x} and {@code W} bf16,
 * accumulation in fp32 ({@code CUBLAS_COMPUTE_32F}) and {@code y} fp32, all device
 * memory, rows {@code xStride} / {@code yStride} elements apart. A bias (fp32
 * {@code [out]}) is added by cuBLASLt's {@code BIAS} epilogue, a bias with GELU by
 * {@code GELU_BIAS} (cuBLASLt's GELU is the tanh form, the model's); SiLU, or an
 * epilogue for which cuBLASLt offers no algorithm on this shape, runs as the
 * product followed by {@link Layers#biasAct} on the same stream.
 *
 * <p>Row-major {@code y = x·Wᵀ} is, read column-major, {@code yᵀ[out, rows] = W·xᵀ}: A is
 * W transposed ({@code CUBLAS_OP_T}, k = in), B is x ({@code CUBLAS_OP_N}), the "TN"
 * layout that cuBLASLt's bf16 kernels favour, and the bias runs along cuBLASLt's m.
 *
 * <p>One instance per (device, stream): one handle and one workspace of
 * {@link #WORKSPACE_BYTES}, made when the instance is; each product shape (with its
 * strides, epilogue and pointer alignments) gets its descriptor, layouts and
 * heuristic's algorithm once, so a steady-state product allocates no device memory.
 * Work is queued on the stream and not waited for. An instance is confined to one
 * thread at a time.
 *
 * <p>Loading this class loads the CUDA presets, whose JNI libraries need the NVIDIA
 * driver, {@code libcudart.so.13}, {@code libcublas.so.13} and {@code libcublasLt.so.13}:
 * only the CUDA backend touches it ({@link Gemm} makes one on the first product on a
 * CUDA device), never the CPU path.
 */
public final class CudaGemm implements AutoCloseable {
    /** The cuBLASLt workspace of each instance: 32 MiB, what NVIDIA advises for Hopper. */
    public static final long WORKSPACE_BYTES = 32L << 20;

    /** What a plan's product does after the multiply-adds. */
    private enum Epilogue { NONE, BIAS, GELU_BIAS }

    /** A product in cuBLASLt's column-major terms: D[m, n] = op(A)[m, k] · B[k, n], with its strides and alignments. */
    private record Key(boolean transA, long m, long n, long k, long lda, long ldb, long ldc, Epilogue epilogue,
                       boolean accumulate, int alignA, int alignB, int alignC) {}

    /** A shape's descriptor, layouts and algorithm; {@code algo} null: cuBLASLt has none for it. */
    private static final class Plan {
        cublasLtMatmulDescOpaque_t desc;
        cublasLtMatrixLayoutOpaque_t a, b, c;
        cublasLtMatmulHeuristicResult_t heuristic;
        cublasLtMatmulAlgo_t algo;

        void close() {
            if (desc != null) {
                cublas.cublasLtMatmulDescDestroy(desc);
            }
            for (cublasLtMatrixLayoutOpaque_t l : new cublasLtMatrixLayoutOpaque_t[] {a, b, c}) {
                if (l != null) {
                    cublas.cublasLtMatrixLayoutDestroy(l);
                }
            }
            if (heuristic != null) {
                heuristic.close();
            }
        }
    }

    /** A pointer whose address is set per call (JavaCPP's address field is protected). */
    private static final class Aim extends Pointer {
        Aim() {
            super((Pointer) null);
        }

        Aim at(long where) {
            address = where;
            position = 0;
            return this;
        }
    }

    /** The stream as cuBLASLt's type, at a raw handle. */
    private static final class Stream extends CUstream_st {
        Stream(long handle) {
            super((Pointer) null);
            address = handle;
        }
    }

    private static volatile boolean presetsLoaded;

    private final Device device;
    private final long stream;
    private final Stream streamPointer;
    private final cublasLtContext handle = new cublasLtContext();
    private final Tensor workspace;
    private final Aim workspacePointer = new Aim();
    private final Aim aPointer = new Aim(), bPointer = new Aim(), dPointer = new Aim();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private final LongPointer biasAddress = new LongPointer(1);
    private final Map<Key, Plan> plans = new HashMap<>();
    private boolean closed;

    /**
     * A handle and a workspace for products on {@code device}, queued on {@code stream}
     * (a {@code cudaStream_t}; 0 is the legacy default stream).
     *
     * @throws ReelException if the CUDA presets do not load (no driver, no CUDA 13 libraries) or
     *     cuBLASLt cannot start; the message says which
     */
    public CudaGemm(Device device, long stream) {
        if (device == null || !device.isCuda()) {
            throw new IllegalArgumentException("CudaGemm runs on a CUDA device; device is " + device);
        }
        this.device = device;
        this.stream = stream;
        this.streamPointer = new Stream(stream);
        setDevice(device);
        check(cublas.cublasLtCreate(handle), "cublasLtCreate");
        try (Scope mine = Scope.open()) {
            workspace = mine.keep(Tensor.allocate(device, DType.F32, Shape.of(WORKSPACE_BYTES / 4)));
        } catch (RuntimeException e) {
            cublas.cublasLtDestroy(handle);
            throw e;
        }
    }

    /**
     * Loads the CUDA presets' cudart and cublas JNI libraries, or says why they do not load
     * (they are built for CUDA 13.1 and need the NVIDIA driver and the CUDA 13 libraries).
     */
    static void requirePresets() {
        if (presetsLoaded) {
            return;
        }
        try {
            org.bytedeco.javacpp.Loader.load(cudart.class);
            org.bytedeco.javacpp.Loader.load(cublas.class);
            presetsLoaded = true;
        } catch (LinkageError e) {
            throw new ReelException(ReelException.Status.NO_DEVICE, "the CUDA presets (org.bytedeco:cuda) did not load: "
                    + e + "; they need the NVIDIA driver and libcudart.so.13, libcublas.so.13 and libcublasLt.so.13 "
                    + "on the library path (LD_LIBRARY_PATH)");
        }
    }

    /** Makes {@code device} current for this thread in the CUDA runtime the presets bind. */
    static void setDevice(Device device) {
        requirePresets();
        int status = cudart.cudaSetDevice(device.ordinal());
        if (status != cudart.cudaSuccess) {
            throw new ReelException(ReelException.Status.CUDA, "cudaSetDevice(" + device.ordinal() + ") failed: "
                    + cudart.cudaGetErrorString(status).getString());
        }
    }

    public Device device() {
        return device;
    }

    /** The {@code cudaStream_t} the products are queued on. */
    public long stream() {
        return stream;
    }

    /**
     * {@code y = act(x · Wᵀ + bias)}, or {@code y += x · Wᵀ} with {@code accumulate} (then no
     * bias and no activation). x and w are bf16, bias and y fp32, device memory; bias 0: none.
     */
    public void linear(long rows, long in, long out, long x, long xStride, long w, long bias, long y, long yStride,
                       Activation act, boolean accumulate) {
        requireOpen();
        if (act == null) {
            throw new IllegalArgumentException("act is null (use Activation.NONE)");
        }
        requireSize("rows", rows, 1);
        requireSize("in", in, 1);
        requireSize("out", out, 1);
        requireSize("xStride", xStride, in);
        requireSize("yStride", yStride, out);
        if (x == 0 || w == 0 || y == 0) {
            throw new IllegalArgumentException((x == 0 ? "x" : w == 0 ? "w" : "y") + " is null (0)");
        }
        if (accumulate && (bias != 0 || act != Activation.NONE)) {
            throw new IllegalArgumentException("an accumulating product takes no bias and no activation");
        }
        // column-major: A = W as [in, out] (op T), B = x as [in, rows], C = D = y as [out, rows]; the bias runs along m
        product(true, out, rows, in, w, in, x, xStride, y, yStride, bias, act, accumulate);
    }

    /**
     * {@code c[m, n] = a[m, k] · b[k, n]} (or {@code c +=} with {@code accumulate}), row-major
     * with row strides in elements: a and b bf16, c fp32, device memory — a convolution's
     * weight {@code [O, C·k²]} times its patch matrix.
     */
    public void multiply(long m, long n, long k, long a, long aStride, long b, long bStride, long c, long cStride,
                         boolean accumulate) {
        requireOpen();
        requireSize("m", m, 1);
        requireSize("n", n, 1);
        requireSize("k", k, 1);
        requireSize("aStride", aStride, k);
        requireSize("bStride", bStride, n);
        requireSize("cStride", cStride, n);
        if (a == 0 || b == 0 || c == 0) {
            throw new IllegalArgumentException((a == 0 ? "a" : b == 0 ? "b" : "c") + " is null (0)");
        }
        // row-major c = a·b is column-major cᵀ[n, m] = bᵀ[n, k] · aᵀ[k, m]: A = b, B = a, both op N
        product(false, n, m, k, b, bStride, a, aStride, c, cStride, 0L, Activation.NONE, accumulate);
    }

    private void product(boolean transA, long m, long n, long k, long a, long lda, long b, long ldb, long d, long ldd,
                         long bias, Activation act, boolean accumulate) {
        Epilogue wanted = bias == 0 || act == Activation.SILU ? Epilogue.NONE
                : act == Activation.GELU_TANH ? Epilogue.GELU_BIAS : Epilogue.BIAS;
        setDevice(device);
        Plan plan = plan(new Key(transA, m, n, k, lda, ldb, ldd, wanted, accumulate, alignment(a), alignment(b),
                alignment(d)));
        Epilogue done = wanted;
        if (plan.algo == null && wanted != Epilogue.NONE) {
            plan = plan(new Key(transA, m, n, k, lda, ldb, ldd, Epilogue.NONE, accumulate, alignment(a), alignment(b),
                    alignment(d)));
            done = Epilogue.NONE;
        }
        String what = "the bf16 product [" + n + ", " + k + "] x [" + k + ", " + m + "] (row-major)";
        if (plan.algo == null) {
            throw new ReelException(ReelException.Status.UNSUPPORTED, "cuBLASLt offers no algorithm for " + what + " on "
                    + device);
        }
        if (done != Epilogue.NONE) {
            biasAddress.put(0, bias);
            check(cublas.cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, biasAddress, 8),
                    "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
        }
        dPointer.at(d);
        check(cublas.cublasLtMatmul(handle, plan.desc, one, aPointer.at(a), plan.a, bPointer.at(b), plan.b,
                accumulate ? one : zero, dPointer, plan.c, dPointer, plan.c, plan.algo,
                workspacePointer.at(workspace.address()), WORKSPACE_BYTES, streamPointer), "cublasLtMatmul of " + what);
        if (done == Epilogue.NONE && (bias != 0 || act != Activation.NONE)) {
            // rows of the row-major result are cuBLASLt's columns: n rows of m
            Layers.biasAct(device, stream, n, m, d, ldd, d, ldd, bias, 1, act);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this CudaGemm is closed");
        }
    }

    private Plan plan(Key key) {
        Plan plan = plans.get(key);
        if (plan != null) {
            return plan;
        }
        plan = new Plan();
        try (PointerPointer<Pointer> made = new PointerPointer<>(1);
             IntPointer value = new IntPointer(1);
             LongPointer bytes = new LongPointer(1)) {
            check(cublas.cublasLtMatmulDescCreate(made, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
            plan.desc = new cublasLtMatmulDescOpaque_t(made.get(0));
            setDesc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, value.put(0, key.transA ? CUBLAS_OP_T : CUBLAS_OP_N));
            setDesc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, value.put(0, CUBLAS_OP_N));
            int epilogue = switch (key.epilogue) {
                case NONE -> CUBLASLT_EPILOGUE_DEFAULT;
                case BIAS -> CUBLASLT_EPILOGUE_BIAS;
                case GELU_BIAS -> CUBLASLT_EPILOGUE_GELU_BIAS;
            };
            setDesc(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, value.put(0, epilogue));
            if (key.epilogue != Epilogue.NONE) {
                setDesc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, value.put(0, CUDA_R_32F));
            }
            // a layout is the stored matrix: op(A) = Aᵀ stores A as [k, m]
            plan.a = key.transA ? layout(made, CUDA_R_16BF, key.k, key.m, key.lda)
                    : layout(made, CUDA_R_16BF, key.m, key.k, key.lda);
            plan.b = layout(made, CUDA_R_16BF, key.k, key.n, key.ldb);
            plan.c = layout(made, CUDA_R_32F, key.m, key.n, key.ldc);

            check(cublas.cublasLtMatmulPreferenceCreate(made), "cublasLtMatmulPreferenceCreate");
            cublasLtMatmulPreferenceOpaque_t preference = new cublasLtMatmulPreferenceOpaque_t(made.get(0));
            try {
                setPreference(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, bytes.put(0, WORKSPACE_BYTES), 8);
                setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, value.put(0, key.alignA), 4);
                setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, value.put(0, key.alignB), 4);
                setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, value.put(0, key.alignC), 4);
                setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, value.put(0, key.alignC), 4);
                plan.heuristic = new cublasLtMatmulHeuristicResult_t();
                int[] found = new int[1];
                int status = cublas.cublasLtMatmulAlgoGetHeuristic(handle, plan.desc, plan.a, plan.b, plan.c, plan.c,
                        preference, 1, plan.heuristic, found);
                // NOT_SUPPORTED (or no result) means "no algorithm for this configuration": the caller falls back
                if (status == CUBLAS_STATUS_SUCCESS && found[0] > 0 && plan.heuristic.state() == CUBLAS_STATUS_SUCCESS) {
                    plan.algo = plan.heuristic.algo();
                } else if (status != CUBLAS_STATUS_SUCCESS && status != cublas.CUBLAS_STATUS_NOT_SUPPORTED) {
                    check(status, "cublasLtMatmulAlgoGetHeuristic");
                }
            } finally {
                cublas.cublasLtMatmulPreferenceDestroy(preference);
            }
        } catch (RuntimeException e) {
            plan.close();
            throw e;
        }
        plans.put(key, plan);
        return plan;
    }

    private static cublasLtMatrixLayoutOpaque_t layout(PointerPointer<Pointer> made, int type, long rows, long cols,
                                                       long ld) {
        check(cublas.cublasLtMatrixLayoutCreate(made, type, rows, cols, ld), "cublasLtMatrixLayoutCreate");
        return new cublasLtMatrixLayoutOpaque_t(made.get(0));
    }

    private static void setDesc(cublasLtMatmulDescOpaque_t desc, int attribute, IntPointer value) {
        check(cublas.cublasLtMatmulDescSetAttribute(desc, attribute, value, 4),
                "cublasLtMatmulDescSetAttribute(" + attribute + ")");
    }

    private static void setPreference(cublasLtMatmulPreferenceOpaque_t preference, int attribute, Pointer value,
                                      long size) {
        check(cublas.cublasLtMatmulPreferenceSetAttribute(preference, attribute, value, size),
                "cublasLtMatmulPreferenceSetAttribute(" + attribute + ")");
    }

    /** The largest power of two up to 256 dividing an address: what the heuristic may assume. */
    static int alignment(long address) {
        return (int) Math.min(256, Long.lowestOneBit(address));
    }

    private static void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            String name;
            try {
                name = cublas.cublasLtGetStatusString(status).getString();
            } catch (RuntimeException | LinkageError e) {
                name = "status " + status;
            }
            ReelException.Status kind = status == cublas.CUBLAS_STATUS_ALLOC_FAILED
                    ? ReelException.Status.OUT_OF_MEMORY : ReelException.Status.CUDA;
            throw new ReelException(kind, call + " failed: " + name + " (cuBLAS status " + status + ")");
        }
    }

    private static void requireSize(String name, long value, long min) {
        if (value < min || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", 2^31 - 1], got " + value);
        }
    }

    /** Frees the plans, the handle and the workspace; later calls throw. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan p : plans.values()) {
            p.close();
        }
        plans.clear();
        cublas.cublasLtDestroy(handle);
        workspace.close();
        one.close();
        zero.close();
        biasAddress.close();
    }
}
