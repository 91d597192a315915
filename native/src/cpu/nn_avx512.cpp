// AVX-512 build of the CPU model-layer and image-layer kernels (nn_engine.inc, image_engine.inc): 16 fp32 lanes,
// sums in two 8-lane double halves. Only code after the pragma uses AVX-512;
// nn.cpp calls it after checking the CPU.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "../parallel.h"
#include "nn_kernels.h"

#pragma GCC push_options
// GCC 12 reports the _mm512_undefined_ps() pass-through operands inside its own
// intrinsics as maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

namespace reel {
namespace cpu {
namespace layers {
namespace avx512 {

#include "../../../kernels/nn/nn_math.inc"

struct V {
    using R = __m512;
    static constexpr int W = 16;
    static R set(float v) { return _mm512_set1_ps(v); }
    static R load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
    static R add(R a, R b) { return _mm512_add_ps(a, b); }
    static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
    static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
    static R div(R a, R b) { return _mm512_div_ps(a, b); }
    static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
    static R negabs(R x) { return _mm512_or_ps(x, _mm512_set1_ps(-0.0f)); }
    static R max(R a, R b) { return _mm512_max_ps(a, b); }  // a > b ? a : b, as F32::max
    static R where_nonneg(R z, R a, R b) {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GE_OQ), b, a);
    }
    static R scale_magic(R y, R t) {
        const __m512i n = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
        const __m512i n1 = _mm512_srai_epi32(n, 1), n2 = _mm512_sub_epi32(n, n1);
        const __m512i bias = _mm512_set1_epi32(127);
        const R p1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
        const R p2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
        return _mm512_mul_ps(_mm512_mul_ps(y, p1), p2);
    }

    static void dup2(R x, R& lo, R& hi) {
        lo = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), x);
        hi = _mm512_permutexvar_ps(_mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15), x);
    }
    static R evens(R a, R b) {
        const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        return _mm512_permutex2var_ps(a, idx, b);  // indices from 16 on pick from b
    }

    struct D {
        __m512d lo, hi;  // lanes 0-7, 8-15
    };
    static D dzero() { return {_mm512_setzero_pd(), _mm512_setzero_pd()}; }
    static D dadd(D d, R x) {
        d.lo = _mm512_add_pd(d.lo, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
        d.hi = _mm512_add_pd(d.hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
        return d;
    }
    static D dsqdev(D d, R x, double mean) {
        const __m512d m = _mm512_set1_pd(mean);
        const __m512d lo = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(x)), m);
        const __m512d hi = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)), m);
        d.lo = _mm512_add_pd(d.lo, _mm512_mul_pd(lo, lo));
        d.hi = _mm512_add_pd(d.hi, _mm512_mul_pd(hi, hi));
        return d;
    }
    static double dsum(D d) { return _mm512_reduce_add_pd(_mm512_add_pd(d.lo, d.hi)); }
    static R dmean(D d, int64_t n) {
        const __m512d dn = _mm512_set1_pd(static_cast<double>(n));
        const __m256 lo = _mm512_cvtpd_ps(_mm512_div_pd(d.lo, dn));
        const __m256 hi = _mm512_cvtpd_ps(_mm512_div_pd(d.hi, dn));
        return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    }
};

#include "nn_engine.inc"
#include "image_engine.inc"

}  // namespace avx512

const Kernels& kernels_avx512() { return avx512::table(); }
const ImageKernels& image_kernels_avx512() { return avx512::image_table(); }

}  // namespace layers
}  // namespace cpu
}  // namespace reel

#pragma GCC diagnostic pop
#pragma GCC pop_options
