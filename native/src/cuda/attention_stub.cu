// Placeholder for the CUDA spacetime attention kernel (issue 10): the C API and
// its CPU backend exist, the device kernel does not yet. Delete this file when
// kernels/attention and its launcher land.
#include "../error.h"
#include "cuda_backend.h"

namespace reel {
namespace cuda {

reel_status attention_forward(int32_t, void*, const reel_attention_params&, const void*, const void*, const void*,
                              void*, float*) {
    return fail(REEL_ERR_UNSUPPORTED, "reel_attention_forward: spacetime attention has no CUDA kernel in this build yet");
}

}  // namespace cuda
}  // namespace reel
