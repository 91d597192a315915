// bf16 kernels of the CPU spacetime attention for CPUs with AVX512_BF16 (driver:
// attention_engine.inc). The tiles of attention_avx512.cpp with vdpbf16ps: two
// channels (scores) or two keys (P.V) per 32-bit lane, so K is packed as channel
// pairs and V as key pairs; Q, K, P and V are bf16, every sum fp32. Only code
// after the pragma uses these instructions; attention.cpp checks the CPU first.
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
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")

namespace reel {
namespace cpu {
namespace attention {
namespace avx512bf16 {

#include "attention_v512.inc"
#include "attention_engine.inc"

// ---- bf16 with vdpbf16ps ---------------------------------------------------

inline uint32_t pair_at(const uint16_t* ptr) {
    uint32_t u;
    __builtin_memcpy(&u, ptr, sizeof u);
    return u;
}

template <int NV>
inline void scores_tile_bf16(const uint16_t* q, int64_t d, const uint16_t* kt, int width, float* s) {
    __m512 acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
    for (int64_t c2 = 0; c2 < d / 2; ++c2) {
        const uint16_t* kr = kt + c2 * width * 2;
        __m512i kv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) kv[v] = _mm512_loadu_si512(kr + 32 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512i qb = _mm512_set1_epi32(static_cast<int>(pair_at(q + i * d + 2 * c2)));
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], (__m512bh)qb, (__m512bh)kv[v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) _mm512_storeu_ps(s + i * BC + 16 * v, acc[i][v]);
}

template <int NVD>
inline void accumulate_tile_bf16(const uint16_t* pb, const uint16_t* vb, int jn, int64_t d, float* o,
                                 const float* alpha) {
    __m512 acc[MR][NVD];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        const __m512 a = _mm512_set1_ps(alpha[i]);
#pragma GCC unroll 4
        for (int v = 0; v < NVD; ++v) acc[i][v] = _mm512_mul_ps(_mm512_loadu_ps(o + i * d + 16 * v), a);
    }
    for (int j2 = 0; j2 < jn / 2; ++j2) {
        const uint16_t* vr = vb + j2 * d * 2;
        __m512i vv[NVD];
#pragma GCC unroll 4
        for (int v = 0; v < NVD; ++v) vv[v] = _mm512_loadu_si512(vr + 32 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512i pbc = _mm512_set1_epi32(static_cast<int>(pair_at(pb + i * BC + 2 * j2)));
#pragma GCC unroll 4
            for (int v = 0; v < NVD; ++v) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], (__m512bh)pbc, (__m512bh)vv[v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NVD; ++v) _mm512_storeu_ps(o + i * d + 16 * v, acc[i][v]);
}

struct KernBf16 {
    using E = uint16_t;
    static constexpr int W = 16;
    static void put_q(uint16_t* dst, const float* x, int64_t d) {
        for (int64_t c = 0; c < d; ++c) dst[c] = f32_to_bf16(x[c]);
    }
    // K as channel pairs: [d/2][width][2]
    static void put_k(uint16_t* kt, int width, int j, const float* x, int64_t d) {
        for (int64_t c = 0; c < d; ++c) kt[(c / 2) * width * 2 + j * 2 + (c & 1)] = f32_to_bf16(x[c]);
    }
    // V as key pairs: [width/2][d][2]
    static void put_v(uint16_t* vb, int, int j, const float* x, int64_t d) {
        for (int64_t c = 0; c < d; ++c) vb[(j / 2) * d * 2 + c * 2 + (j & 1)] = f32_to_bf16(x[c]);
    }
    static void scores(const uint16_t* q, int64_t d, const uint16_t* kt, int width, float* s) {
        int col = 0;
        for (; col + 64 <= width; col += 64) scores_tile_bf16<4>(q, d, kt + col * 2, width, s + col);
        switch ((width - col) / 16) {
            case 3: scores_tile_bf16<3>(q, d, kt + col * 2, width, s + col); break;
            case 2: scores_tile_bf16<2>(q, d, kt + col * 2, width, s + col); break;
            case 1: scores_tile_bf16<1>(q, d, kt + col * 2, width, s + col); break;
            default: break;
        }
    }
    static void softmax(float* s, int width, int valid, float* m, float* l, float* alpha, uint16_t* pb) {
        softmax_tile(s, width, valid, m, l, alpha, [&](int i, int j, __m512 pv) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(pb + i * BC + j), (__m256i)_mm512_cvtneps_pbh(pv));
        });
    }
    static void accumulate(const uint16_t* pb, const uint16_t* vb, int, int valid, int64_t d, float* o,
                           const float* alpha) {
        const int jn = (valid + 1) / 2 * 2;  // an odd tail pairs with a zero key (P = 0, V = 0)
        int64_t c0 = 0;
        for (; c0 + 64 <= d; c0 += 64) accumulate_tile_bf16<4>(pb, vb + c0 * 2, jn, d, o + c0, alpha);
        if (d - c0 == 32) accumulate_tile_bf16<2>(pb, vb + c0 * 2, jn, d, o + c0, alpha);
    }
};

}  // namespace avx512bf16

reel_status run_avx512bf16(const Problem& pr) { return avx512bf16::drive<avx512bf16::KernBf16>(pr); }

}  // namespace attention
}  // namespace cpu
}  // namespace reel

#pragma GCC diagnostic pop
#pragma GCC pop_options
