// CPU model layers: the reel.h "model layers" calls on the host. The row
// kernels (norms, bias + activation, residual, embedding, masked mean) have a
// build per instruction set — the portable one here, nn_avx2.cpp and
// nn_avx512.cpp — chosen per call by pick_isa; patchify and the timestep
// embedding are copies and a few transcendentals per sample, portable only.
// Compiled with -ffp-contract=off (CMakeLists.txt): the arithmetic is exactly
// the operations of kernels/nn/nn_math.inc, as on every other path.
#include <cmath>
#include <cstdint>

#include "../error.h"
#include "../parallel.h"
#include "cpu_backend.h"
#include "nn_kernels.h"

namespace reel {
namespace cpu {
namespace layers {
namespace generic {

#include "../../../kernels/nn/nn_math.inc"

struct V : F32 {
    using D = double;
    static D dzero() { return 0.0; }
    static D dadd(D d, R x) { return d + static_cast<double>(x); }
    static D dsqdev(D d, R x, double mean) {
        const double t = static_cast<double>(x) - mean;
        return d + t * t;
    }
    static double dsum(D d) { return d; }
    static R dmean(D d, int64_t n) { return mean_value(d, n); }
    static void dup2(R x, R& lo, R& hi) { lo = hi = x; }
    static R evens(R a, R) { return a; }
};

#include "nn_engine.inc"
#include "image_engine.inc"

}  // namespace generic

const Kernels& kernels_generic() { return generic::table(); }
const ImageKernels& image_kernels_generic() { return generic::image_table(); }

namespace {

const Kernels& kernels() {
    switch (pick_isa(false)) {
        case Isa::avx512bf16:
        case Isa::avx512: return kernels_avx512();
        case Isa::avx2: return kernels_avx2();
        default: return kernels_generic();
    }
}

reel_status need_f32(const char* call, int32_t dtype) {
    if (dtype == REEL_F32) return REEL_OK;
    return fail(REEL_ERR_UNSUPPORTED, "%s: the CPU backend runs REEL_F32 storage only, not dtype %d", call, dtype);
}

const float* f32(const void* p) { return static_cast<const float*>(p); }

struct PatchArgs {
    const reel_patch_params& p;
    const void* src;
    void* dst;
    bool to_tokens;
};

// One video row (b, c, t, h) of W elements against its places in the tokens:
// the video side moves contiguously, the token side in runs of pw.
template <class T>
void patch_rows(const PatchArgs& a, int64_t r0, int64_t r1) {
    const reel_patch_params& p = a.p;
    const int64_t pt = p.patch_t, ph = p.patch_h, pw = p.patch_w;
    const int64_t hg = p.height / ph, wg = p.width / pw;
    const int64_t n = p.frames / pt * hg * wg, per_token = p.channels * pt * ph * pw;
    for (int64_t row = r0; row < r1; ++row) {
        const int64_t h = row % p.height, t = row / p.height % p.frames;
        const int64_t c = row / (p.height * p.frames) % p.channels, b = row / (p.height * p.frames * p.channels);
        const int64_t video = row * p.width;
        const int64_t token0 = b * n + (t / pt * hg + h / ph) * wg;
        const int64_t tokens = token0 * per_token + ((c * pt + t % pt) * ph + h % ph) * pw;
        for (int64_t w = 0; w < wg; ++w) {
            for (int64_t dw = 0; dw < pw; ++dw) {
                const int64_t v = video + w * pw + dw, k = tokens + w * per_token + dw;
                if (a.to_tokens) {
                    static_cast<T*>(a.dst)[k] = static_cast<const T*>(a.src)[v];
                } else {
                    static_cast<T*>(a.dst)[v] = static_cast<const T*>(a.src)[k];
                }
            }
        }
    }
}

void patch_copy(const reel_patch_params& p, const void* src, void* dst, bool to_tokens) {
    const PatchArgs a{p, src, dst, to_tokens};
    const int64_t rows = p.batch * p.channels * p.frames * p.height;
    if (p.dtype == REEL_F32) {
        parallel_for(rows, grain_rows(p.width), [&a](int64_t r0, int64_t r1) { patch_rows<uint32_t>(a, r0, r1); });
    } else {
        parallel_for(rows, grain_rows(p.width), [&a](int64_t r0, int64_t r1) { patch_rows<uint16_t>(a, r0, r1); });
    }
}

}  // namespace
}  // namespace layers

reel_status layer_norm(const reel_norm_params& p, const void* x, const void* weight, const void* bias,
                       const void* shift, const void* scale, void* out) {
    if (reel_status s = layers::need_f32("reel_layer_norm", p.dtype)) return s;
    using layers::f32;
    layers::kernels().layer_norm(p, f32(x), f32(weight), f32(bias), f32(shift), f32(scale), static_cast<float*>(out));
    return REEL_OK;
}

reel_status rms_norm(const reel_rms_params& p, const void* x, const void* weight, void* out) {
    if (reel_status s = layers::need_f32("reel_rms_norm", p.dtype)) return s;
    using layers::f32;
    layers::kernels().rms_norm(p, f32(x), f32(weight), static_cast<float*>(out));
    return REEL_OK;
}

reel_status bias_act(const reel_bias_act_params& p, const void* x, const void* bias, void* out) {
    if (reel_status s = layers::need_f32("reel_bias_act", p.dtype)) return s;
    using layers::f32;
    layers::kernels().bias_act(p, f32(x), f32(bias), static_cast<float*>(out));
    return REEL_OK;
}

reel_status residual(const reel_residual_params& p, void* x, const void* y, const void* bias, const void* gate) {
    if (reel_status s = layers::need_f32("reel_residual", p.dtype)) return s;
    using layers::f32;
    layers::kernels().residual(p, static_cast<float*>(x), f32(y), f32(bias), f32(gate));
    return REEL_OK;
}

reel_status patchify(const reel_patch_params& p, const void* src, void* dst) {
    layers::patch_copy(p, src, dst, true);
    return REEL_OK;
}

reel_status unpatchify(const reel_patch_params& p, const void* src, void* dst) {
    layers::patch_copy(p, src, dst, false);
    return REEL_OK;
}

reel_status timestep_embedding(int32_t dtype, int64_t batch, int64_t dim, double scale, const float* t, void* out) {
    if (reel_status s = layers::need_f32("reel_timestep_embedding", dtype)) return s;
    const int64_t half = dim / 2;
    const float s = static_cast<float>(scale);
    float* o = static_cast<float*>(out);
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < half; ++j) {
            const float arg = layers::generic::timestep_arg(t[b], s, layers::generic::timestep_freq(j, half));
            o[b * dim + j] = static_cast<float>(std::cos(static_cast<double>(arg)));
            o[b * dim + half + j] = static_cast<float>(std::sin(static_cast<double>(arg)));
        }
    }
    return REEL_OK;
}

reel_status embedding(const reel_embedding_params& p, const int64_t* ids, const void* table, const void* pos,
                      void* out) {
    if (reel_status s = layers::need_f32("reel_embedding", p.dtype)) return s;
    using layers::f32;
    layers::kernels().embedding(p, ids, f32(table), f32(pos), static_cast<float*>(out));
    return REEL_OK;
}

reel_status masked_mean(int32_t dtype, int64_t batch, int64_t len, int64_t dim, const void* x, const int64_t* lengths,
                        void* out) {
    if (reel_status s = layers::need_f32("reel_masked_mean", dtype)) return s;
    layers::kernels().masked_mean(batch, len, dim, layers::f32(x), lengths, static_cast<float*>(out));
    return REEL_OK;
}

}  // namespace cpu
}  // namespace reel
