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

}  // namespace cpu
}  // namespace reel
