// CPU spacetime attention (reel_attention_forward on the host).
#include "../error.h"
#include "cpu_backend.h"

namespace reel {
namespace cpu {

reel_status attention_forward(const reel_attention_params&, const void*, const void*, const void*, void*, float*) {
    return fail(REEL_ERR_UNSUPPORTED, "reel_attention_forward: the CPU kernel is not in this build yet");
}

}  // namespace cpu
}  // namespace reel
