// cuda_check.h — every CUDA runtime call in libreel goes through REEL_CUDA_TRY,
// which turns a failure into a status whose message names the call.
#pragma once

#include <cuda_runtime.h>

#include "../error.h"

#define REEL_CUDA_TRY(call)                                                                  \
    do {                                                                                     \
        const cudaError_t reel_err_ = (call);                                                \
        if (reel_err_ != cudaSuccess) {                                                      \
            return ::reel::fail(REEL_ERR_CUDA, "%s failed: %s (%s, error %d) at %s:%d", #call, \
                                cudaGetErrorString(reel_err_), cudaGetErrorName(reel_err_),  \
                                static_cast<int>(reel_err_), __FILE__, __LINE__);             \
        }                                                                                    \
    } while (0)

namespace reel {
namespace cuda {

// Makes `device` current for the scope and restores the caller's device after,
// so that Reel never changes which device an application thread works on.
class DeviceScope {
public:
    explicit DeviceScope(int device) : device_(device) {}
    reel_status enter() {
        REEL_CUDA_TRY(cudaGetDevice(&previous_));
        if (previous_ != device_) REEL_CUDA_TRY(cudaSetDevice(device_));
        entered_ = true;
        return REEL_OK;
    }
    ~DeviceScope() {
        if (entered_ && previous_ != device_) cudaSetDevice(previous_);
    }

private:
    int device_;
    int previous_ = 0;
    bool entered_ = false;
};

// Validates an ordinal against the devices present; REEL_ERR_NO_DEVICE otherwise.
reel_status check_device(int32_t device, const char* call);

// Reads the launch error right after a kernel launch.
inline reel_status check_launch(const char* kernel) {
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) {
        return fail(REEL_ERR_CUDA, "launch of %s failed: %s (%s)", kernel, cudaGetErrorString(err),
                    cudaGetErrorName(err));
    }
    return REEL_OK;
}

}  // namespace cuda
}  // namespace reel
