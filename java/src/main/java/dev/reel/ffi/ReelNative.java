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

    public static final int REEL_ACT_NONE = 0;
    public static final int REEL_ACT_GELU_TANH = 1;
    public static final int REEL_ACT_SILU = 2;

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

    /**
     * {@code reel_step_params}: the coefficients of one fused scheduler step. Each
     * field has a getter and a chaining setter of the same name.
     */
    @Name("reel_step_params")
    public static final class StepParams extends Pointer {
        static {
            Loader.load();
        }

        public StepParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native long count();

        public native StepParams count(long setter);

        public native long batch();

        public native StepParams batch(long setter);

        public native int state_dtype();

        public native StepParams state_dtype(int setter);

        public native int model_dtype();

        public native StepParams model_dtype(int setter);

        public native double guidance_scale();

        public native StepParams guidance_scale(double setter);

        public native double rescale_phi();

        public native StepParams rescale_phi(double setter);

        public native double c_x();

        public native StepParams c_x(double setter);

        public native double c_m();

        public native StepParams c_m(double setter);

        public native double c_p();

        public native StepParams c_p(double setter);

        public native double c_z();

        public native StepParams c_z(double setter);

        public native double a_x();

        public native StepParams a_x(double setter);

        public native double a_m();

        public native StepParams a_m(double setter);

        public native @Cast("uint64_t") long seed();

        public native StepParams seed(long setter);

        public native @Cast("uint64_t") long noise_stream();

        public native StepParams noise_stream(long setter);

        public native @Cast("uint64_t") long noise_offset();

        public native StepParams noise_offset(long setter);
    }

    /** {@code reel_norm_params}: the layout of a LayerNorm call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_norm_params")
    public static final class NormParams extends Pointer {
        static {
            Loader.load();
        }

        public NormParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native NormParams dtype(int setter);

        public native @Cast("int64_t") long rows();

        public native NormParams rows(long setter);

        public native @Cast("int64_t") long dim();

        public native NormParams dim(long setter);

        public native @Cast("int64_t") long x_stride();

        public native NormParams x_stride(long setter);

        public native @Cast("int64_t") long out_stride();

        public native NormParams out_stride(long setter);

        public native @Cast("int64_t") long rows_per_group();

        public native NormParams rows_per_group(long setter);

        public native @Cast("int64_t") long mod_stride();

        public native NormParams mod_stride(long setter);

        public native float eps();

        public native NormParams eps(float setter);
    }

    /** {@code reel_rms_params}: the layout of a per-head RMSNorm call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_rms_params")
    public static final class RmsParams extends Pointer {
        static {
            Loader.load();
        }

        public RmsParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native RmsParams dtype(int setter);

        public native @Cast("int64_t") long rows();

        public native RmsParams rows(long setter);

        public native @Cast("int64_t") long heads();

        public native RmsParams heads(long setter);

        public native @Cast("int64_t") long head_dim();

        public native RmsParams head_dim(long setter);

        public native @Cast("int64_t") long x_stride();

        public native RmsParams x_stride(long setter);

        public native @Cast("int64_t") long out_stride();

        public native RmsParams out_stride(long setter);

        public native float eps();

        public native RmsParams eps(float setter);
    }

    /** {@code reel_bias_act_params}: the layout of a bias + activation call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_bias_act_params")
    public static final class BiasActParams extends Pointer {
        static {
            Loader.load();
        }

        public BiasActParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native BiasActParams dtype(int setter);

        public native int act();

        public native BiasActParams act(int setter);

        public native @Cast("int64_t") long rows();

        public native BiasActParams rows(long setter);

        public native @Cast("int64_t") long dim();

        public native BiasActParams dim(long setter);

        public native @Cast("int64_t") long bias_rows();

        public native BiasActParams bias_rows(long setter);

        public native @Cast("int64_t") long x_stride();

        public native BiasActParams x_stride(long setter);

        public native @Cast("int64_t") long out_stride();

        public native BiasActParams out_stride(long setter);
    }

    /** {@code reel_residual_params}: the layout of a gated residual call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_residual_params")
    public static final class ResidualParams extends Pointer {
        static {
            Loader.load();
        }

        public ResidualParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native ResidualParams dtype(int setter);

        public native @Cast("int64_t") long rows();

        public native ResidualParams rows(long setter);

        public native @Cast("int64_t") long dim();

        public native ResidualParams dim(long setter);

        public native @Cast("int64_t") long x_stride();

        public native ResidualParams x_stride(long setter);

        public native @Cast("int64_t") long y_stride();

        public native ResidualParams y_stride(long setter);

        public native @Cast("int64_t") long rows_per_group();

        public native ResidualParams rows_per_group(long setter);

        public native @Cast("int64_t") long gate_stride();

        public native ResidualParams gate_stride(long setter);
    }

    /** {@code reel_patch_params}: a video's shape and its patch size. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_patch_params")
    public static final class PatchParams extends Pointer {
        static {
            Loader.load();
        }

        public PatchParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native PatchParams dtype(int setter);

        public native @Cast("int64_t") long batch();

        public native PatchParams batch(long setter);

        public native @Cast("int64_t") long channels();

        public native PatchParams channels(long setter);

        public native @Cast("int64_t") long frames();

        public native PatchParams frames(long setter);

        public native @Cast("int64_t") long height();

        public native PatchParams height(long setter);

        public native @Cast("int64_t") long width();

        public native PatchParams width(long setter);

        public native @Cast("int64_t") long patch_t();

        public native PatchParams patch_t(long setter);

        public native @Cast("int64_t") long patch_h();

        public native PatchParams patch_h(long setter);

        public native @Cast("int64_t") long patch_w();

        public native PatchParams patch_w(long setter);
    }

    /** {@code reel_embedding_params}: the shape of a token embedding call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_embedding_params")
    public static final class EmbeddingParams extends Pointer {
        static {
            Loader.load();
        }

        public EmbeddingParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native EmbeddingParams dtype(int setter);

        public native @Cast("int64_t") long rows();

        public native EmbeddingParams rows(long setter);

        public native @Cast("int64_t") long dim();

        public native EmbeddingParams dim(long setter);

        public native @Cast("int64_t") long vocab();

        public native EmbeddingParams vocab(long setter);

        public native @Cast("int64_t") long positions();

        public native EmbeddingParams positions(long setter);

        public native float scale();

        public native EmbeddingParams scale(float setter);
    }

    /** {@code reel_group_norm_params}: the layout of a GroupNorm call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_group_norm_params")
    public static final class GroupNormParams extends Pointer {
        static {
            Loader.load();
        }

        public GroupNormParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native GroupNormParams dtype(int setter);

        public native int act();

        public native GroupNormParams act(int setter);

        public native @Cast("int64_t") long batch();

        public native GroupNormParams batch(long setter);

        public native @Cast("int64_t") long channels();

        public native GroupNormParams channels(long setter);

        public native @Cast("int64_t") long groups();

        public native GroupNormParams groups(long setter);

        public native @Cast("int64_t") long spatial();

        public native GroupNormParams spatial(long setter);

        public native @Cast("int64_t") long x_batch_stride();

        public native GroupNormParams x_batch_stride(long setter);

        public native @Cast("int64_t") long x_channel_stride();

        public native GroupNormParams x_channel_stride(long setter);

        public native @Cast("int64_t") long out_batch_stride();

        public native GroupNormParams out_batch_stride(long setter);

        public native @Cast("int64_t") long out_channel_stride();

        public native GroupNormParams out_channel_stride(long setter);

        public native float eps();

        public native GroupNormParams eps(float setter);
    }

    /** {@code reel_im2col_params}: the input and output rows of a patch-matrix call. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_im2col_params")
    public static final class Im2colParams extends Pointer {
        static {
            Loader.load();
        }

        public Im2colParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native Im2colParams dtype(int setter);

        public native int kernel();

        public native Im2colParams kernel(int setter);

        public native int stride();

        public native Im2colParams stride(int setter);

        public native @Cast("int64_t") long channels();

        public native Im2colParams channels(long setter);

        public native @Cast("int64_t") long frames();

        public native Im2colParams frames(long setter);

        public native @Cast("int64_t") long height();

        public native Im2colParams height(long setter);

        public native @Cast("int64_t") long width();

        public native Im2colParams width(long setter);

        public native @Cast("int64_t") long channel_stride();

        public native Im2colParams channel_stride(long setter);

        public native @Cast("int64_t") long frame_stride();

        public native Im2colParams frame_stride(long setter);

        public native @Cast("int64_t") long row_begin();

        public native Im2colParams row_begin(long setter);

        public native @Cast("int64_t") long row_end();

        public native Im2colParams row_end(long setter);

        public native @Cast("int64_t") long patches_stride();

        public native Im2colParams patches_stride(long setter);
    }

    /** {@code reel_channel_affine_params}: the layout of a per-channel scale and shift. Each field has a getter and a chaining setter of the same name. */
    @Name("reel_channel_affine_params")
    public static final class ChannelAffineParams extends Pointer {
        static {
            Loader.load();
        }

        public ChannelAffineParams() {
            super((Pointer) null);
            allocate();
        }

        private native void allocate();

        public native int dtype();

        public native ChannelAffineParams dtype(int setter);

        public native @Cast("int64_t") long channels();

        public native ChannelAffineParams channels(long setter);

        public native @Cast("int64_t") long count();

        public native ChannelAffineParams count(long setter);

        public native @Cast("int64_t") long x_stride();

        public native ChannelAffineParams x_stride(long setter);

        public native @Cast("int64_t") long out_stride();

        public native ChannelAffineParams out_stride(long setter);
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

    public static native @Cast("reel_status") int reel_scheduler_step(int device, @Cast("void*") long stream,
            StepParams params, @Cast("const void*") long x, @Cast("const void*") long cond,
            @Cast("const void*") long uncond, @Cast("const void*") long prev, @Cast("void*") long out,
            @Cast("void*") long aux);

    public static native @Cast("reel_status") int reel_attention_forward(int device, @Cast("void*") long stream,
            AttentionParams p, @Cast("const void*") long q, @Cast("const void*") long k, @Cast("const void*") long v,
            @Cast("void*") long o, @Cast("float*") long lse);

    public static native @Cast("reel_status") int reel_layer_norm(int device, @Cast("void*") long stream, NormParams p,
            @Cast("const void*") long x, @Cast("const void*") long weight, @Cast("const void*") long bias,
            @Cast("const void*") long shift, @Cast("const void*") long scale, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_rms_norm(int device, @Cast("void*") long stream, RmsParams p,
            @Cast("const void*") long x, @Cast("const void*") long weight, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_bias_act(int device, @Cast("void*") long stream, BiasActParams p,
            @Cast("const void*") long x, @Cast("const void*") long bias, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_residual(int device, @Cast("void*") long stream, ResidualParams p,
            @Cast("void*") long x, @Cast("const void*") long y, @Cast("const void*") long bias,
            @Cast("const void*") long gate);

    public static native @Cast("reel_status") int reel_patchify(int device, @Cast("void*") long stream, PatchParams p,
            @Cast("const void*") long src, @Cast("void*") long dst);

    public static native @Cast("reel_status") int reel_unpatchify(int device, @Cast("void*") long stream, PatchParams p,
            @Cast("const void*") long src, @Cast("void*") long dst);

    public static native @Cast("reel_status") int reel_timestep_embedding(int device, @Cast("void*") long stream,
            int dtype, long batch, long dim, double scale, @Cast("const float*") long t, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_embedding(int device, @Cast("void*") long stream,
            EmbeddingParams p, @Cast("const int64_t*") long ids, @Cast("const void*") long table,
            @Cast("const void*") long pos, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_masked_mean(int device, @Cast("void*") long stream, int dtype,
            long batch, long len, long dim, @Cast("const void*") long x, @Cast("const int64_t*") long lengths,
            @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_group_norm(int device, @Cast("void*") long stream,
            GroupNormParams p, @Cast("const void*") long x, @Cast("const void*") long weight,
            @Cast("const void*") long bias, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_im2col(int device, @Cast("void*") long stream, Im2colParams p,
            @Cast("const void*") long x, @Cast("void*") long patches);

    public static native @Cast("reel_status") int reel_channel_affine(int device, @Cast("void*") long stream,
            ChannelAffineParams p, @Cast("const void*") long x, @Cast("const void*") long scale,
            @Cast("const void*") long shift, @Cast("void*") long out);

    public static native @Cast("reel_status") int reel_upsample_nearest2x(int device, @Cast("void*") long stream,
            int dtype, long planes, long height, long width, @Cast("const void*") long x, @Cast("void*") long out);
}
