// attention_launch.cuh — definition of launch_attention<Traits>.
#pragma once

#include "../cuda_check.h"
#include "attention_launch.h"

namespace reel {
namespace cuda {

template <class Tr>
reel_status launch_attention(const attention::Args& a, attention::Grid grid, void* stream) {
    auto kernel = attention::attention_kernel<Tr>;
    REEL_CUDA_TRY(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Tr::kSmemBytes));
    kernel<<<dim3(grid.x, grid.y, grid.z), Tr::kThreads, Tr::kSmemBytes, static_cast<cudaStream_t>(stream)>>>(a);
    return check_launch("attention_kernel");
}

}  // namespace cuda
}  // namespace reel
