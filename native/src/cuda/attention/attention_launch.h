// attention_launch.h — the launch of one tile configuration of the attention
// kernel. Defined in attention_launch.cuh and instantiated once per
// configuration in the attention_<dtype>_d<dim>.cu files, so that the build
// compiles the variants in parallel and a reader finds each by name.
#pragma once

#include "attention_args.h"

namespace reel {
namespace cuda {

template <class Tr>
reel_status launch_attention(const attention::Args& a, attention::Grid grid, void* stream);

}  // namespace cuda
}  // namespace reel
