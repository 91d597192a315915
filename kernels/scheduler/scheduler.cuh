// scheduler.cuh — reel_scheduler_step on the device (contract in reel.h,
// "scheduler step"; per-element arithmetic shared with the CPU in step.h).
//
// One thread owns one Philox group: the elements whose Philox index lies in
// [4g, 4g + 4). It reads x, cond, uncond and prev of those elements once, draws
// their four normals in registers when the step adds noise, and writes out and
// aux once. When the group is whole and every pointer is 16-byte (fp32) or
// 8-byte (16-bit) aligned, the four elements move as one vector load / store.
//
// Guidance rescale needs the per-sample standard deviations first:
// rescale_partials_kernel sums (c, c², m, m²) in double over a fixed grid of
// blocks per sample with a fixed reduction tree (deterministic, no atomics) and
// rescale_factor_kernel folds the partials in order into one float per sample.
#pragma once

#include <stdint.h>

#include "reel/reel.h"

#include "../common/dtype.h"
#include "../common/philox.h"
#include "step.h"

namespace reel {

struct StepArgs {
    const void* x;
    const void* cond;
    const void* uncond;   // nullptr: no guidance
    const void* prev;     // read when use_prev
    void* out;
    void* aux;            // nullptr: no aux output
    const float* factors; // per-sample rescale factors, nullptr: no rescale
    int64_t count;
    int64_t per_sample;
    uint64_t seed, noise_stream, noise_offset;
    StepCoefficients k;
    bool use_prev, use_noise;
};

// Storage tag: 0 f32, 1 bf16, 2 f16 (reel_dtype).
template <int DT>
__device__ __forceinline__ float sched_load(const void* p, int64_t k) {
    if (DT == 0) return static_cast<const float*>(p)[k];
    if (DT == 1) return bf16_to_f32(static_cast<const uint16_t*>(p)[k]);
    return f16_to_f32(static_cast<const uint16_t*>(p)[k]);
}

template <int DT>
__device__ __forceinline__ void sched_store(void* p, int64_t k, float v) {
    if (DT == 0) static_cast<float*>(p)[k] = v;
    else if (DT == 1) static_cast<uint16_t*>(p)[k] = f32_to_bf16(v);
    else static_cast<uint16_t*>(p)[k] = f32_to_f16(v);
}

// Four consecutive elements from k (k % 4 == 0, aligned base pointer).
template <int DT>
__device__ __forceinline__ void sched_load4(const void* p, int64_t k, float* v) {
    if (DT == 0) {
        const float4 q = *reinterpret_cast<const float4*>(static_cast<const float*>(p) + k);
        v[0] = q.x; v[1] = q.y; v[2] = q.z; v[3] = q.w;
    } else {
        const uint2 q = *reinterpret_cast<const uint2*>(static_cast<const uint16_t*>(p) + k);
        const uint16_t h[4] = {static_cast<uint16_t>(q.x & 0xFFFFu), static_cast<uint16_t>(q.x >> 16),
                               static_cast<uint16_t>(q.y & 0xFFFFu), static_cast<uint16_t>(q.y >> 16)};
#pragma unroll
        for (int j = 0; j < 4; ++j) v[j] = DT == 1 ? bf16_to_f32(h[j]) : f16_to_f32(h[j]);
    }
}

template <int DT>
__device__ __forceinline__ void sched_store4(void* p, int64_t k, const float* v) {
    if (DT == 0) {
        *reinterpret_cast<float4*>(static_cast<float*>(p) + k) = make_float4(v[0], v[1], v[2], v[3]);
    } else {
        uint16_t h[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) h[j] = DT == 1 ? f32_to_bf16(v[j]) : f32_to_f16(v[j]);
        *reinterpret_cast<uint2*>(static_cast<uint16_t*>(p) + k) =
            make_uint2(h[0] | (static_cast<uint32_t>(h[1]) << 16), h[2] | (static_cast<uint32_t>(h[3]) << 16));
    }
}

// SD: state dtype (x, prev, out, aux); MD: model dtype (cond, uncond).
// VEC: the launcher found noise_offset % 4 == 0 and every pointer aligned.
template <int SD, int MD, bool VEC>
__global__ void scheduler_step_kernel(StepArgs a) {
    const uint64_t first_group = a.noise_offset >> 2;
    const uint64_t last = a.noise_offset + static_cast<uint64_t>(a.count - 1);
    const uint64_t groups = (last >> 2) - first_group + 1;
    for (uint64_t t = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; t < groups;
         t += static_cast<uint64_t>(gridDim.x) * blockDim.x) {
        const uint64_t g = first_group + t;
        // Element k of the tensors has Philox index noise_offset + k.
        // (wraps to -1..-3 for the lanes before element 0 of the first group)
        const int64_t k0 = static_cast<int64_t>(4 * g - a.noise_offset);
        bool valid[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) valid[j] = k0 + j >= 0 && k0 + j < a.count;
        const bool whole = VEC && valid[0] && valid[3];
        float x[4] = {}, c[4] = {}, u[4] = {}, p[4] = {}, z[4] = {};
        if (whole) {
            sched_load4<SD>(a.x, k0, x);
            sched_load4<MD>(a.cond, k0, c);
            if (a.uncond) sched_load4<MD>(a.uncond, k0, u);
            if (a.use_prev) sched_load4<SD>(a.prev, k0, p);
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (!valid[j]) continue;
                x[j] = sched_load<SD>(a.x, k0 + j);
                c[j] = sched_load<MD>(a.cond, k0 + j);
                if (a.uncond) u[j] = sched_load<MD>(a.uncond, k0 + j);
                if (a.use_prev) p[j] = sched_load<SD>(a.prev, k0 + j);
            }
        }
        if (a.use_noise) philox_normal4(a.seed, a.noise_stream, g, z);
        float o[4], q[4];  // lanes outside the tensor are computed and dropped
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            float m = a.uncond ? step_guide(c[j], u[j], a.k.g) : c[j];
            if (a.factors && valid[j]) m = fmul(a.factors[(k0 + j) / a.per_sample], m);
            o[j] = step_lin2(a.k.c_x, x[j], a.k.c_m, m);
            if (a.use_prev) o[j] = step_axpy(o[j], a.k.c_p, p[j]);
            if (a.use_noise) o[j] = step_axpy(o[j], a.k.c_z, z[j]);
            q[j] = step_lin2(a.k.a_x, x[j], a.k.a_m, m);
        }
        if (whole) {
            sched_store4<SD>(a.out, k0, o);
            if (a.aux) sched_store4<SD>(a.aux, k0, q);
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (!valid[j]) continue;
                sched_store<SD>(a.out, k0 + j, o[j]);
                if (a.aux) sched_store<SD>(a.aux, k0 + j, q[j]);
            }
        }
    }
}

constexpr int kRescaleThreads = 256;
constexpr int kStepThreads = 256;

// The launcher's decisions, kept here so that the host build of this file
// (native/tests/scheduler_host) makes the same ones.
inline StepArgs make_step_args(const reel_step_params& p, const void* x, const void* cond, const void* uncond,
                               const void* prev, void* out, void* aux) {
    StepArgs a;
    a.x = x;
    a.cond = cond;
    a.uncond = uncond;
    a.prev = prev;
    a.out = out;
    a.aux = aux;
    a.factors = nullptr;
    a.count = p.count;
    a.per_sample = p.count / p.batch;
    a.seed = p.seed;
    a.noise_stream = p.noise_stream;
    a.noise_offset = p.noise_offset;
    a.k.g = static_cast<float>(p.guidance_scale);
    a.k.c_x = static_cast<float>(p.c_x);
    a.k.c_m = static_cast<float>(p.c_m);
    a.k.c_p = static_cast<float>(p.c_p);
    a.k.c_z = static_cast<float>(p.c_z);
    a.k.a_x = static_cast<float>(p.a_x);
    a.k.a_m = static_cast<float>(p.a_m);
    a.use_prev = p.c_p != 0.0;
    a.use_noise = p.c_z != 0.0;
    return a;
}

// Philox groups the step's threads cover.
inline uint64_t step_groups(const reel_step_params& p) {
    return ((p.noise_offset + static_cast<uint64_t>(p.count - 1)) >> 2) - (p.noise_offset >> 2) + 1;
}

// Whether every thread's whole group may move as one vector: the first element
// starts a group and every pointer is aligned to four elements.
inline bool step_vectorizable(const reel_step_params& p, const StepArgs& a) {
    const uintptr_t sb = p.state_dtype == REEL_F32 ? 16 : 8, mb = p.model_dtype == REEL_F32 ? 16 : 8;
    auto aligned = [](const void* q, uintptr_t bytes) { return q == nullptr || reinterpret_cast<uintptr_t>(q) % bytes == 0; };
    return p.noise_offset % 4 == 0 && aligned(a.x, sb) && aligned(a.prev, sb) && aligned(a.out, sb) && aligned(a.aux, sb) &&
           aligned(a.cond, mb) && aligned(a.uncond, mb);
}

// Blocks per sample of the rescale statistics: about 8 elements per thread, at most 64.
inline int rescale_blocks(int64_t per_sample) {
    const int64_t want = (per_sample + kRescaleThreads * 8 - 1) / (kRescaleThreads * 8);
    return static_cast<int>(want < 64 ? want : 64);
}

// partials[(b * gridDim.x + blockIdx.x) * 4 + {0,1,2,3}] = Σc, Σc², Σm, Σm² over
// the elements of sample b that this block strides over.
template <int MD>
__global__ void rescale_partials_kernel(const void* cond, const void* uncond, float g, int64_t batch,
                                        int64_t per_sample, double* partials) {
    __shared__ double sums[4][kRescaleThreads];
    for (int64_t b = blockIdx.y; b < batch; b += gridDim.y) {
        double s[4] = {0.0, 0.0, 0.0, 0.0};
        for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < per_sample;
             i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
            const int64_t k = b * per_sample + i;
            const float c = sched_load<MD>(cond, k);
            const float m = step_guide(c, sched_load<MD>(uncond, k), g);
            s[0] = dadd(s[0], c);
            s[1] = dadd(s[1], dmul(c, c));
            s[2] = dadd(s[2], m);
            s[3] = dadd(s[3], dmul(m, m));
        }
#pragma unroll
        for (int j = 0; j < 4; ++j) sums[j][threadIdx.x] = s[j];
        __syncthreads();
        for (int half = kRescaleThreads / 2; half > 0; half /= 2) {
            if (static_cast<int>(threadIdx.x) < half) {
#pragma unroll
                for (int j = 0; j < 4; ++j) sums[j][threadIdx.x] = dadd(sums[j][threadIdx.x], sums[j][threadIdx.x + half]);
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
#pragma unroll
            for (int j = 0; j < 4; ++j) partials[(b * gridDim.x + blockIdx.x) * 4 + j] = sums[j][0];
        }
        __syncthreads();
    }
}

__global__ void rescale_factor_kernel(const double* partials, int blocks_per_sample, int64_t batch,
                                      int64_t per_sample, double phi, float* factors) {
    for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; b < batch;
         b += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        double s[4] = {0.0, 0.0, 0.0, 0.0};
        for (int i = 0; i < blocks_per_sample; ++i) {
#pragma unroll
            for (int j = 0; j < 4; ++j) s[j] = dadd(s[j], partials[(b * blocks_per_sample + i) * 4 + j]);
        }
        factors[b] = step_rescale_factor(phi, per_sample, s[0], s[1], s[2], s[3]);
    }
}

}  // namespace reel
