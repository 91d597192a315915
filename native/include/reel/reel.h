/*
 * reel.h — the C API of libreel, the native core of Reel.
 *
 * Rules of this boundary:
 *  - every call returns a reel_status; REEL_OK is 0;
 *  - on any other status, reel_last_error() returns a thread-local message that
 *    names the call and the problem (valid until the next failing call on the
 *    same thread);
 *  - no C++ exception and no abort() crosses it: bad arguments are a status;
 *  - device pointers and CUDA streams pass as opaque void*; a NULL stream is the
 *    CUDA legacy default stream;
 *  - shapes and counts are 64-bit.
 *
 * Execution target: `device` is REEL_DEVICE_CPU (-1) for the CPU backend, or a
 * CUDA device ordinal (0, 1, ...) for the CUDA backend. Memory passed to a call
 * must live where the call runs: host memory for the CPU, device memory for CUDA.
 */
#ifndef REEL_REEL_H
#define REEL_REEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define REEL_API __declspec(dllexport)
#else
#define REEL_API __attribute__((visibility("default")))
#endif

#define REEL_VERSION_MAJOR 0
#define REEL_VERSION_MINOR 1
#define REEL_VERSION_PATCH 0

typedef enum reel_status {
    REEL_OK = 0,
    REEL_ERR_INVALID_ARGUMENT = 1, /* a caller's mistake: shape, null pointer, range */
    REEL_ERR_UNSUPPORTED = 2,      /* valid, but not implemented for this dtype/backend */
    REEL_ERR_NO_CUDA_BUILD = 3,    /* libreel was built without CUDA */
    REEL_ERR_NO_DEVICE = 4,        /* no usable CUDA device (no driver, no GPU, bad ordinal) */
    REEL_ERR_CUDA = 5,             /* a CUDA runtime call failed; the message names it */
    REEL_ERR_OUT_OF_MEMORY = 6,
    REEL_ERR_INTERNAL = 7
} reel_status;

typedef enum reel_dtype {
    REEL_F32 = 0,
    REEL_BF16 = 1,
    REEL_F16 = 2
} reel_dtype;

#define REEL_DEVICE_CPU (-1)

/* Build features, a bit set returned by reel_build_features(). */
#define REEL_FEATURE_CUDA 1u         /* CUDA backend compiled in */
#define REEL_FEATURE_CPU_AVX2 2u     /* CPU kernels have an AVX2 path */
#define REEL_FEATURE_CPU_AVX512 4u   /* CPU kernels have an AVX-512 path */

typedef enum reel_copy_kind {
    REEL_COPY_HOST_TO_HOST = 0,
    REEL_COPY_HOST_TO_DEVICE = 1,
    REEL_COPY_DEVICE_TO_HOST = 2,
    REEL_COPY_DEVICE_TO_DEVICE = 3
} reel_copy_kind;

typedef struct reel_device_info {
    char name[256];
    int32_t ordinal;
    int32_t cc_major;
    int32_t cc_minor;
    int32_t multiprocessors;
    int64_t total_memory;
    int64_t free_memory;
} reel_device_info;

typedef struct reel_cpu_info {
    int32_t logical_cores;   /* std::thread::hardware_concurrency() */
    int32_t threads;         /* threads Reel's CPU kernels use now */
    int32_t avx2;            /* 1 if the CPU runs AVX2 + FMA */
    int32_t avx512f;         /* 1 if the CPU runs AVX-512 F/BW/VL/DQ */
    int32_t avx512_bf16;     /* 1 if the CPU runs AVX512_BF16 */
} reel_cpu_info;

/* ---- library ---------------------------------------------------------- */
REEL_API int32_t reel_version(void); /* major*10000 + minor*100 + patch */
REEL_API const char* reel_version_string(void);
REEL_API uint32_t reel_build_features(void);
REEL_API const char* reel_status_string(int32_t status);
REEL_API const char* reel_last_error(void);

/* ---- devices ---------------------------------------------------------- */
REEL_API reel_status reel_cpu_query(reel_cpu_info* out);
/* Threads for CPU kernels; 0 restores the default (all logical cores). */
REEL_API reel_status reel_cpu_set_threads(int32_t threads);
/* OK with *count > 0, or REEL_ERR_NO_CUDA_BUILD / REEL_ERR_NO_DEVICE with the reason. */
REEL_API reel_status reel_cuda_device_count(int32_t* count);
REEL_API reel_status reel_cuda_device_query(int32_t ordinal, reel_device_info* out);

/* ---- memory and streams ----------------------------------------------- */
/* Host memory (device = REEL_DEVICE_CPU) is 64-byte aligned; CUDA memory is cudaMalloc'd. */
REEL_API reel_status reel_malloc(int32_t device, int64_t bytes, void** out);
REEL_API reel_status reel_free(int32_t device, void* ptr);
REEL_API reel_status reel_memcpy(void* dst, const void* src, int64_t bytes, int32_t kind,
                                 int32_t device, void* stream);
REEL_API reel_status reel_memset(int32_t device, void* ptr, int32_t value, int64_t bytes,
                                 void* stream);
REEL_API reel_status reel_synchronize(int32_t device, void* stream);

/* ---- elementwise ops -------------------------------------------------- */
/*
 * Standard normal noise from Philox4x32-10: element k of `out` gets the value of
 * global index i = offset + k, a pure function of (seed, stream_id, i), identical
 * on every backend (see kernels/common/philox.h for the exact definition).
 */
REEL_API reel_status reel_noise_normal(int32_t device, void* stream, void* out, int32_t dtype,
                                       int64_t count, uint64_t seed, uint64_t stream_id,
                                       uint64_t offset);

/* dst[k] = dtype conversion of src[k], round to nearest even; NaN stays NaN. */
REEL_API reel_status reel_convert(int32_t device, void* stream, void* dst, int32_t dst_dtype,
                                  const void* src, int32_t src_dtype, int64_t count);

/* ---- spacetime attention ---------------------------------------------- */
/*
 * softmax(scale * Q K^T) V over the tokens of a video, for every sample and head.
 *
 * Tokens. A sample is a video of T x H x W patches stored t-major: token
 * n = (t*H + h)*W + w, N = T*H*W. Q and O are [B, N, heads, d] and, except in
 * CROSS, so are K and V; in CROSS, K and V are a context [B, M, heads, d]. Each
 * of Q, K, V, O has its own element strides (stride_b, stride_n, stride_h), the
 * head_dim axis is contiguous; element (b, n, h, c) of X is at
 * X + b*X_stride_b + n*X_stride_n + h*X_stride_h + c. Strides are >= 0 and the
 * output must not share memory with an input. Storage: REEL_F32 or REEL_BF16 on
 * the CPU, REEL_BF16 or REEL_F16 on CUDA, the same dtype for Q, K, V and O;
 * arithmetic accumulates in fp32.
 *
 * Modes: the keys a query token (b, t, h, w) attends, all of sample b:
 *   FULL      every token of the video;
 *   SPATIAL   the H*W tokens of its frame t;
 *   TEMPORAL  the T tokens (., h, w) of its own spatial position;
 *   WINDOW    tile-aligned local attention. The video is cut into tiles of
 *             tile_t x tile_h x tile_w tokens, tile (i, j, k) holding the tokens
 *             with t / tile_t == i, h / tile_h == j, w / tile_w == k (tiles at
 *             the far edges are smaller when T, H, W are not multiples of the
 *             tile sizes). A query in tile (i, j, k) sees every token of every
 *             tile (i', j', k') with |i-i'| <= window_t, |j-j'| <= window_h and
 *             |k-k'| <= window_w. Tile sizes 1 give the token window
 *             |dt| <= window_t, |dh| <= window_h, |dw| <= window_w. Bounds:
 *             1 <= tile_t <= T (and so for h, w), 0 <= window_t < ceil(T/tile_t)
 *             (a larger window is larger than the video); window_t =
 *             ceil(T/tile_t) - 1 (and so for h, w) is FULL. Kernels compute only
 *             the tile pairs inside the window, so cost falls with the window;
 *   CROSS     context tokens m < context_lens[b] of the M context tokens
 *             (context_lens NULL: all M). context_lens lives where the call runs
 *             (device memory for CUDA); each entry is in [0, M]. A query with no
 *             key (length 0) gets O = 0 and LSE = -inf.
 *
 * Rotary embedding (rope != 0; not in CROSS). Applied to Q and K as they are
 * read, before the scale; V is not rotated. head_dim is cut into three
 * sections of rope_dt, rope_dh, rope_dw channels (each even, sum <= head_dim):
 * channels [0, dt) rotate by the token's time position pt = t + rope_t0,
 * [dt, dt+dh) by ph = h + rope_h0, [dt+dh, dt+dh+dw) by pw = w + rope_w0; the
 * channels after them are not rotated. Inside a section of S channels that
 * starts at channel c0, pair i (0 <= i < S/2) is the adjacent pair
 * (x, y) = (c0 + 2i, c0 + 2i + 1), rotated by angle a = p * rope_theta^(-2i/S):
 *   x' = x cos a - y sin a,   y' = x sin a + y cos a
 * (rope_theta > 1, typically 10000). Positions are those of the token in the
 * whole video in every mode (a SPATIAL query at frame t rotates by t + rope_t0).
 * The rotated values are fp32; kernels may round them to the storage dtype
 * before a bf16/fp16 matrix unit.
 *
 * scale: softmax scale, finite and > 0; 0 selects 1/sqrt(head_dim).
 *
 * lse (optional, NULL for none): fp32 [B, heads, N] contiguous, where the call
 * runs; lse[(b*heads + h)*N + n] = ln(sum over the query's keys j of
 * exp(scale * q_n . k_j)) with the rotated q and k — the natural log-sum-exp
 * that merges partial attentions over disjoint key sets.
 *
 * Head dims: the CPU runs 32, 64, 96, 128; others are REEL_ERR_UNSUPPORTED.
 * The CPU backend ignores `stream` and returns when the result is written; on
 * CUDA the work is queued on `stream` and not waited for.
 */
typedef enum reel_attention_mode {
    REEL_ATTENTION_FULL = 0,
    REEL_ATTENTION_SPATIAL = 1,
    REEL_ATTENTION_TEMPORAL = 2,
    REEL_ATTENTION_WINDOW = 3,
    REEL_ATTENTION_CROSS = 4
} reel_attention_mode;

typedef struct reel_attention_params {
    int32_t mode;      /* reel_attention_mode */
    int32_t dtype;     /* reel_dtype of Q, K, V and O */
    int64_t batch;     /* B >= 1 */
    int64_t frames;    /* T >= 1 */
    int64_t height;    /* H >= 1 */
    int64_t width;     /* W >= 1; N = T*H*W */
    int64_t heads;     /* >= 1, the same for Q, K, V and O */
    int64_t head_dim;  /* d */
    /* element strides of [B, N (or M), heads, d]; the d axis is contiguous */
    int64_t q_stride_b, q_stride_n, q_stride_h;
    int64_t k_stride_b, k_stride_n, k_stride_h;
    int64_t v_stride_b, v_stride_n, v_stride_h;
    int64_t o_stride_b, o_stride_n, o_stride_h;
    /* CROSS */
    int64_t context_len;         /* M >= 1 */
    const int64_t* context_lens; /* [B] valid lengths in [0, M], or NULL for all M */
    /* WINDOW: tile sizes in tokens and the window radius in tiles */
    int64_t tile_t, tile_h, tile_w;
    int64_t window_t, window_h, window_w;
    /* rotary embedding */
    int32_t rope;      /* 0: off, 1: on */
    int32_t rope_dt, rope_dh, rope_dw;
    float rope_theta;
    float rope_t0, rope_h0, rope_w0;
    float scale;       /* 0: 1/sqrt(head_dim) */
} reel_attention_params;

/* o = attention(q, k, v) as described above; lse may be NULL. */
REEL_API reel_status reel_attention_forward(int32_t device, void* stream, const reel_attention_params* p,
                                            const void* q, const void* k, const void* v, void* o,
                                            float* lse);

/* ---- scheduler step --------------------------------------------------- */
/*
 * One step of a diffusion sampler as one fused elementwise pass. The host
 * (dev.reel.sampling) computes the schedule and this step's coefficients in
 * double precision; the conversion from the model's prediction type (epsilon,
 * v, sample, flow velocity) and the sampler's update (DDPM, DDIM, Euler, Heun,
 * DPM-Solver++ 2M, ...) are linear in (x, m, prev), so the host folds them into
 * the coefficients below and the kernel needs no sampler-specific code.
 *
 * Tensors (all `count` elements, dense):
 *   x       state dtype   the sample the model was evaluated at
 *   cond    model dtype   the model output (the conditional one under guidance)
 *   uncond  model dtype   the unconditional output, or NULL (no guidance)
 *   prev    state dtype   sampler memory from an earlier call (DPM-Solver++ 2M:
 *                         the previous data prediction; Heun: the half step), or
 *                         NULL when c_p is 0
 *   out     state dtype   the next sample
 *   aux     state dtype   the memory for the next call, or NULL
 * An output may be the same address as an input (in place) or disjoint from
 * it; partial overlap is an error, as is out overlapping aux.
 *
 * Element k, in fp32, each operation rounded to nearest with no contraction
 * (so the CPU and CUDA backends give the same bits), every coefficient rounded
 * once from double to float:
 *   c = cond[k], u = uncond[k]
 *   m = uncond ? u + g·(c − u) : c                      g = guidance_scale
 *   m = f_b·m           when rescale_phi > 0 and uncond is given (see below)
 *   o = c_x·x[k] + c_m·m
 *   o = o + c_p·prev[k]                                 when c_p != 0
 *   o = o + c_z·z_k                                     when c_z != 0
 *   out[k] = o;  aux[k] = a_x·x[k] + a_m·m              when aux is given
 * z_k is the standard normal of Philox index noise_offset + k in the stream
 * (seed, noise_stream): exactly what reel_noise_normal writes, drawn in the
 * kernel (no noise tensor exists). dev.reel.sampling uses noise_stream =
 * step index + 1 and keeps stream 0 for the initial noise.
 *
 * Guidance rescale (Lin et al. 2023, "Common diffusion noise schedules and
 * sample steps are flawed"): the count elements form `batch` samples of
 * count / batch consecutive elements; for sample b, r_b = std(c) / std(m) over
 * the sample, with the sums taken in double in a fixed order, and
 * f_b = (float)(1 − φ + φ·r_b) (r_b = 1 when std(m) is 0 or the sample has one
 * element). This needs a reduction, so with φ > 0 the call reads cond and
 * uncond twice: once for the statistics, once for the step. On CUDA it
 * allocates its few-kilobyte workspace stream-ordered (cudaMallocAsync).
 */
typedef struct reel_step_params {
    int64_t count;          /* elements of every tensor, >= 0 */
    int64_t batch;          /* samples (rescale only); >= 1 and divides count */
    int32_t state_dtype;    /* reel_dtype of x, prev, out, aux */
    int32_t model_dtype;    /* reel_dtype of cond, uncond */
    double guidance_scale;  /* g: finite */
    double rescale_phi;     /* φ in [0, 1]; 0 turns rescale off */
    double c_x, c_m, c_p, c_z; /* out coefficients: finite */
    double a_x, a_m;        /* aux coefficients: finite */
    uint64_t seed;          /* Philox key */
    uint64_t noise_stream;  /* Philox stream of this step */
    uint64_t noise_offset;  /* Philox index of element 0 */
} reel_step_params;

REEL_API reel_status reel_scheduler_step(int32_t device, void* stream, const reel_step_params* params,
                                         const void* x, const void* cond, const void* uncond,
                                         const void* prev, void* out, void* aux);

/* ---- model layers ----------------------------------------------------- */
/*
 * The non-GEMM layers of a diffusion transformer (tools/reel/architecture.md):
 * normalisations with adaLN modulation, bias + activation, the gated residual,
 * spacetime patchify, timestep and token embeddings, the masked mean. Every
 * call is one pass over its data: one read of each input element, one write
 * of each output element, no allocation.
 *
 * Common rules:
 *  - Matrices are `rows` rows of `dim` contiguous elements, row r of X at
 *    X + r*X_stride (element strides, X_stride >= dim); a per-row table (bias,
 *    weight) is contiguous.
 *  - In place: where a call says so, the output may be the input itself (the
 *    same address and the same stride); otherwise, and for every other pair of
 *    buffers, they must not share an element (partial overlap is
 *    REEL_ERR_INVALID_ARGUMENT). Interleaved column slices of one wider buffer
 *    with the same stride do not share elements and are accepted.
 *  - Optional inputs are NULL for their neutral value (a weight or gate of 1, a
 *    bias, shift or scale of 0); a field that only an absent input uses is
 *    ignored.
 *  - Groups: an adaLN table (shift, scale, gate) has one row per group of
 *    rows_per_group consecutive rows (the tokens of one sample); row r uses
 *    table row g = r / rows_per_group at table + g*stride. rows_per_group >= 1
 *    divides rows.
 *  - rows = 0 is a valid call that does nothing.
 *  - Arithmetic is fp32, each operation rounded to nearest, with the fused
 *    multiply-adds named below (fma(a, b, c) = a*b + c rounded once) and no
 *    other contraction; the CPU's instruction sets give the same bits except
 *    in the order of the double-precision sums. Reductions (means, variances)
 *    are sums in double precision, rounded to float once at the end.
 *  - Storage: the CPU backend runs REEL_F32 (patchify/unpatchify: every dtype);
 *    another dtype is REEL_ERR_UNSUPPORTED. The CUDA backend runs REEL_F32 and
 *    REEL_BF16 (patchify/unpatchify: every dtype); REEL_F16 is
 *    REEL_ERR_UNSUPPORTED there. Every operand of a call (tables, weights,
 *    biases, modulation, gates) is in the call's dtype, except the fp32 t of
 *    reel_timestep_embedding and the int64 ids and lengths. bf16 is widened to
 *    fp32 on load, the arithmetic is the fp32 arithmetic above, and each result
 *    is rounded to nearest even on store: a bf16 call gives the bf16 rounding
 *    of the fp32 call on the same (bf16-valued) inputs.
 *  - CUDA and the CPU: both backends run the same per-element arithmetic
 *    (kernels/nn/nn_math.inc). With REEL_F32 storage the calls without a double
 *    sum (reel_bias_act, reel_residual, reel_embedding, reel_channel_affine,
 *    and the copies reel_patchify, reel_unpatchify, reel_im2col,
 *    reel_upsample_nearest2x) give the same bits on both, and so does
 *    reel_masked_mean, whose columns both add in row order. The norms
 *    (reel_layer_norm, reel_rms_norm, reel_group_norm) add their double sums
 *    in another order (a tree over a block's threads on CUDA): their
 *    statistics, and so their outputs, may differ in the last fp32 bits
 *    (rarely; most outputs are bit-identical). reel_timestep_embedding
 *    evaluates exp, cos and sin with each backend's double functions before
 *    rounding to float, so it may differ by an ulp on a rare element.
 *  - The CPU backend ignores `stream` and returns when the result is written;
 *    the CUDA backend queues the work on `stream` and returns without waiting.
 *    On CUDA every pointer is device memory, ids and lengths included: the
 *    kernels check them as they read them (see reel_embedding,
 *    reel_masked_mean). No call allocates.
 */

/* Activation of reel_bias_act. GELU_TANH is the tanh approximation
 * 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))); SILU is x*sigmoid(x). */
typedef enum reel_activation {
    REEL_ACT_NONE = 0,
    REEL_ACT_GELU_TANH = 1,
    REEL_ACT_SILU = 2
} reel_activation;

/*
 * reel_layer_norm: LayerNorm over each row, with an optional affine and an
 * optional adaLN modulation:
 *   mean = sum(x)/dim, var = sum((x - mean)^2)/dim       (double; biased)
 *   m = (float)mean, m_lo = (float)(mean - m), rstd = (float)(1/sqrt(var + eps))
 *   y = ((x - m) - m_lo) * rstd
 *   y = fma(y, weight[c], bias[c])                           affine
 *   y = fma(y, 1 + scale[g*mod_stride + c], shift[g*mod_stride + c])  modulation
 * (m_lo keeps y accurate when the mean is large against the spread). weight,
 * bias, shift, scale are each optional; with shift and scale absent,
 * rows_per_group and mod_stride are ignored. This is LN_affine(x) and
 * LN(x)*(1 + scale) + shift with shift and scale column slices of an adaLN
 * output [B, 6D] (mod_stride = 6D, rows_per_group = tokens per sample).
 * In place allowed (out = x).
 */
typedef struct reel_norm_params {
    int32_t dtype;          /* reel_dtype of x, weight, bias, shift, scale, out */
    int64_t rows;           /* >= 0 */
    int64_t dim;            /* >= 1, the normalised axis */
    int64_t x_stride;       /* >= dim */
    int64_t out_stride;     /* >= dim */
    int64_t rows_per_group; /* rows per shift/scale row: >= 1, divides rows */
    int64_t mod_stride;     /* elements between shift/scale rows: >= dim */
    float eps;              /* finite, >= 0 */
} reel_norm_params;

REEL_API reel_status reel_layer_norm(int32_t device, void* stream, const reel_norm_params* p, const void* x,
                                     const void* weight, const void* bias, const void* shift,
                                     const void* scale, void* out);

/*
 * reel_rms_norm: RMSNorm over each of `heads` segments of head_dim elements of
 * a row: element (r, h, c) of x is at x[r*x_stride + h*head_dim + c] (out
 * likewise with out_stride), and
 *   ms = sum over c of x^2 / head_dim (double), rstd = (float)(1/sqrt(ms + eps))
 *   y = (x * rstd) * weight[c]
 * with weight [head_dim] shared by the heads (NULL: 1). This is the per-head
 * QK-norm inside a packed qkv buffer [rows, 3, heads, d] (x at the q or the k
 * third, x_stride = out_stride = 3*heads*d). In place allowed (out = x).
 */
typedef struct reel_rms_params {
    int32_t dtype;      /* reel_dtype of x, weight, out */
    int64_t rows;       /* >= 0 */
    int64_t heads;      /* >= 1 */
    int64_t head_dim;   /* >= 1 */
    int64_t x_stride;   /* >= heads*head_dim */
    int64_t out_stride; /* >= heads*head_dim */
    float eps;          /* finite, >= 0 */
} reel_rms_params;

REEL_API reel_status reel_rms_norm(int32_t device, void* stream, const reel_rms_params* p, const void* x,
                                   const void* weight, void* out);

/*
 * reel_bias_act: out[r, c] = act(x[r, c] + bias[(r % bias_rows)*dim + c]).
 * bias_rows = 1 is a plain bias [dim]; bias_rows = N adds a per-token table
 * [N, dim] (a position embedding) to every sample of N rows; bias_rows >= 1
 * divides rows (ignored without a bias). The activation, from v = x + bias:
 *   NONE       v
 *   SILU       v * sigmoid(v)
 *   GELU_TANH  v * sigmoid(z), z = v*(a + b*v^2), a = 2*sqrt(2/pi), b = a*0.044715
 * using 0.5*(1 + tanh(u)) = sigmoid(2u): the tanh form exactly, without the
 * cancellation of 1 + tanh(u) for negative v. sigmoid(z)*v is computed as
 * v/(1 + e) for z >= 0 and (v*e)/(1 + e) for z < 0, e = exp(-|z|), with an exp
 * accurate to about 1 ulp (kernels/nn/nn_math.inc); a result that is a normal
 * float is within a few ulp of the exact value of the formula at fp32 z (the
 * native test states the measured bound). In place allowed (out = x).
 */
typedef struct reel_bias_act_params {
    int32_t dtype;      /* reel_dtype of x, bias, out */
    int32_t act;        /* reel_activation */
    int64_t rows;       /* >= 0 */
    int64_t dim;        /* >= 1 */
    int64_t bias_rows;  /* >= 1, divides rows */
    int64_t x_stride;   /* >= dim */
    int64_t out_stride; /* >= dim */
} reel_bias_act_params;

REEL_API reel_status reel_bias_act(int32_t device, void* stream, const reel_bias_act_params* p, const void* x,
                                   const void* bias, void* out);

/*
 * reel_residual: the gated residual of adaLN-Zero with the projection's bias
 * folded in, in place on x:
 *   x[r, c] = fma(gate[g*gate_stride + c], y[r, c] + bias[c], x[r, c])
 * g = r / rows_per_group; gate NULL: 1 (rows_per_group and gate_stride
 * ignored), bias NULL: 0. y may be x itself (same address and stride).
 */
typedef struct reel_residual_params {
    int32_t dtype;          /* reel_dtype of x, y, bias, gate */
    int64_t rows;           /* >= 0 */
    int64_t dim;            /* >= 1 */
    int64_t x_stride;       /* >= dim */
    int64_t y_stride;       /* >= dim */
    int64_t rows_per_group; /* rows per gate row: >= 1, divides rows */
    int64_t gate_stride;    /* elements between gate rows: >= dim */
} reel_residual_params;

REEL_API reel_status reel_residual(int32_t device, void* stream, const reel_residual_params* p, void* x,
                                   const void* y, const void* bias, const void* gate);

/*
 * reel_patchify / reel_unpatchify: a video [B, C, T, H, W] (contiguous) and
 * its tokens [B, N, P] (contiguous), patches (pt, ph, pw) dividing (T, H, W):
 * grid (Tg, Hg, Wg) = (T/pt, H/ph, W/pw), N = Tg*Hg*Wg tokens t-major
 * (n = (t*Hg + h)*Wg + w), P = C*pt*ph*pw; entry ((c*pt + dt)*ph + dh)*pw + dw
 * of token (t, h, w) of sample b is video[b, c, t*pt + dt, h*ph + dh, w*pw + dw].
 * Unpatchify is the exact inverse. A pure copy: every dtype, bit exact; src
 * and dst must not overlap.
 */
typedef struct reel_patch_params {
    int32_t dtype;     /* reel_dtype of src and dst */
    int64_t batch;     /* B >= 1 */
    int64_t channels;  /* C >= 1 */
    int64_t frames;    /* T >= 1 */
    int64_t height;    /* H >= 1 */
    int64_t width;     /* W >= 1 */
    int64_t patch_t;   /* pt >= 1, divides T */
    int64_t patch_h;   /* ph >= 1, divides H */
    int64_t patch_w;   /* pw >= 1, divides W */
} reel_patch_params;

/* video [B, C, T, H, W] -> tokens [B, N, P] */
REEL_API reel_status reel_patchify(int32_t device, void* stream, const reel_patch_params* p, const void* src,
                                   void* dst);
/* tokens [B, N, P] -> video [B, C, T, H, W] */
REEL_API reel_status reel_unpatchify(int32_t device, void* stream, const reel_patch_params* p, const void* src,
                                     void* dst);

/*
 * reel_timestep_embedding: the sinusoidal embedding of a timestep per sample,
 * out [batch, dim] (dim even, half = dim/2), t [batch] fp32 where the call
 * runs. As PyTorch computes it in float32 (tools/reel/model.py), every step
 * rounded to float:
 *   freq_j = (float)exp((double)(((float)-ln(10000) * (float)j) / (float)half))
 *   arg_bj = ((float)scale * t[b]) * freq_j
 *   out[b, j] = (float)cos((double)arg_bj), out[b, half + j] = (float)sin((double)arg_bj)
 * (cosines first). exp, cos and sin are evaluated in double and rounded once,
 * so each is within an ulp of PyTorch's float functions, whose exp is not
 * always correctly rounded: where a frequency differs by that ulp, the output
 * differs by the change of cos/sin under one ulp of the argument (up to 3e-5
 * at arguments near 1000; 87% of outputs are bit-identical with PyTorch 1.13).
 * scale is finite as a float; out must not overlap t.
 */
REEL_API reel_status reel_timestep_embedding(int32_t device, void* stream, int32_t dtype, int64_t batch,
                                             int64_t dim, double scale, const float* t, void* out);

/*
 * reel_embedding: token embedding with a position table,
 *   out[r, :] = fma(table[ids[r], :], scale, pos[(r % positions), :])
 * table [vocab, dim], pos [positions, dim] (NULL: 0; positions >= 1 divides
 * rows, ignored without pos), out [rows, dim], all contiguous; ids [rows] int64
 * where the call runs. The text encoder's u = tok_embed[id]*sqrt(D) +
 * pos_embed[position] with rows = B*L, positions = L. Every id must be in
 * [0, vocab): the CPU checks them all before writing anything (an id outside
 * is REEL_ERR_INVALID_ARGUMENT naming the row and the id); a device backend,
 * which cannot read ids before the launch, writes NaN to such a row. out must
 * not overlap an input.
 */
typedef struct reel_embedding_params {
    int32_t dtype;     /* reel_dtype of table, pos, out */
    int64_t rows;      /* >= 0 */
    int64_t dim;       /* >= 1 */
    int64_t vocab;     /* >= 1 */
    int64_t positions; /* >= 1, divides rows */
    float scale;       /* finite */
} reel_embedding_params;

REEL_API reel_status reel_embedding(int32_t device, void* stream, const reel_embedding_params* p,
                                    const int64_t* ids, const void* table, const void* pos, void* out);

/*
 * reel_masked_mean: out[b, :] = the mean of rows 0 .. lengths[b]-1 of sample b
 * of x [batch, len, dim] (contiguous; out [batch, dim]), the sum in double
 * rounded once after the division. lengths [batch] int64 where the call runs,
 * each in [1, len]: the CPU checks them before writing anything (outside is
 * REEL_ERR_INVALID_ARGUMENT naming b); a device backend writes NaN to such a
 * sample's row. out must not overlap x or lengths.
 */
REEL_API reel_status reel_masked_mean(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t len,
                                      int64_t dim, const void* x, const int64_t* lengths, void* out);

/* ---- image layers ----------------------------------------------------- */
/*
 * The layers of a convolutional autoencoder (tools/reel/autoencoder.md):
 * GroupNorm with an optional activation, the patch matrix (im2col) of a 3x3 or
 * 1x1 convolution, a per-channel scale and shift, and nearest 2x upsampling.
 * A convolution is reel_im2col, then a matrix product (OpenBLAS on the CPU,
 * cuBLASLt on CUDA) of the weight [O, C*k*k] with the patch matrix, onto an
 * output that reel_channel_affine has set to the bias (or, for a residual,
 * added the bias to): libreel never multiplies matrices itself.
 *
 * Images are planes of height*width contiguous elements (rows of
 * `width`); where they sit is given by element strides, so that both the
 * usual [N, C, H, W] layout and the channel-major [C, N, H, W] one (a video
 * [C, T, H, W] read as T images) are accepted. The common rules of "model
 * layers" apply: fp32 arithmetic with the operations named, sums in double,
 * REEL_F32 storage on the CPU, REEL_F32 and REEL_BF16 on CUDA (reel_group_norm
 * agrees with the CPU up to the order of its double sums; the other three give
 * the CPU's bits with REEL_F32), no allocation, one pass over the data (the
 * GroupNorm reads its input twice for the statistics, then once to write).
 */

/*
 * reel_group_norm: GroupNorm of `batch` images of C channels, the channels cut
 * into `groups` contiguous groups of C/groups. Element (n, c, s), s in
 * [0, spatial), of x is at x[n*x_batch_stride + c*x_channel_stride + s] (out
 * likewise). For image n and group g, over its C/groups channels and all
 * `spatial` positions (count = C/groups * spatial):
 *   sum, m2 = sum of x, sum of (x - sum/count)^2        (double)
 *   m, m_lo, rstd as reel_layer_norm computes them from (sum, m2, count, eps)
 *   y = ((x - m) - m_lo) * rstd
 *   y = fma(y, weight[c], bias[c])                       (NULL: 1, 0)
 *   out = act(y)                                         (reel_bias_act's act)
 * GroupNorm + SiLU, the pair in front of every convolution of the
 * autoencoder, is one call. In place allowed (out = x with the same strides);
 * otherwise out shares no byte with x's span. The output strides must give
 * every element its own address.
 */
typedef struct reel_group_norm_params {
    int32_t dtype;              /* reel_dtype of x, weight, bias, out */
    int32_t act;                /* reel_activation applied after the affine */
    int64_t batch;              /* N >= 0 images */
    int64_t channels;           /* C >= 1 */
    int64_t groups;             /* >= 1, divides C */
    int64_t spatial;            /* >= 1 contiguous elements per (image, channel) */
    int64_t x_batch_stride;     /* >= 0, elements between images of x */
    int64_t x_channel_stride;   /* >= 0, elements between channels of x */
    int64_t out_batch_stride;   /* >= 0 */
    int64_t out_channel_stride; /* >= 0 */
    float eps;                  /* finite, >= 0 */
} reel_group_norm_params;

REEL_API reel_status reel_group_norm(int32_t device, void* stream, const reel_group_norm_params* p, const void* x,
                                     const void* weight, const void* bias, void* out);

/*
 * reel_im2col: rows [row_begin, row_end) of the output rows of a k x k
 * convolution (k = 1 or 3) with stride s (1 or 2) and zero padding
 * pad = (k - 1)/2, written as the columns of a patch matrix. The input is F
 * images of C channels of H x W: element (c, f, y, x) at
 * x[c*channel_stride + f*frame_stride + y*width + x]. The output of one image
 * is Ho x Wo, Ho = (H - 1)/s + 1, Wo = (W - 1)/s + 1 (integer division; H/2
 * for an even H at stride 2), and its output rows are numbered r = f*Ho + i.
 * The patch matrix has C*k*k rows, row ((c*k + u)*k + v) at
 * patches + that*patches_stride (the order of a weight [O, C, k, k] read as
 * [O, C*k*k]), and (row_end - row_begin)*Wo columns; column
 * (r - row_begin)*Wo + j of row (c, u, v) is
 *   x[c, f, s*i + u - pad, s*j + v - pad]   with r = f*Ho + i,
 * or 0 where that position is outside the image. So that the product
 * weight . patches is the convolution's output rows [row_begin, row_end) of
 * every output channel: an output [O, F, Ho, Wo] laid out channel-major gets
 * them at column row_begin*Wo of each channel's row. A pure copy (bit exact);
 * patches must not overlap x.
 */
typedef struct reel_im2col_params {
    int32_t dtype;           /* reel_dtype of x and patches */
    int32_t kernel;          /* k: 1 or 3 */
    int32_t stride;          /* s: 1 or 2 */
    int64_t channels;        /* C >= 1 */
    int64_t frames;          /* F >= 1 */
    int64_t height;          /* H >= 1 */
    int64_t width;           /* W >= 1 */
    int64_t channel_stride;  /* >= 0, elements between x's channels */
    int64_t frame_stride;    /* >= 0, elements between x's images */
    int64_t row_begin;       /* 0 <= row_begin <= row_end */
    int64_t row_end;         /* <= F*Ho */
    int64_t patches_stride;  /* elements between patch-matrix rows, >= (row_end - row_begin)*Wo */
} reel_im2col_params;

REEL_API reel_status reel_im2col(int32_t device, void* stream, const reel_im2col_params* p, const void* x,
                                 void* patches);

/*
 * reel_channel_affine: for each of C channel rows of `count` elements,
 *   out[c*out_stride + k] = fma(x[c*x_stride + k], scale[c], shift[c])
 * with scale NULL: 1, shift NULL: 0, and x NULL: 0 (out = shift; x_stride
 * ignored). A convolution's bias (x NULL, scale NULL: out = bias, then the
 * product with beta 1), the bias of a residual convolution (x = out: out +=
 * bias, then the product onto it), and the latent normalisation
 * (u = z*(1/std) - mean/std and z = u*std + mean) are this call. In place
 * allowed (out = x, same stride); otherwise no shared element.
 */
typedef struct reel_channel_affine_params {
    int32_t dtype;       /* reel_dtype of x, scale, shift, out */
    int64_t channels;    /* C >= 0 */
    int64_t count;       /* >= 1 elements per channel */
    int64_t x_stride;    /* >= count (ignored without x) */
    int64_t out_stride;  /* >= count */
} reel_channel_affine_params;

REEL_API reel_status reel_channel_affine(int32_t device, void* stream, const reel_channel_affine_params* p,
                                         const void* x, const void* scale, const void* shift, void* out);

/*
 * reel_upsample_nearest2x: x [planes, H, W] to out [planes, 2H, 2W], both
 * contiguous: out[p, i, j] = x[p, i/2, j/2] (integer division). A pure copy
 * (bit exact); out must not overlap x.
 */
REEL_API reel_status reel_upsample_nearest2x(int32_t device, void* stream, int32_t dtype, int64_t planes,
                                             int64_t height, int64_t width, const void* x, void* out);

#ifdef __cplusplus
}
#endif

#endif /* REEL_REEL_H */
