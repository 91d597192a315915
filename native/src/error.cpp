#include "error.h"

#include <cstdarg>
#include <cstdio>

namespace {
thread_local char last_error[1024] = "no error";
}

namespace reel {

reel_status fail(reel_status status, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    return status;
}

}  // namespace reel

extern "C" const char* reel_last_error(void) { return last_error; }

extern "C" const char* reel_status_string(int32_t status) {
    switch (status) {
        case REEL_OK: return "ok";
        case REEL_ERR_INVALID_ARGUMENT: return "invalid argument";
        case REEL_ERR_UNSUPPORTED: return "unsupported";
        case REEL_ERR_NO_CUDA_BUILD: return "built without CUDA";
        case REEL_ERR_NO_DEVICE: return "no CUDA device";
        case REEL_ERR_CUDA: return "CUDA error";
        case REEL_ERR_OUT_OF_MEMORY: return "out of memory";
        case REEL_ERR_INTERNAL: return "internal error";
        default: return "unknown status";
    }
}
