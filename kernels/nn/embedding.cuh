// embedding.cuh — the embeddings on the device: reel_timestep_embedding (the
// sinusoidal embedding of a timestep per sample), reel_embedding (token table
// gather with a position table) and reel_masked_mean (the mean of a sample's
// first lengths[b] rows). Contract: reel.h, "model layers"; shared pieces:
// common.cuh.
//
// ids and lengths are device memory that the host cannot read before the
// launch, so the kernels check them: a row whose id is outside [0, vocab), or
// a sample whose length is outside [1, len], gets NaN in every element.
//
// One thread per output element through a flat grid-stride index. The masked
// mean's thread owns one column of one sample and adds its rows in row order
// in double, as the CPU does, so fp32 storage gives the CPU's bits. The
// timestep embedding evaluates exp, cos and sin in double (the device's
// double functions, within an ulp or two of double, then rounded to float).
#pragma once

#include <stdint.h>

#include "common.cuh"

namespace reel {
namespace nn {

__device__ __forceinline__ float nn_nan() { return F32::from_bits(0x7FC00000u); }

// out [batch, dim]: cosines in [0, half), sines in [half, dim).
template <int DT>
__global__ void timestep_embedding_kernel(const float* t, void* out, int64_t batch, int64_t dim, float scale) {
    const int64_t half = dim / 2, n = batch * half;
    for (int64_t i = nn_first(); i < n; i += nn_step()) {
        const int64_t b = i / half, j = i - b * half;
        const double arg = static_cast<double>(timestep_arg(t[b], scale, timestep_freq(j, half)));
        nn_store<DT>(out, b * dim + j, static_cast<float>(cos(arg)));
        nn_store<DT>(out, b * dim + half + j, static_cast<float>(sin(arg)));
    }
}

struct EmbeddingArgs {
    const int64_t* ids;  // [rows], device memory
    const void* table;   // [vocab, dim]
    const void* pos;     // [positions, dim] or NULL
    void* out;           // [rows, dim]
    int64_t rows, dim, vocab, positions;
    float scale;
};

template <int DT>
__global__ void embedding_kernel(EmbeddingArgs a) {
    const int64_t n = a.rows * a.dim;
    for (int64_t i = nn_first(); i < n; i += nn_step()) {
        const int64_t r = i / a.dim, c = i - r * a.dim;
        const int64_t id = a.ids[r];
        float v = nn_nan();
        if (id >= 0 && id < a.vocab) {
            const float p = a.pos != nullptr ? nn_load<DT>(a.pos, r % a.positions * a.dim + c) : 0.0f;
            v = embed_value<F32>(nn_load<DT>(a.table, id * a.dim + c), a.scale, p);
        }
        nn_store<DT>(a.out, i, v);
    }
}

// out[b, c] = mean of x[b, l, c] over l < lengths[b]; x [batch, len, dim].
template <int DT>
__global__ void masked_mean_kernel(const void* x, const int64_t* lengths, void* out, int64_t batch, int64_t len,
                                   int64_t dim) {
    const int64_t n = batch * dim;
    for (int64_t i = nn_first(); i < n; i += nn_step()) {
        const int64_t b = i / dim, c = i - b * dim;
        const int64_t m = lengths[b];
        float v = nn_nan();
        if (m >= 1 && m <= len) {
            const int64_t base = b * len * dim + c;
            double s = 0.0;
            for (int64_t l = 0; l < m; ++l) s = dadd(s, static_cast<double>(nn_load<DT>(x, base + l * dim)));
            v = mean_value(s, m);
        }
        nn_store<DT>(out, i, v);
    }
}

}  // namespace nn
}  // namespace reel
