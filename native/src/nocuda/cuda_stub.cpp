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

}  // namespace cuda
}  // namespace reel
