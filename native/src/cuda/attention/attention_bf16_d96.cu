// The bf16, head-dim-96 attention kernel (every mode).
#include "attention_launch.cuh"

namespace reel {
namespace cuda {
template reel_status launch_attention<attention::TraitsFor<96, true>>(const attention::Args&, attention::Grid, void*);
}  // namespace cuda
}  // namespace reel
