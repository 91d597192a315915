// The f16, head-dim-64 attention kernel (every mode).
#include "attention_launch.cuh"

namespace reel {
namespace cuda {
template reel_status launch_attention<attention::TraitsFor<64, false>>(const attention::Args&, attention::Grid, void*);
}  // namespace cuda
}  // namespace reel
