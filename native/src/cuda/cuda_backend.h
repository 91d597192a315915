// cuda_backend.h — the CUDA half of libreel's entry points. Arguments arrive
// already validated by api.cpp; these functions own device selection and the
// checking of every CUDA call. Without nvcc, cuda_stub.cpp answers every one of
// them with REEL_ERR_NO_CUDA_BUILD.
#pragma once

#include "reel/reel.h"

namespace reel {
namespace cuda {

bool built();
reel_status device_count(int32_t* count);
reel_status device_query(int32_t ordinal, reel_device_info* out);
reel_status malloc_device(int32_t device, int64_t bytes, void** out);
reel_status free_device(int32_t device, void* ptr);
reel_status memcpy_any(void* dst, const void* src, int64_t bytes, int32_t kind, int32_t device,
                       void* stream);
reel_status memset_device(int32_t device, void* ptr, int32_t value, int64_t bytes, void* stream);
reel_status synchronize(int32_t device, void* stream);
reel_status noise_normal(int32_t device, void* stream, void* out, int32_t dtype, int64_t count,
                         uint64_t seed, uint64_t stream_id, uint64_t offset);
reel_status convert(int32_t device, void* stream, void* dst, int32_t dst_dtype, const void* src,
                    int32_t src_dtype, int64_t count);
reel_status scheduler_step(int32_t device, void* stream, const reel_step_params& p, const void* x,
                           const void* cond, const void* uncond, const void* prev, void* out, void* aux);
// reel_attention_forward on a device; p.scale is already resolved (> 0).
reel_status attention_forward(int32_t device, void* stream, const reel_attention_params& p, const void* q,
                              const void* k, const void* v, void* o, float* lse);

}  // namespace cuda
}  // namespace reel
