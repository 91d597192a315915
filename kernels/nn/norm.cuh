// norm.cuh — the normalisations on the device: reel_layer_norm (with the
// optional affine and adaLN modulation), reel_rms_norm (per-head QK-norm) and
// reel_group_norm (with its optional activation). Contract: reel.h, "model
// layers" and "image layers"; shared pieces: common.cuh.
//
// One block of kNnThreads threads normalises one row (LayerNorm), one head
// segment of a row (RMSNorm) or one group of one image (GroupNorm) at a time
// and strides over them by gridDim.x. Its threads read the elements in a
// strided pattern, sum them in double, and block_sum adds the threads' sums in
// a fixed tree: the statistics are the CPU's up to the order of the double
// additions. LayerNorm and GroupNorm read their input twice for the two sums
// (sum, then squared deviations from the mean) and once more to write; every
// read of a row precedes the barrier that ends its last sum, so in place
// (out = x) is safe. The optional inputs may be NULL (neutral values).
#pragma once

#include <stdint.h>

#include "common.cuh"

namespace reel {
namespace nn {

struct LayerNormArgs {
    const void* x;
    const void* weight;  // [dim] or NULL
    const void* bias;    // [dim] or NULL
    const void* shift;   // [groups, mod_stride] or NULL
    const void* scale;   // [groups, mod_stride] or NULL
    void* out;
    int64_t rows, dim, x_stride, out_stride, rows_per_group, mod_stride;
    float eps;
};

template <int DT>
__global__ void layer_norm_kernel(LayerNormArgs a) {
    __shared__ double scratch[kNnThreads];
    const bool affine_on = a.weight != nullptr || a.bias != nullptr;
    const bool modulate_on = a.shift != nullptr || a.scale != nullptr;
    for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
        const int64_t xr = r * a.x_stride, orow = r * a.out_stride;
        double s = 0.0;
        for (int64_t c = threadIdx.x; c < a.dim; c += kNnThreads) s = dadd(s, static_cast<double>(nn_load<DT>(a.x, xr + c)));
        const double sum = block_sum(s, scratch);
        const double mean = ddiv(sum, static_cast<double>(a.dim));
        double q = 0.0;
        for (int64_t c = threadIdx.x; c < a.dim; c += kNnThreads) {
            const double d = dsub(static_cast<double>(nn_load<DT>(a.x, xr + c)), mean);
            q = dadd(q, dmul(d, d));
        }
        const double m2 = block_sum(q, scratch);
        const LayerNormStats st = layer_norm_stats(sum, m2, a.dim, a.eps);
        const int64_t mod = modulate_on ? r / a.rows_per_group * a.mod_stride : 0;
        for (int64_t c = threadIdx.x; c < a.dim; c += kNnThreads) {
            float y = layer_norm_value<F32>(nn_load<DT>(a.x, xr + c), st.m, st.m_lo, st.rstd);
            if (affine_on) y = affine<F32>(y, nn_load_or<DT>(a.weight, c, 1.0f), nn_load_or<DT>(a.bias, c, 0.0f));
            if (modulate_on) {
                y = modulate<F32>(y, nn_load_or<DT>(a.shift, mod + c, 0.0f), nn_load_or<DT>(a.scale, mod + c, 0.0f));
            }
            nn_store<DT>(a.out, orow + c, y);
        }
    }
}

struct RmsArgs {
    const void* x;
    const void* weight;  // [head_dim] or NULL
    void* out;
    int64_t rows, heads, head_dim, x_stride, out_stride;
    float eps;
};

// Segments q = r*heads + h: head h of row r.
template <int DT>
__global__ void rms_norm_kernel(RmsArgs a) {
    __shared__ double scratch[kNnThreads];
    const int64_t segments = a.rows * a.heads;
    for (int64_t q = blockIdx.x; q < segments; q += gridDim.x) {
        const int64_t r = q / a.heads, h = q - r * a.heads;
        const int64_t xs = r * a.x_stride + h * a.head_dim, os = r * a.out_stride + h * a.head_dim;
        double s = 0.0;
        for (int64_t c = threadIdx.x; c < a.head_dim; c += kNnThreads) {
            const double v = static_cast<double>(nn_load<DT>(a.x, xs + c));
            s = dadd(s, dmul(v, v));
        }
        const float rstd = rms_rstd(block_sum(s, scratch), a.head_dim, a.eps);
        for (int64_t c = threadIdx.x; c < a.head_dim; c += kNnThreads) {
            nn_store<DT>(a.out, os + c, rms_value<F32>(nn_load<DT>(a.x, xs + c), rstd, nn_load_or<DT>(a.weight, c, 1.0f)));
        }
    }
}

struct GroupNormArgs {
    const void* x;
    const void* weight;  // [channels] or NULL
    const void* bias;    // [channels] or NULL
    void* out;
    int64_t batch, channels, groups, spatial;
    int64_t x_batch_stride, x_channel_stride, out_batch_stride, out_channel_stride;
    float eps;
};

// Tasks t = n*groups + g: group g of image n, its channels one after another,
// each channel's `spatial` contiguous elements strided over the threads.
template <int DT, int Act>
__global__ void group_norm_kernel(GroupNormArgs a) {
    __shared__ double scratch[kNnThreads];
    const int64_t per = a.channels / a.groups, tasks = a.batch * a.groups, count = per * a.spatial;
    for (int64_t t = blockIdx.x; t < tasks; t += gridDim.x) {
        const int64_t n = t / a.groups, c0 = (t - n * a.groups) * per;
        const int64_t xb = n * a.x_batch_stride, ob = n * a.out_batch_stride;
        double s = 0.0;
        for (int64_t c = c0; c < c0 + per; ++c) {
            const int64_t xc = xb + c * a.x_channel_stride;
            for (int64_t k = threadIdx.x; k < a.spatial; k += kNnThreads) s = dadd(s, static_cast<double>(nn_load<DT>(a.x, xc + k)));
        }
        const double sum = block_sum(s, scratch);
        const double mean = ddiv(sum, static_cast<double>(count));
        double q = 0.0;
        for (int64_t c = c0; c < c0 + per; ++c) {
            const int64_t xc = xb + c * a.x_channel_stride;
            for (int64_t k = threadIdx.x; k < a.spatial; k += kNnThreads) {
                const double d = dsub(static_cast<double>(nn_load<DT>(a.x, xc + k)), mean);
                q = dadd(q, dmul(d, d));
            }
        }
        const double m2 = block_sum(q, scratch);
        const LayerNormStats st = layer_norm_stats(sum, m2, count, a.eps);
        for (int64_t c = c0; c < c0 + per; ++c) {
            const int64_t xc = xb + c * a.x_channel_stride, oc = ob + c * a.out_channel_stride;
            const float w = nn_load_or<DT>(a.weight, c, 1.0f), b = nn_load_or<DT>(a.bias, c, 0.0f);
            for (int64_t k = threadIdx.x; k < a.spatial; k += kNnThreads) {
                const float y = group_norm_value<F32>(nn_load<DT>(a.x, xc + k), st.m, st.m_lo, st.rstd, w, b);
                nn_store<DT>(a.out, oc + k, nn_activate<Act>(y));
            }
        }
    }
}

}  // namespace nn
}  // namespace reel
