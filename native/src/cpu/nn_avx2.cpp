// AVX2 + FMA build of the CPU model-layer and image-layer kernels (nn_engine.inc, image_engine.inc): 8 fp32 lanes,
// sums in two 4-lane double halves. Only code after the pragma uses AVX2;
// nn.cpp calls it after checking the CPU.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "../parallel.h"
#include "nn_kernels.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace reel {
namespace cpu {
namespace layers {
namespace avx2 {

#include "../../../kernels/nn/nn_math.inc"

struct V {
    using R = __m256;
    static constexpr int W = 8;
    static R set(float v) { return _mm256_set1_ps(v); }
    static R load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
    static R add(R a, R b) { return _mm256_add_ps(a, b); }
    static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
    static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
    static R div(R a, R b) { return _mm256_div_ps(a, b); }
    static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
    static R negabs(R x) { return _mm256_or_ps(x, _mm256_set1_ps(-0.0f)); }
    static R max(R a, R b) { return _mm256_max_ps(a, b); }  // a > b ? a : b, as F32::max
    static R where_nonneg(R z, R a, R b) {
        return _mm256_blendv_ps(b, a, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GE_OQ));
    }
    static R scale_magic(R y, R t) {
        const __m256i n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
        const __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
        const __m256i bias = _mm256_set1_epi32(127);
        const R p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
        const R p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
        return _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
    }

    static void dup2(R x, R& lo, R& hi) {
        lo = _mm256_permutevar8x32_ps(x, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
        hi = _mm256_permutevar8x32_ps(x, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7));
    }
    static R evens(R a, R b) {
        // [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs in the order 0, 2, 1, 3
        const R t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
    }

    struct D {
        __m256d lo, hi;  // lanes 0-3, 4-7
    };
    static D dzero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
    static D dadd(D d, R x) {
        d.lo = _mm256_add_pd(d.lo, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
        d.hi = _mm256_add_pd(d.hi, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
        return d;
    }
    static D dsqdev(D d, R x, double mean) {
        const __m256d m = _mm256_set1_pd(mean);
        const __m256d lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), m);
        const __m256d hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), m);
        d.lo = _mm256_add_pd(d.lo, _mm256_mul_pd(lo, lo));
        d.hi = _mm256_add_pd(d.hi, _mm256_mul_pd(hi, hi));
        return d;
    }
    static double dsum(D d) {
        const __m256d s = _mm256_add_pd(d.lo, d.hi);
        __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
        h = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
        return _mm_cvtsd_f64(h);
    }
    static R dmean(D d, int64_t n) {
        const __m256d dn = _mm256_set1_pd(static_cast<double>(n));
        const __m128 lo = _mm256_cvtpd_ps(_mm256_div_pd(d.lo, dn));
        const __m128 hi = _mm256_cvtpd_ps(_mm256_div_pd(d.hi, dn));
        return _mm256_set_m128(hi, lo);
    }
};

#include "nn_engine.inc"
#include "image_engine.inc"

}  // namespace avx2

const Kernels& kernels_avx2() { return avx2::table(); }
const ImageKernels& image_kernels_avx2() { return avx2::image_table(); }

}  // namespace layers
}  // namespace cpu
}  // namespace reel

#pragma GCC pop_options
