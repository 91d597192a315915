// AVX2 + FMA kernels of the CPU spacetime attention (driver:
// attention_engine.inc), for CPUs without AVX-512: the tiles of
// attention_avx512.cpp at 8 lanes and 16 registers — 6 rows x 16 keys of scores
// and 6 rows x 16 channels of P.V per micro-tile. bf16 storage is widened to
// fp32 when packed. Only code after the pragma uses AVX2.
#include <immintrin.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "../parallel.h"
#include "attention_plan.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace reel {
namespace cpu {
namespace attention {
namespace avx2 {

struct V {
    using R = __m256;
    static constexpr int W = 8;
    static R load(const float* ptr) { return _mm256_loadu_ps(ptr); }
    static void store(float* ptr, R x) { _mm256_storeu_ps(ptr, x); }
    static R set1(float x) { return _mm256_set1_ps(x); }
    // max(a, b) returns b when either is NaN: callers put the data second.
    static R max(R a, R b) { return _mm256_max_ps(a, b); }
    static R add(R a, R b) { return _mm256_add_ps(a, b); }
    static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
    static float hmax(R x) {
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        return _mm_cvtss_f32(m);
    }
    static float hsum(R x) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    // 2^x as in attention_v512.inc; x <= -127 gives exactly 0 (exponent field 0).
    static R exp2(R x) {
        x = _mm256_max_ps(_mm256_set1_ps(-127.0f), x);
        const R n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const R f = _mm256_sub_ps(x, n);
        R y = _mm256_set1_ps(1.535336188319500e-4f);
        y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(1.339887440266574e-3f));
        y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(9.618437357674640e-3f));
        y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(5.550332471162809e-2f));
        y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(2.402264791363012e-1f));
        y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(6.931472028550421e-1f));
        y = _mm256_fmadd_ps(y, f, _mm256_set1_ps(1.0f));
        const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    }
};

#include "attention_engine.inc"

template <int NV>
inline void scores_tile(const float* q, int64_t d, const float* kt, int width, float* s) {
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
    for (int64_t c = 0; c < d; ++c) {
        const float* kr = kt + c * width;
        __m256 kv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) kv[v] = _mm256_loadu_ps(kr + 8 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m256 qb = _mm256_broadcast_ss(q + i * d + c);
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(qb, kv[v], acc[i][v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) _mm256_storeu_ps(s + i * BC + 8 * v, acc[i][v]);
}

inline void accumulate_tile(const float* pb, const float* vb, int jn, int64_t d, float* o, const float* alpha) {
    __m256 acc[MR][2];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        const __m256 a = _mm256_set1_ps(alpha[i]);
        acc[i][0] = _mm256_mul_ps(_mm256_loadu_ps(o + i * d), a);
        acc[i][1] = _mm256_mul_ps(_mm256_loadu_ps(o + i * d + 8), a);
    }
    for (int j = 0; j < jn; ++j) {
        const __m256 v0 = _mm256_loadu_ps(vb + j * d), v1 = _mm256_loadu_ps(vb + j * d + 8);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m256 pbc = _mm256_broadcast_ss(pb + i * BC + j);
            acc[i][0] = _mm256_fmadd_ps(pbc, v0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(pbc, v1, acc[i][1]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        _mm256_storeu_ps(o + i * d, acc[i][0]);
        _mm256_storeu_ps(o + i * d + 8, acc[i][1]);
    }
}

struct KernF32 {
    using E = float;
    static constexpr int W = 8;
    static void put_q(float* dst, const float* x, int64_t d) { copy_row(dst, x, d); }
    static void put_k(float* kt, int width, int j, const float* x, int64_t d) {
        for (int64_t c = 0; c < d; ++c) kt[c * width + j] = x[c];
    }
    static void put_v(float* vb, int, int j, const float* x, int64_t d) { copy_row(vb + j * d, x, d); }
    static void scores(const float* q, int64_t d, const float* kt, int width, float* s) {
        int col = 0;
        for (; col + 16 <= width; col += 16) scores_tile<2>(q, d, kt + col, width, s + col);
        if (col < width) scores_tile<1>(q, d, kt + col, width, s + col);
    }
    static void softmax(float* s, int width, int valid, float* m, float* l, float* alpha, float* pb) {
        softmax_tile(s, width, valid, m, l, alpha, [&](int i, int j, __m256 pv) { _mm256_storeu_ps(pb + i * BC + j, pv); });
    }
    static void accumulate(const float* pb, const float* vb, int, int valid, int64_t d, float* o, const float* alpha) {
        for (int64_t c0 = 0; c0 < d; c0 += 16) accumulate_tile(pb, vb + c0, valid, d, o + c0, alpha);
    }
};

}  // namespace avx2

reel_status run_avx2(const Problem& pr) { return avx2::drive<avx2::KernF32>(pr); }

}  // namespace attention
}  // namespace cpu
}  // namespace reel

#pragma GCC pop_options
