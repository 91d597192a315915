// AVX-512 kernels of the CPU spacetime attention (driver: attention_engine.inc).
// Register-blocked fp32 tiles: 6 query rows x 64 keys of scores, 6 rows x 64
// channels of P.V, all FMAs with broadcast operands. bf16 storage is widened to
// fp32 when packed (attention_avx512bf16.cpp has the bf16 dot-product path).
// Only code after the pragma uses AVX-512; attention.cpp calls run_avx512 after
// checking the CPU.
#include <immintrin.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "../parallel.h"
#include "attention_plan.h"

#pragma GCC push_options
// GCC 12 reports the _mm512_undefined_ps() pass-through operands inside its own
// intrinsics (max, roundscale, scalef, extract) as maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

namespace reel {
namespace cpu {
namespace attention {
namespace avx512 {

#include "attention_v512.inc"
#include "attention_engine.inc"

// ---- fp32 ------------------------------------------------------------------

template <int NV>
inline void scores_tile(const float* q, int64_t d, const float* kt, int width, float* s) {
    __m512 acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
    for (int64_t c = 0; c < d; ++c) {
        const float* kr = kt + c * width;
        __m512 kv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) kv[v] = _mm512_loadu_ps(kr + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512 qb = _mm512_set1_ps(q[i * d + c]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(qb, kv[v], acc[i][v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) _mm512_storeu_ps(s + i * BC + 16 * v, acc[i][v]);
}

template <int NVD>
inline void accumulate_tile(const float* pb, const float* vb, int jn, int64_t d, float* o, const float* alpha) {
    __m512 acc[MR][NVD];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        const __m512 a = _mm512_set1_ps(alpha[i]);
#pragma GCC unroll 4
        for (int v = 0; v < NVD; ++v) acc[i][v] = _mm512_mul_ps(_mm512_loadu_ps(o + i * d + 16 * v), a);
    }
    for (int j = 0; j < jn; ++j) {
        const float* vr = vb + j * d;
        __m512 vv[NVD];
#pragma GCC unroll 4
        for (int v = 0; v < NVD; ++v) vv[v] = _mm512_loadu_ps(vr + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512 pbc = _mm512_set1_ps(pb[i * BC + j]);
#pragma GCC unroll 4
            for (int v = 0; v < NVD; ++v) acc[i][v] = _mm512_fmadd_ps(pbc, vv[v], acc[i][v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NVD; ++v) _mm512_storeu_ps(o + i * d + 16 * v, acc[i][v]);
}

struct KernF32 {
    using E = float;
    static constexpr int W = 16;
    static void put_q(float* dst, const float* x, int64_t d) { copy_row(dst, x, d); }
    static void put_k(float* kt, int width, int j, const float* x, int64_t d) {
        for (int64_t c = 0; c < d; ++c) kt[c * width + j] = x[c];
    }
    static void put_v(float* vb, int, int j, const float* x, int64_t d) { copy_row(vb + j * d, x, d); }
    static void scores(const float* q, int64_t d, const float* kt, int width, float* s) {
        int col = 0;
        for (; col + 64 <= width; col += 64) scores_tile<4>(q, d, kt + col, width, s + col);
        switch ((width - col) / 16) {
            case 3: scores_tile<3>(q, d, kt + col, width, s + col); break;
            case 2: scores_tile<2>(q, d, kt + col, width, s + col); break;
            case 1: scores_tile<1>(q, d, kt + col, width, s + col); break;
            default: break;
        }
    }
    static void softmax(float* s, int width, int valid, float* m, float* l, float* alpha, float* pb) {
        softmax_tile(s, width, valid, m, l, alpha, [&](int i, int j, __m512 pv) { _mm512_storeu_ps(pb + i * BC + j, pv); });
    }
    static void accumulate(const float* pb, const float* vb, int, int valid, int64_t d, float* o, const float* alpha) {
        int64_t c0 = 0;
        for (; c0 + 64 <= d; c0 += 64) accumulate_tile<4>(pb, vb + c0, valid, d, o + c0, alpha);
        if (d - c0 == 32) accumulate_tile<2>(pb, vb + c0, valid, d, o + c0, alpha);
    }
};

}  // namespace avx512

reel_status run_avx512(const Problem& pr) { return avx512::drive<avx512::KernF32>(pr); }

}  // namespace attention
}  // namespace cpu
}  // namespace reel

#pragma GCC diagnostic pop
#pragma GCC pop_options
