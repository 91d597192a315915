// common.cuh — what the model-layer and image-layer kernels of kernels/nn/
// share: storage loads and stores, the block reduction in double, and the
// launch shape. Contract of every call: reel.h, "model layers" and "image
// layers"; per-element arithmetic: nn_math.inc through nn.h, the same
// functions the CPU backend runs, so that fp32 storage gives the CPU's bits
// wherever no double sum is involved.
//
// Storage tag DT: 0 REEL_F32, 1 REEL_BF16. Every operand of one call has the
// call's dtype; bf16 is widened to fp32 on load and rounded to nearest even on
// store (kernels/common/dtype.h). Arithmetic is fp32 with the operations of
// nn_math.inc (its F32 uses the _rn intrinsics on the device, so nothing is
// contracted into an FMA that the contract does not name); sums are double,
// each addition rounded (dadd, dmul of kernels/common/philox.h).
//
// Launch shape: 1-D blocks of kNnThreads threads. Row kernels give a block to
// one row (or group) at a time and stride over rows by gridDim.x; elementwise
// kernels stride a flat index over the whole grid. Any grid of at least one
// block is correct; the launcher (native/src/cuda/nn.cu) caps it with nn_grid.
//
// Device code only, except the two inline sizing helpers at the end, which the
// host build of these files (native/tests/nn_host) shares with the launcher.
#pragma once

#include <stdint.h>

#include "reel/reel.h"

#include "../common/dtype.h"
#include "../common/philox.h"
#include "nn.h"

namespace reel {
namespace nn {

constexpr int kNnThreads = 256;

template <int DT>
__device__ __forceinline__ float nn_load(const void* p, int64_t k) {
    if (DT == 0) return static_cast<const float*>(p)[k];
    return bf16_to_f32(static_cast<const uint16_t*>(p)[k]);
}

template <int DT>
__device__ __forceinline__ void nn_store(void* p, int64_t k, float v) {
    if (DT == 0) static_cast<float*>(p)[k] = v;
    else static_cast<uint16_t*>(p)[k] = f32_to_bf16(v);
}

// An optional operand: its element k, or `neutral` when it is absent.
template <int DT>
__device__ __forceinline__ float nn_load_or(const void* p, int64_t k, float neutral) {
    return p != nullptr ? nn_load<DT>(p, k) : neutral;
}

// The sum of every thread's v, added in a fixed tree over the block's
// kNnThreads threads (so a launch is deterministic); every thread gets it.
// scratch: kNnThreads doubles of shared memory, free again on return.
__device__ __forceinline__ double block_sum(double v, double* scratch) {
    const int t = static_cast<int>(threadIdx.x);
    scratch[t] = v;
    __syncthreads();
    for (int half = kNnThreads / 2; half > 0; half /= 2) {
        if (t < half) scratch[t] = dadd(scratch[t], scratch[t + half]);
        __syncthreads();
    }
    const double s = scratch[0];
    __syncthreads();
    return s;
}

// The activation of reel_bias_act and reel_group_norm, chosen at compile time.
template <int Act>
__device__ __forceinline__ float nn_activate(float v) {
    if (Act == REEL_ACT_GELU_TANH) return gelu_tanh<F32>(v);
    if (Act == REEL_ACT_SILU) return silu<F32>(v);
    return v;
}

// The first flat index of this thread and the step of a grid-stride loop.
__device__ __forceinline__ int64_t nn_first() {
    return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t nn_step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Blocks for `items` work items of `per_block` each, at most `cap` (>= 1): a
// grid-stride loop covers the rest.
inline unsigned nn_grid(int64_t items, int64_t per_block, int64_t cap) {
    const int64_t blocks = (items + per_block - 1) / per_block;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < cap ? blocks : cap));
}

// The launcher's cap: enough blocks to fill any current GPU many times over.
constexpr int64_t kNnMaxBlocks = 65535;

}  // namespace nn
}  // namespace reel
