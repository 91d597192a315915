// The CUDA entry points of a libreel built without nvcc.
#include "../cuda/cuda_backend.h"
#include "../error.h"

namespace reel {
namespace cuda {
namespace {
reel_status none(const char* call) {
    return fail(REEL_ERR_NO_CUDA_BUILD, "%s: this libreel was built without CUDA (no nvcc at build time)", call);
}
}  // namespace

bool built() { return false; }
reel_status device_count(int32_t* count) {
    *count = 0;
    return none("reel_cuda_device_count");
}
reel_status device_query(int32_t, reel_device_info*) { return none("reel_cuda_device_query"); }
reel_status malloc_device(int32_t, int64_t, void**) { return none("reel_malloc"); }
reel_status free_device(int32_t, void*) { return none("reel_free"); }
reel_status memcpy_any(void*, const void*, int64_t, int32_t, int32_t, void*) { return none("reel_memcpy"); }
reel_status memset_device(int32_t, void*, int32_t, int64_t, void*) { return none("reel_memset"); }
reel_status synchronize(int32_t, void*) { return none("reel_synchronize"); }
reel_status noise_normal(int32_t, void*, void*, int32_t, int64_t, uint64_t, uint64_t, uint64_t) {
    return none("reel_noise_normal");
}
reel_status convert(int32_t, void*, void*, int32_t, const void*, int32_t, int64_t) { return none("reel_convert"); }
reel_status scheduler_step(int32_t, void*, const reel_step_params&, const void*, const void*, const void*,
                           const void*, void*, void*) {
    return none("reel_scheduler_step");
}
reel_status attention_forward(int32_t, void*, const reel_attention_params&, const void*, const void*, const void*, void*,
                              float*) {
    return none("reel_attention_forward");
}

reel_status layer_norm(int32_t, void*, const reel_norm_params&, const void*, const void*, const void*, const void*,
                       const void*, void*) {
    return none("reel_layer_norm");
}
reel_status rms_norm(int32_t, void*, const reel_rms_params&, const void*, const void*, void*) { return none("reel_rms_norm"); }
reel_status bias_act(int32_t, void*, const reel_bias_act_params&, const void*, const void*, void*) { return none("reel_bias_act"); }
reel_status residual(int32_t, void*, const reel_residual_params&, void*, const void*, const void*, const void*) {
    return none("reel_residual");
}
reel_status patchify(int32_t, void*, const reel_patch_params&, const void*, void*) { return none("reel_patchify"); }
reel_status unpatchify(int32_t, void*, const reel_patch_params&, const void*, void*) { return none("reel_unpatchify"); }
reel_status timestep_embedding(int32_t, void*, int32_t, int64_t, int64_t, double, const float*, void*) {
    return none("reel_timestep_embedding");
}
reel_status embedding(int32_t, void*, const reel_embedding_params&, const int64_t*, const void*, const void*, void*) {
    return none("reel_embedding");
}
reel_status masked_mean(int32_t, void*, int32_t, int64_t, int64_t, int64_t, const void*, const int64_t*, void*) {
    return none("reel_masked_mean");
}
reel_status group_norm(int32_t, void*, const reel_group_norm_params&, const void*, const void*, const void*, void*) {
    return none("reel_group_norm");
}
reel_status im2col(int32_t, void*, const reel_im2col_params&, const void*, void*) { return none("reel_im2col"); }
reel_status channel_affine(int32_t, void*, const reel_channel_affine_params&, const void*, const void*, const void*,
                           void*) {
    return none("reel_channel_affine");
}
reel_status upsample_nearest2x(int32_t, void*, int32_t, int64_t, int64_t, int64_t, const void*, void*) {
    return none("reel_upsample_nearest2x");
}

}  // namespace cuda
}  // namespace reel
