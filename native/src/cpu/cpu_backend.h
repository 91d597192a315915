// cpu_backend.h — the CPU reference backend: the contract every CUDA kernel is
// checked against. Arguments arrive validated by api.cpp.
#pragma once

#include "reel/reel.h"

namespace reel {
namespace cpu {

struct Features {
    bool avx2;
    bool avx512f;
    bool avx512_bf16;
};
const Features& features();

// The instruction set a CPU kernel runs: the best the CPU has (avx512bf16 only
// where the caller can use bf16 dot products), capped by REEL_CPU_ISA =
// generic|avx2|avx512, read on every call, so that the AVX2 and portable paths
// are tested on an AVX-512 machine. An unknown value leaves the best.
enum class Isa { generic, avx2, avx512, avx512bf16 };
Isa pick_isa(bool bf16);

reel_status noise_normal(void* out, int32_t dtype, int64_t count, uint64_t seed, uint64_t stream_id,
                         uint64_t offset);
reel_status convert(void* dst, int32_t dst_dtype, const void* src, int32_t src_dtype, int64_t count);
reel_status scheduler_step(const reel_step_params& p, const void* x, const void* cond, const void* uncond,
                           const void* prev, void* out, void* aux);
// reel_attention_forward on the host (attention.cpp); p->scale is already resolved (> 0).
reel_status attention_forward(const reel_attention_params& p, const void* q, const void* k, const void* v, void* o,
                              float* lse);

// The model layers (nn.cpp): reel.h "model layers", arguments validated.
reel_status layer_norm(const reel_norm_params& p, const void* x, const void* weight, const void* bias,
                       const void* shift, const void* scale, void* out);
reel_status rms_norm(const reel_rms_params& p, const void* x, const void* weight, void* out);
reel_status bias_act(const reel_bias_act_params& p, const void* x, const void* bias, void* out);
reel_status residual(const reel_residual_params& p, void* x, const void* y, const void* bias, const void* gate);
reel_status patchify(const reel_patch_params& p, const void* src, void* dst);
reel_status unpatchify(const reel_patch_params& p, const void* src, void* dst);
reel_status timestep_embedding(int32_t dtype, int64_t batch, int64_t dim, double scale, const float* t, void* out);
// ids are checked to lie in [0, vocab) by the caller.
reel_status embedding(const reel_embedding_params& p, const int64_t* ids, const void* table, const void* pos,
                      void* out);
// lengths are checked to lie in [1, len] by the caller.
reel_status masked_mean(int32_t dtype, int64_t batch, int64_t len, int64_t dim, const void* x, const int64_t* lengths,
                        void* out);

// The image layers (image.cpp): reel.h "image layers", arguments validated.
reel_status group_norm(const reel_group_norm_params& p, const void* x, const void* weight, const void* bias, void* out);
reel_status im2col(const reel_im2col_params& p, const void* x, void* patches);
reel_status channel_affine(const reel_channel_affine_params& p, const void* x, const void* scale, const void* shift,
                           void* out);
reel_status upsample_nearest2x(int32_t dtype, int64_t planes, int64_t height, int64_t width, const void* x, void* out);

}  // namespace cpu
}  // namespace reel
