// The f16, head-dim-128 attention kernel (every mode).
#include "attention_launch.cuh"

namespace reel {
namespace cuda {
template reel_status launch_attention<attention::TraitsFor<128, false>>(const attention::Args&, attention::Grid, void*);
}  // namespace cuda
}  // namespace reel
