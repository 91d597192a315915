// reel_attention_forward on CUDA: device checks, choice of tile configuration
// and launch. Arguments arrive validated by api.cpp (scale resolved).
#include "../cuda_backend.h"
#include "../cuda_check.h"
#include "attention_launch.h"

namespace reel {
namespace cuda {

reel_status attention_forward(int32_t device, void* stream, const reel_attention_params& p, const void* q,
                              const void* k, const void* v, void* o, float* lse) {
    const char* call = "reel_attention_forward";
    if (p.dtype != REEL_BF16 && p.dtype != REEL_F16) {
        return fail(REEL_ERR_UNSUPPORTED, "%s: CUDA attention stores bf16 or fp16, not dtype %d", call, p.dtype);
    }
    if (reel_status s = check_device(device, call)) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    int cc_major = 0, smem_optin = 0;
    REEL_CUDA_TRY(cudaDeviceGetAttribute(&cc_major, cudaDevAttrComputeCapabilityMajor, device));
    REEL_CUDA_TRY(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    if (cc_major < 8) {
        return fail(REEL_ERR_UNSUPPORTED, "%s: the CUDA kernel needs compute capability 8.0 or newer, device %d has %d.x",
                    call, device, cc_major);
    }
    reel_status status = REEL_OK;
    const bool found = attention::with_traits(p.dtype, p.head_dim, p.mode, cc_major, [&](auto traits) {
        using Tr = decltype(traits);
        if (Tr::kSmemBytes > smem_optin) {
            status = fail(REEL_ERR_UNSUPPORTED, "%s: head_dim %lld needs %d bytes of shared memory per block, device %d allows %d",
                          call, static_cast<long long>(p.head_dim), Tr::kSmemBytes, device, smem_optin);
            return;
        }
        attention::Args a;
        attention::Grid grid;
        if (const char* why = attention::make_args(p, Tr::BM, q, k, v, o, lse, &a, &grid)) {
            status = fail(REEL_ERR_UNSUPPORTED, "%s: %s", call, why);
            return;
        }
        status = launch_attention<Tr>(a, grid, stream);
    });
    if (!found) {
        return fail(REEL_ERR_UNSUPPORTED, "%s: CUDA attention has head dims 32, 64, 96 and 128, not %lld", call,
                    static_cast<long long>(p.head_dim));
    }
    return status;
}

}  // namespace cuda
}  // namespace reel
