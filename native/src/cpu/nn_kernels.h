// nn_kernels.h — the row kernels of the model-layer and image-layer calls that have
// one build per instruction set (nn_engine.inc and image_engine.inc inside nn.cpp,
// nn_avx2.cpp, nn_avx512.cpp).
// Arguments arrive validated by api.cpp and resolved to fp32 pointers.
#pragma once

#include <cstdint>

#include "reel/reel.h"

namespace reel {
namespace cpu {
namespace layers {

struct Kernels {
    void (*layer_norm)(const reel_norm_params& p, const float* x, const float* weight, const float* bias,
                       const float* shift, const float* scale, float* out);
    void (*rms_norm)(const reel_rms_params& p, const float* x, const float* weight, float* out);
    void (*bias_act)(const reel_bias_act_params& p, const float* x, const float* bias, float* out);
    void (*residual)(const reel_residual_params& p, float* x, const float* y, const float* bias, const float* gate);
    void (*embedding)(const reel_embedding_params& p, const int64_t* ids, const float* table, const float* pos,
                      float* out);
    void (*masked_mean)(int64_t batch, int64_t len, int64_t dim, const float* x, const int64_t* lengths, float* out);
};

const Kernels& kernels_generic();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();

// The image layers (image_engine.inc, built in the same three files).
struct ImageKernels {
    void (*group_norm)(const reel_group_norm_params& p, const float* x, const float* weight, const float* bias,
                       float* out);
    void (*im2col)(const reel_im2col_params& p, const float* x, float* patches);
    void (*channel_affine)(const reel_channel_affine_params& p, const float* x, const float* scale, const float* shift,
                           float* out);
    void (*upsample_nearest2x)(int64_t planes, int64_t height, int64_t width, const float* x, float* out);
};

const ImageKernels& image_kernels_generic();
const ImageKernels& image_kernels_avx2();
const ImageKernels& image_kernels_avx512();

// Rows per parallel_for chunk: about 32K elements (128 KB of fp32 in, as much
// out), so that a small call stays on one thread and a large one is worth a
// thread's start.
inline int64_t grain_rows(int64_t elements_per_row) {
    const int64_t g = (int64_t{1} << 15) / (elements_per_row > 0 ? elements_per_row : 1);
    return g > 0 ? g : 1;
}

}  // namespace layers
}  // namespace cpu
}  // namespace reel
