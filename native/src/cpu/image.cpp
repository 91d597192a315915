// CPU image layers: the reel.h "image layers" calls on the host (GroupNorm,
// im2col, the per-channel affine, nearest 2x upsampling). Their loops are in
// image_engine.inc, built once per instruction set inside nn.cpp, nn_avx2.cpp
// and nn_avx512.cpp and chosen per call by pick_isa.
#include "../error.h"
#include "cpu_backend.h"
#include "nn_kernels.h"

namespace reel {
namespace cpu {
namespace {

const layers::ImageKernels& kernels() {
    switch (pick_isa(false)) {
        case Isa::avx512bf16:
        case Isa::avx512: return layers::image_kernels_avx512();
        case Isa::avx2: return layers::image_kernels_avx2();
        default: return layers::image_kernels_generic();
    }
}

reel_status need_f32(const char* call, int32_t dtype) {
    if (dtype == REEL_F32) return REEL_OK;
    return fail(REEL_ERR_UNSUPPORTED, "%s: the CPU backend runs REEL_F32 storage only, not dtype %d", call, dtype);
}

const float* f32(const void* p) { return static_cast<const float*>(p); }

}  // namespace

reel_status group_norm(const reel_group_norm_params& p, const void* x, const void* weight, const void* bias, void* out) {
    if (reel_status s = need_f32("reel_group_norm", p.dtype)) return s;
    kernels().group_norm(p, f32(x), f32(weight), f32(bias), static_cast<float*>(out));
    return REEL_OK;
}

reel_status im2col(const reel_im2col_params& p, const void* x, void* patches) {
    if (reel_status s = need_f32("reel_im2col", p.dtype)) return s;
    kernels().im2col(p, f32(x), static_cast<float*>(patches));
    return REEL_OK;
}

reel_status channel_affine(const reel_channel_affine_params& p, const void* x, const void* scale, const void* shift,
                           void* out) {
    if (reel_status s = need_f32("reel_channel_affine", p.dtype)) return s;
    kernels().channel_affine(p, f32(x), f32(scale), f32(shift), static_cast<float*>(out));
    return REEL_OK;
}

reel_status upsample_nearest2x(int32_t dtype, int64_t planes, int64_t height, int64_t width, const void* x, void* out) {
    if (reel_status s = need_f32("reel_upsample_nearest2x", dtype)) return s;
    kernels().upsample_nearest2x(planes, height, width, f32(x), static_cast<float*>(out));
    return REEL_OK;
}

}  // namespace cpu
}  // namespace reel
