// elementwise.cuh — Philox normal noise and dtype conversion on the device.
//
// Contract: the same as the CPU backend (native/src/cpu/elementwise.cpp):
// noise element k of `out` is philox normal (seed, stream, offset + k) rounded to
// the storage dtype; conversion rounds to nearest even. One thread makes one
// Philox group of four values; the grid is 1-D and strides over the range.
#pragma once

#include <stdint.h>

#include "../common/dtype.h"
#include "../common/philox.h"

namespace reel {


// Storage tag: 0 f32, 1 bf16, 2 f16 (reel_dtype).
template <int DT>
__device__ __forceinline__ void store_dt(void* out, int64_t k, float v) {
    if (DT == 0) static_cast<float*>(out)[k] = v;
    else if (DT == 1) static_cast<uint16_t*>(out)[k] = f32_to_bf16(v);
    else static_cast<uint16_t*>(out)[k] = f32_to_f16(v);
}

template <int DT>
__device__ __forceinline__ float load_dt(const void* in, int64_t k) {
    if (DT == 0) return static_cast<const float*>(in)[k];
    if (DT == 1) return bf16_to_f32(static_cast<const uint16_t*>(in)[k]);
    return f16_to_f32(static_cast<const uint16_t*>(in)[k]);
}

template <int DT>
__global__ void noise_normal_kernel(void* out, int64_t count, uint64_t seed, uint64_t stream,
                                    uint64_t offset) {
    const uint64_t first_group = offset >> 2;
    const uint64_t last = offset + static_cast<uint64_t>(count - 1);
    const uint64_t last_group = last >> 2;
    const uint64_t groups = last_group - first_group + 1;
    for (uint64_t t = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; t < groups;
         t += static_cast<uint64_t>(gridDim.x) * blockDim.x) {
        const uint64_t g = first_group + t;
        float v[4];
        philox_normal4(seed, stream, g, v);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const uint64_t i = 4 * g + j;
            if (i >= offset && i <= last) {
                store_dt<DT>(out, static_cast<int64_t>(i - offset), v[j]);
            }
        }
    }
}

template <int SRC, int DST>
__global__ void convert_kernel(void* dst, const void* src, int64_t count) {
    for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < count;
         k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        store_dt<DST>(dst, k, load_dt<SRC>(src, k));
    }
}

}  // namespace reel
