// nn.h — the per-element arithmetic of the model layers (nn_math.inc) as
// reel::nn, for the CUDA kernels and the portable host code. The CPU's SIMD
// paths include nn_math.inc inside their own namespaces instead.
#pragma once

#include <math.h>
#include <stdint.h>

#include "../common/hd.h"

namespace reel {
namespace nn {

#include "nn_math.inc"

}  // namespace nn
}  // namespace reel
