// activation.cuh — the elementwise affine layers on the device: reel_bias_act
// (bias or per-token table, then NONE / GELU_TANH / SILU) and
// reel_channel_affine (a per-channel scale and shift). Contract: reel.h, "model
// layers" and "image layers"; shared pieces: common.cuh.
//
// One thread per element: a flat index i over rows*dim (channels*count) strides
// over the grid and is split into (row, column). Each element is read once and
// written once with the operations of nn_math.inc, so fp32 storage gives the
// CPU's bits exactly; in place (out = x, same stride) is safe because an
// element is read by the thread that writes it.
#pragma once

#include <stdint.h>

#include "common.cuh"

namespace reel {
namespace nn {

struct BiasActArgs {
    const void* x;
    const void* bias;  // [bias_rows, dim] or NULL
    void* out;
    int64_t rows, dim, bias_rows, x_stride, out_stride;
};

template <int DT, int Act>
__global__ void bias_act_kernel(BiasActArgs a) {
    const int64_t n = a.rows * a.dim;
    for (int64_t i = nn_first(); i < n; i += nn_step()) {
        const int64_t r = i / a.dim, c = i - r * a.dim;
        const float b = a.bias != nullptr ? nn_load<DT>(a.bias, r % a.bias_rows * a.dim + c) : 0.0f;
        const float v = F32::add(nn_load<DT>(a.x, r * a.x_stride + c), b);
        nn_store<DT>(a.out, r * a.out_stride + c, nn_activate<Act>(v));
    }
}

struct ChannelAffineArgs {
    const void* x;      // NULL: 0 (out = shift)
    const void* scale;  // [channels] or NULL
    const void* shift;  // [channels] or NULL
    void* out;
    int64_t channels, count, x_stride, out_stride;
};

template <int DT>
__global__ void channel_affine_kernel(ChannelAffineArgs a) {
    const int64_t n = a.channels * a.count;
    for (int64_t i = nn_first(); i < n; i += nn_step()) {
        const int64_t c = i / a.count, k = i - c * a.count;
        const float sh = nn_load_or<DT>(a.shift, c, 0.0f);
        float v = sh;
        if (a.x != nullptr) v = channel_affine_value<F32>(nn_load<DT>(a.x, c * a.x_stride + k), nn_load_or<DT>(a.scale, c, 1.0f), sh);
        nn_store<DT>(a.out, c * a.out_stride + k, v);
    }
}

}  // namespace nn
}  // namespace reel
