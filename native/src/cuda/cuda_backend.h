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

// The model-layer and image-layer calls on a device (nn.cu): REEL_F32 and
// REEL_BF16 storage (patchify / unpatchify: every dtype).
reel_status layer_norm(int32_t device, void* stream, const reel_norm_params& p, const void* x, const void* weight,
                       const void* bias, const void* shift, const void* scale, void* out);
reel_status rms_norm(int32_t device, void* stream, const reel_rms_params& p, const void* x, const void* weight,
                     void* out);
reel_status bias_act(int32_t device, void* stream, const reel_bias_act_params& p, const void* x, const void* bias,
                     void* out);
reel_status residual(int32_t device, void* stream, const reel_residual_params& p, void* x, const void* y,
                     const void* bias, const void* gate);
reel_status patchify(int32_t device, void* stream, const reel_patch_params& p, const void* src, void* dst);
reel_status unpatchify(int32_t device, void* stream, const reel_patch_params& p, const void* src, void* dst);
reel_status timestep_embedding(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t dim, double scale,
                               const float* t, void* out);
// ids and lengths are device memory; out-of-range entries give NaN rows.
reel_status embedding(int32_t device, void* stream, const reel_embedding_params& p, const int64_t* ids,
                      const void* table, const void* pos, void* out);
reel_status masked_mean(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t len, int64_t dim,
                        const void* x, const int64_t* lengths, void* out);
reel_status group_norm(int32_t device, void* stream, const reel_group_norm_params& p, const void* x,
                       const void* weight, const void* bias, void* out);
reel_status im2col(int32_t device, void* stream, const reel_im2col_params& p, const void* x, void* patches);
reel_status channel_affine(int32_t device, void* stream, const reel_channel_affine_params& p, const void* x,
                           const void* scale, const void* shift, void* out);
reel_status upsample_nearest2x(int32_t device, void* stream, int32_t dtype, int64_t planes, int64_t height,
                               int64_t width, const void* x, void* out);

}  // namespace cuda
}  // namespace reel
