package dev.reel.ffi;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * The JavaCPP binding of {@code native/include/reel/reel.h}, and nothing else.
 *
 * <p>Every function returns a {@code reel_status} (0 is OK); policy — argument
 * checks, exceptions, ownership — lives in {@code dev.reel}. Pointers to host or
 * device memory and CUDA streams cross as {@code long} addresses. Java arrays
 * passed to {@code reel_memcpy} are pinned or copied by JNI for the call only.
 */
@Properties(target = "dev.reel.ffi.ReelNative",
        value = @Platform(include = "reel/reel.h", link = "reel"))
public final class ReelNative {
    static {
        Loader.load();
    }

    private ReelNative() {}

    public static final int REEL_OK = 0;
    public static final int REEL_ERR_INVALID_ARGUMENT = 1;
    public static final int REEL_ERR_UNSUPPORTED = 2;
    public static final int REEL_ERR_NO_CUDA_BUILD = 3;
    public static final int REEL_ERR_NO_DEVICE = 4;
    public static final int REEL_ERR_CUDA = 5;
    public static final int REEL_ERR_OUT_OF_MEMORY = 6;
    public static final int REEL_ERR_INTERNAL = 7;

    public static final int REEL_DEVICE_CPU = -1;
    public static final int REEL_FEATURE_CUDA = 1;
    public static final int REEL_FEATURE_CPU_AVX2 = 2;
    public static final int REEL_FEATURE_CPU_AVX512 = 4;

    public static final int REEL_COPY_HOST_TO_HOST = 0;
    public static final int REEL_COPY_HOST_TO_DEVICE = 1;
    public static final int REEL_COPY_DEVICE_TO_HOST = 2;
    public static final int REEL_COPY_DEVICE_TO_DEVICE = 3;

    public static final int REEL_ATTENTION_FULL = 0;
    public static final int REEL_ATTENTION_SPATIAL = 1;
    public static final int REEL_ATTENTION_TEMPORAL = 2;
    public static final int REEL_ATTENTION_WINDOW = 3;
    public static final int REEL_ATTENTION_CROSS = 4;

    /** {@code reel_device_info}. */
    @Name("reel_device_info")
    public static final class DeviceInfo extends Pointer {
        static {
            Loader.load();
        }

        public DeviceInfo() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        @MemberGetter
        public native @Cast("char*") BytePointer name();

        @MemberGetter
        public native int ordinal();

        @MemberGetter
        public native int cc_major();

        @MemberGetter
        public native int cc_minor();

        @MemberGetter
        public native int multiprocessors();

        @MemberGetter
        public native long total_memory();

        @MemberGetter
        public native long free_memory();
    }

    /** {@code reel_cpu_info}. */
    @Name("reel_cpu_info")
    public static final class CpuInfo extends Pointer {
        static {
            Loader.load();
        }

        public CpuInfo() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        @MemberGetter
        public native int logical_cores();

        @MemberGetter
        public native int threads();

        @MemberGetter
        public native int avx2();

        @MemberGetter
        public native int avx512f();

        @MemberGetter
        public native int avx512_bf16();
    }

    /** {@code reel_attention_params}: every field is set by the caller (the C++ side zeroes it first). */
    @Name("reel_attention_params")
    public static final class AttentionParams extends Pointer {
        static {
            Loader.load();
        }

        public AttentionParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int mode();

        public native AttentionParams mode(int setter);

        public native int dtype();

        public native AttentionParams dtype(int setter);

        public native int rope();

        public native AttentionParams rope(int setter);

        public native int rope_dt();

        public native AttentionParams rope_dt(int setter);

        public native int rope_dh();

        public native AttentionParams rope_dh(int setter);

        public native int rope_dw();

        public native AttentionParams rope_dw(int setter);

        public native @Cast("int64_t") long batch();

        public native AttentionParams batch(long setter);

        public native @Cast("int64_t") long frames();

        public native AttentionParams frames(long setter);

        public native @Cast("int64_t") long height();

        public native AttentionParams height(long setter);

        public native @Cast("int64_t") long width();

        public native AttentionParams width(long setter);

        public native @Cast("int64_t") long heads();

        public native AttentionParams heads(long setter);

        public native @Cast("int64_t") long head_dim();

        public native AttentionParams head_dim(long setter);

        public native @Cast("int64_t") long q_stride_b();

        public native AttentionParams q_stride_b(long setter);

        public native @Cast("int64_t") long q_stride_n();

        public native AttentionParams q_stride_n(long setter);

        public native @Cast("int64_t") long q_stride_h();

        public native AttentionParams q_stride_h(long setter);

        public native @Cast("int64_t") long k_stride_b();

        public native AttentionParams k_stride_b(long setter);

        public native @Cast("int64_t") long k_stride_n();

        public native AttentionParams k_stride_n(long setter);

        public native @Cast("int64_t") long k_stride_h();

        public native AttentionParams k_stride_h(long setter);

        public native @Cast("int64_t") long v_stride_b();

        public native AttentionParams v_stride_b(long setter);

        public native @Cast("int64_t") long v_stride_n();

        public native AttentionParams v_stride_n(long setter);

        public native @Cast("int64_t") long v_stride_h();

        public native AttentionParams v_stride_h(long setter);

        public native @Cast("int64_t") long o_stride_b();

        public native AttentionParams o_stride_b(long setter);

        public native @Cast("int64_t") long o_stride_n();

        public native AttentionParams o_stride_n(long setter);

        public native @Cast("int64_t") long o_stride_h();

        public native AttentionParams o_stride_h(long setter);

        public native @Cast("int64_t") long context_len();

        public native AttentionParams context_len(long setter);

        public native @Cast("int64_t") long tile_t();

        public native AttentionParams tile_t(long setter);

        public native @Cast("int64_t") long tile_h();

        public native AttentionParams tile_h(long setter);

        public native @Cast("int64_t") long tile_w();

        public native AttentionParams tile_w(long setter);

        public native @Cast("int64_t") long window_t();

        public native AttentionParams window_t(long setter);

        public native @Cast("int64_t") long window_h();

        public native AttentionParams window_h(long setter);

        public native @Cast("int64_t") long window_w();

        public native AttentionParams window_w(long setter);

        /** The address of {@code context_lens} (host memory for the CPU, device memory for CUDA), 0 for none. */
        public native @Cast("const int64_t*") long context_lens();

        public native AttentionParams context_lens(@Cast("const int64_t*") long setter);

        public native float rope_theta();

        public native AttentionParams rope_theta(float setter);

        public native float rope_t0();

        public native AttentionParams rope_t0(float setter);

        public native float rope_h0();

        public native AttentionParams rope_h0(float setter);

        public native float rope_w0();

        public native AttentionParams rope_w0(float setter);

        public native float scale();

        public native AttentionParams scale(float setter);
    }

    public static native int reel_version();

    public static native @Cast("const char*") BytePointer reel_version_string();

    public static native @Cast("uint32_t") int reel_build_features();

    public static native @Cast("const char*") BytePointer reel_status_string(int status);

    public static native @Cast("const char*") BytePointer reel_last_error();

    public static native @Cast("reel_status") int reel_cpu_query(CpuInfo out);

    public static native @Cast("reel_status") int reel_cpu_set_threads(int threads);

    public static native @Cast("reel_status") int reel_cuda_device_count(@Cast("int32_t*") int[] count);

    public static native @Cast("reel_status") int reel_cuda_device_query(int ordinal, DeviceInfo out);

    public static native @Cast("reel_status") int reel_malloc(int device, long bytes, @Cast("void**") long[] out);

    public static native @Cast("reel_status") int reel_free(int device, @Cast("void*") long ptr);

    public static native @Cast("reel_status") int reel_memcpy(@Cast("void*") long dst, @Cast("const void*") long src,
            long bytes, int kind, int device, @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_memcpy(@Cast("void*") long dst, @Cast("const void*") float[] src,
            long bytes, int kind, int device, @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_memcpy(@Cast("void*") float[] dst, @Cast("const void*") long src,
            long bytes, int kind, int device, @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_memcpy(@Cast("void*") long dst, @Cast("const void*") short[] src,
            long bytes, int kind, int device, @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_memcpy(@Cast("void*") short[] dst, @Cast("const void*") long src,
            long bytes, int kind, int device, @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_memset(int device, @Cast("void*") long ptr, int value, long bytes,
            @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_synchronize(int device, @Cast("void*") long stream);

    public static native @Cast("reel_status") int reel_noise_normal(int device, @Cast("void*") long stream,
            @Cast("void*") long out, int dtype, long count, @Cast("uint64_t") long seed,
            @Cast("uint64_t") long streamId, @Cast("uint64_t") long offset);

    public static native @Cast("reel_status") int reel_convert(int device, @Cast("void*") long stream,
            @Cast("void*") long dst, int dstDtype, @Cast("const void*") long src, int srcDtype, long count);

    public static native @Cast("reel_status") int reel_attention_forward(int device, @Cast("void*") long stream,
            AttentionParams p, @Cast("const void*") long q, @Cast("const void*") long k, @Cast("const void*") long v,
            @Cast("void*") long o, @Cast("float*") long lse);
}
