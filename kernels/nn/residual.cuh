// residual.cuh — reel_residual on the device: the gated residual of adaLN-Zero
// with the projection's bias folded in, x = fma(gate, y + bias, x), in place
// on x. Contract: reel.h, "model layers"; shared pieces: common.cuh.
//
// One thread per element (a flat index over rows*dim striding over the grid),
// the operations of nn_math.inc's gated_residual: fp32 storage gives the CPU's
// bits exactly. y may be x itself: each element is read and written by one
// thread.
#pragma once

#include <stdint.h>

#include "common.cuh"

namespace reel {
namespace nn {

struct ResidualArgs {
    void* x;
    const void* y;
    const void* bias;  // [dim] or NULL
    const void* gate;  // [rows / rows_per_group, gate_stride] or NULL
    int64_t rows, dim, x_stride, y_stride, rows_per_group, gate_stride;
};

template <int DT>
__global__ void residual_kernel(ResidualArgs a) {
    const int64_t n = a.rows * a.dim;
    for (int64_t i = nn_first(); i < n; i += nn_step()) {
        const int64_t r = i / a.dim, c = i - r * a.dim;
        const float g = a.gate != nullptr ? nn_load<DT>(a.gate, r / a.rows_per_group * a.gate_stride + c) : 1.0f;
        const int64_t k = r * a.x_stride + c;
        const float v = gated_residual<F32>(nn_load<DT>(a.x, k), nn_load<DT>(a.y, r * a.y_stride + c),
                                            nn_load_or<DT>(a.bias, c, 0.0f), g);
        nn_store<DT>(a.x, k, v);
    }
}

}  // namespace nn
}  // namespace reel
