// CPU twin of kernels/scheduler/scheduler.cuh: reel_scheduler_step (contract in
// reel.h). Compiled with -ffp-contract=off (see CMakeLists.txt): the per-element
// arithmetic of kernels/scheduler/step.h must round exactly as on the device, and
// the in-step noise is philox.h's, bit for bit.
//
// The tensors are walked in blocks of kBlock elements: each block's 16-bit inputs
// are converted into small fp32 buffers (fp32 ones are read in place), the
// arithmetic runs as simple loops over them (which the compiler vectorises), and
// the results are stored from fp32 buffers. All inputs of a block are read before
// any output of it is written, which is what makes in-place use (out == x,
// aux == prev) safe.
#include <cstdint>
#include <vector>

#include "../../../kernels/common/dtype.h"
#include "../../../kernels/common/philox.h"
#include "../../../kernels/scheduler/step.h"
#include "../parallel.h"
#include "cpu_backend.h"

namespace reel {
namespace cpu {
namespace {

constexpr int64_t kBlock = 1024;
// Rescale sums are taken over fixed chunks of a sample, then added in chunk
// order, so the factor does not depend on the number of threads.
constexpr int64_t kStatChunk = 1 << 14;

void load_block(const void* src, int32_t dtype, int64_t k0, int64_t n, float* dst) {
    switch (dtype) {
        case REEL_F32: {
            const float* s = static_cast<const float*>(src) + k0;
            for (int64_t i = 0; i < n; ++i) dst[i] = s[i];
            break;
        }
        case REEL_BF16: {
            const uint16_t* s = static_cast<const uint16_t*>(src) + k0;
            for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
            break;
        }
        default: {
            const uint16_t* s = static_cast<const uint16_t*>(src) + k0;
            for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
            break;
        }
    }
}

// Elements [k0, k0 + n) as fp32: the memory itself for F32, else converted into buf.
const float* view_block(const void* src, int32_t dtype, int64_t k0, int64_t n, float* buf) {
    if (dtype == REEL_F32) return static_cast<const float*>(src) + k0;
    load_block(src, dtype, k0, n, buf);
    return buf;
}

void store_block(void* dst, int32_t dtype, int64_t k0, int64_t n, const float* src) {
    switch (dtype) {
        case REEL_F32: {
            float* d = static_cast<float*>(dst) + k0;
            for (int64_t i = 0; i < n; ++i) d[i] = src[i];
            break;
        }
        case REEL_BF16: {
            uint16_t* d = static_cast<uint16_t*>(dst) + k0;
            for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
            break;
        }
        default: {
            uint16_t* d = static_cast<uint16_t*>(dst) + k0;
            for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
            break;
        }
    }
}

// m for elements [k0, k0 + n): the guided model output (before rescale).
void guided_block(const reel_step_params& p, const void* cond, const void* uncond, float g, int64_t k0,
                  int64_t n, float* m, float* scratch) {
    load_block(cond, p.model_dtype, k0, n, m);
    if (uncond == nullptr) return;
    load_block(uncond, p.model_dtype, k0, n, scratch);
    for (int64_t i = 0; i < n; ++i) m[i] = step_guide(m[i], scratch[i], g);
}

std::vector<float> rescale_factors(const reel_step_params& p, const void* cond, const void* uncond, float g) {
    const int64_t per = p.count / p.batch;
    const int64_t chunks = (per + kStatChunk - 1) / kStatChunk;
    std::vector<double> partial(static_cast<size_t>(p.batch * chunks * 4), 0.0);
    parallel_for(p.batch * chunks, 1, [&](int64_t begin, int64_t end) {
        float c[kBlock], m[kBlock], scratch[kBlock];
        for (int64_t t = begin; t < end; ++t) {
            const int64_t b = t / chunks, first = b * per + (t % chunks) * kStatChunk;
            const int64_t last = first + kStatChunk < (b + 1) * per ? first + kStatChunk : (b + 1) * per;
            double sc = 0, scc = 0, sm = 0, smm = 0;
            for (int64_t k0 = first; k0 < last; k0 += kBlock) {
                const int64_t n = last - k0 < kBlock ? last - k0 : kBlock;
                load_block(cond, p.model_dtype, k0, n, c);
                guided_block(p, cond, uncond, g, k0, n, m, scratch);
                for (int64_t i = 0; i < n; ++i) {
                    const double cv = c[i], mv = m[i];
                    sc += cv;
                    scc += cv * cv;
                    sm += mv;
                    smm += mv * mv;
                }
            }
            double* out = &partial[static_cast<size_t>(t * 4)];
            out[0] = sc;
            out[1] = scc;
            out[2] = sm;
            out[3] = smm;
        }
    });
    std::vector<float> factors(static_cast<size_t>(p.batch));
    for (int64_t b = 0; b < p.batch; ++b) {
        double s[4] = {0, 0, 0, 0};
        for (int64_t ch = 0; ch < chunks; ++ch) {
            for (int j = 0; j < 4; ++j) s[j] += partial[static_cast<size_t>((b * chunks + ch) * 4 + j)];
        }
        factors[static_cast<size_t>(b)] = step_rescale_factor(p.rescale_phi, per, s[0], s[1], s[2], s[3]);
    }
    return factors;
}

// z for Philox indices [i0, i0 + n); i0 + n - 1 does not overflow (checked by api.cpp).
void noise_block(uint64_t seed, uint64_t stream, uint64_t i0, int64_t n, float* z) {
    const uint64_t last = i0 + static_cast<uint64_t>(n - 1);
    for (uint64_t g = i0 >> 2;; ++g) {
        float v[4];
        philox_normal4(seed, stream, g, v);
        for (int j = 0; j < 4; ++j) {
            const uint64_t i = 4 * g + static_cast<uint64_t>(j);
            if (i >= i0 && i <= last) z[i - i0] = v[j];
        }
        if (g == last >> 2) break;
    }
}

}  // namespace

reel_status scheduler_step(const reel_step_params& p, const void* x, const void* cond, const void* uncond,
                           const void* prev, void* out, void* aux) {
    StepCoefficients k;
    k.g = static_cast<float>(p.guidance_scale);
    k.c_x = static_cast<float>(p.c_x);
    k.c_m = static_cast<float>(p.c_m);
    k.c_p = static_cast<float>(p.c_p);
    k.c_z = static_cast<float>(p.c_z);
    k.a_x = static_cast<float>(p.a_x);
    k.a_m = static_cast<float>(p.a_m);
    const bool rescale = p.rescale_phi > 0 && uncond != nullptr;
    const std::vector<float> factors = rescale ? rescale_factors(p, cond, uncond, k.g) : std::vector<float>();
    const int64_t per = p.count / p.batch;
    const bool use_prev = p.c_p != 0.0, use_noise = p.c_z != 0.0;
    const int64_t blocks = (p.count + kBlock - 1) / kBlock;
    parallel_for(blocks, 16, [&](int64_t begin, int64_t end) {
        float xb[kBlock], cb[kBlock], ub[kBlock], m[kBlock], o[kBlock], t[kBlock];
        for (int64_t blk = begin; blk < end; ++blk) {
            const int64_t k0 = blk * kBlock;
            const int64_t n = p.count - k0 < kBlock ? p.count - k0 : kBlock;
            // Every input of the block is read before any output is written (in place is safe).
            const float* xs = view_block(x, p.state_dtype, k0, n, xb);
            const float* cs = view_block(cond, p.model_dtype, k0, n, cb);
            if (uncond != nullptr) {
                const float* us = view_block(uncond, p.model_dtype, k0, n, ub);
                for (int64_t i = 0; i < n; ++i) m[i] = step_guide(cs[i], us[i], k.g);
            } else {
                for (int64_t i = 0; i < n; ++i) m[i] = cs[i];
            }
            if (rescale) {
                for (int64_t i = 0; i < n; ++i) m[i] = fmul(factors[static_cast<size_t>((k0 + i) / per)], m[i]);
            }
            for (int64_t i = 0; i < n; ++i) o[i] = step_lin2(k.c_x, xs[i], k.c_m, m[i]);
            if (use_prev) {
                const float* ps = view_block(prev, p.state_dtype, k0, n, t);
                for (int64_t i = 0; i < n; ++i) o[i] = step_axpy(o[i], k.c_p, ps[i]);
            }
            if (use_noise) {
                noise_block(p.seed, p.noise_stream, p.noise_offset + static_cast<uint64_t>(k0), n, t);
                for (int64_t i = 0; i < n; ++i) o[i] = step_axpy(o[i], k.c_z, t[i]);
            }
            if (aux != nullptr) {
                for (int64_t i = 0; i < n; ++i) t[i] = step_lin2(k.a_x, xs[i], k.a_m, m[i]);
            }
            store_block(out, p.state_dtype, k0, n, o);
            if (aux != nullptr) store_block(aux, p.state_dtype, k0, n, t);
        }
    });
    return REEL_OK;
}

}  // namespace cpu
}  // namespace reel
