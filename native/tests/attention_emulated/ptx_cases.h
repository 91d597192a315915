// ptx_cases.h — checks of the PTX wrappers (kernels/attention/ptx.cuh) against
// the fragment layouts of the PTX ISA, written out here independently of the
// emulation. The same cases run on the host emulation (test_ptx_emulation) and
// on a GPU (test_cuda_ptx), so the emulation and the hardware answer the same
// questions. Each case is one warp (or one block) writing its registers to
// global memory; the host checks them.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "../../../kernels/attention/ptx.cuh"

namespace ptx_cases {

using reel::ptx::thread_x;

// D = C + A B with A 16x16 (row-major), B 16x8 (B[k*8 + n]), C and D 16x8.
template <bool BF16>
REEL_DEV void mma_case(const uint16_t* A, const uint16_t* B, const float* C, float* D) {
    const int lane = static_cast<int>(thread_x() % 32), g = lane / 4, t = lane % 4;
    auto a2 = [&](int r, int c) { return static_cast<uint32_t>(A[r * 16 + c]) | (static_cast<uint32_t>(A[r * 16 + c + 1]) << 16); };
    auto b2 = [&](int k, int n) { return static_cast<uint32_t>(B[k * 8 + n]) | (static_cast<uint32_t>(B[(k + 1) * 8 + n]) << 16); };
    const uint32_t a[4] = {a2(g, 2 * t), a2(g + 8, 2 * t), a2(g, 2 * t + 8), a2(g + 8, 2 * t + 8)};
    const uint32_t b[2] = {b2(2 * t, g), b2(2 * t + 8, g)};
    float d[4] = {C[g * 8 + 2 * t], C[g * 8 + 2 * t + 1], C[(g + 8) * 8 + 2 * t], C[(g + 8) * 8 + 2 * t + 1]};
    reel::ptx::mma_16816<BF16>(d, a, b);
    D[g * 8 + 2 * t] = d[0], D[g * 8 + 2 * t + 1] = d[1], D[(g + 8) * 8 + 2 * t] = d[2], D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

// Shared memory holds 32 rows of 16 b16 (8 used, 8 padding); row r, column c
// holds r * 8 + c. Lane l points at row l: matrix l / 8, row l % 8.
// out[lane * 8 + j] = register j without .trans, out[lane * 8 + 4 + j] with.
REEL_DEV void ldmatrix_case(uint32_t* out) {
    const int lane = static_cast<int>(thread_x() % 32);
    uint16_t* s = reinterpret_cast<uint16_t*>(reel::ptx::shared_memory());
    for (int c = 0; c < 16; ++c) s[lane * 16 + c] = static_cast<uint16_t>(c < 8 ? lane * 8 + c : 0xFFFF);
    reel::ptx::sync_block();
    uint32_t r[4], rt[4];
    reel::ptx::ldmatrix_x4<false>(r, s + lane * 16);
    reel::ptx::ldmatrix_x4<true>(rt, s + lane * 16);
    for (int j = 0; j < 4; ++j) out[lane * 8 + j] = r[j], out[lane * 8 + 4 + j] = rt[j];
}

// out[lane * 5 + i] = the value of lane (lane ^ (1 << i)).
REEL_DEV void shfl_case(float* out) {
    const int lane = static_cast<int>(thread_x() % 32);
    const float v = static_cast<float>(lane) * 1.5f + 0.25f;
    for (int i = 0; i < 5; ++i) out[lane * 5 + i] = reel::ptx::shfl_xor(v, 1 << i);
}

// 8 values per lane through ex2.approx and through cvt.rn.{bf16x2,f16x2}.
REEL_DEV void math_case(const float* in, float* ex2, uint32_t* bf16x2, uint32_t* f16x2) {
    const int lane = static_cast<int>(thread_x() % 32);
    for (int i = 0; i < 8; ++i) {
        const int k = lane * 8 + i;
        ex2[k] = reel::ptx::exp2_approx(in[k]);
        bf16x2[k] = reel::ptx::pack2<true>(in[k], in[(k + 1) % 256]);
        f16x2[k] = reel::ptx::pack2<false>(in[k], in[(k + 1) % 256]);
    }
}

// A block of 64 threads: 128 chunks of 16 bytes copied into shared memory by
// cp.async in two groups, chunks with i % 3 == 0 zero-filled; then copied out.
REEL_DEV void cp_async_case(const uint16_t* src, uint16_t* dst) {
    const int tid = static_cast<int>(thread_x());
    uint16_t* s = reinterpret_cast<uint16_t*>(reel::ptx::shared_memory());
    for (int group = 0; group < 2; ++group) {
        const int i = group * 64 + tid;
        reel::ptx::cp_async_16(s + i * 8, src + i * 8, i % 3 != 0);
        reel::ptx::cp_async_commit();
    }
    reel::ptx::cp_async_wait<1>();  // the first group has landed
    reel::ptx::sync_block();
    for (int e = 0; e < 8; ++e) dst[tid * 8 + e] = s[tid * 8 + e];
    reel::ptx::cp_async_wait<0>();
    reel::ptx::sync_block();
    for (int e = 0; e < 8; ++e) dst[(64 + tid) * 8 + e] = s[(64 + tid) * 8 + e];
}

// ---- inputs and checks (host) ----------------------------------------------

struct Result {
    int passed = 0, failed = 0;
    void check(bool ok, const char* what, int index) {
        if (ok) {
            ++passed;
        } else if (++failed <= 10) {
            std::printf("FAILED %s (index %d)\n", what, index);
        }
    }
};

// Small integers and halves: every product and sum is exact in fp32.
inline std::vector<float> mma_values(int count, int seed) {
    std::vector<float> v(count);
    uint32_t x = 2463534242u + static_cast<uint32_t>(seed);
    for (auto& e : v) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        e = static_cast<float>(static_cast<int>(x % 17) - 8) * 0.5f;
    }
    return v;
}

inline void check_mma(Result& res, const std::vector<float>& A, const std::vector<float>& B, const std::vector<float>& C,
                      const float* D, const char* what) {
    for (int r = 0; r < 16; ++r) {
        for (int n = 0; n < 8; ++n) {
            double ref = C[r * 8 + n];
            for (int k = 0; k < 16; ++k) ref += static_cast<double>(A[r * 16 + k]) * B[k * 8 + n];
            res.check(D[r * 8 + n] == static_cast<float>(ref), what, r * 8 + n);
        }
    }
}

inline void check_ldmatrix(Result& res, const uint32_t* out) {
    auto elem = [](int m, int i, int j) { return static_cast<uint32_t>((8 * m + i) * 8 + j); };
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        for (int m = 0; m < 4; ++m) {
            res.check(out[l * 8 + m] == (elem(m, g, 2 * t) | (elem(m, g, 2 * t + 1) << 16)), "ldmatrix.x4", l * 8 + m);
            res.check(out[l * 8 + 4 + m] == (elem(m, 2 * t, g) | (elem(m, 2 * t + 1, g) << 16)), "ldmatrix.x4.trans",
                      l * 8 + m);
        }
    }
}

inline void check_shfl(Result& res, const float* out) {
    for (int l = 0; l < 32; ++l) {
        for (int i = 0; i < 5; ++i) {
            res.check(out[l * 5 + i] == static_cast<float>(l ^ (1 << i)) * 1.5f + 0.25f, "shfl.bfly", l * 5 + i);
        }
    }
}

inline std::vector<float> math_inputs() {
    std::vector<float> in(256);
    for (int i = 0; i < 256; ++i) in[i] = (static_cast<float>(i) - 128.0f) * 0.37f + 0.001f * static_cast<float>(i % 7);
    in[0] = -INFINITY, in[1] = 0.0f, in[2] = -200.0f, in[3] = 100.0f, in[4] = -126.5f, in[5] = 3.3e-39f;
    in[6] = 65504.0f, in[7] = 1e-8f, in[8] = 1.00390625f, in[9] = 1.01171875f;  // ties for the bf16 rounding
    return in;
}

inline void check_math(Result& res, const std::vector<float>& in, const float* ex2, const uint32_t* bf, const uint32_t* hf) {
    for (int k = 0; k < 256; ++k) {
        const float x = in[k];
        const double ref = std::exp2(static_cast<double>(x));
        bool ok;
        if (ref < 1.1754943508222875e-38) ok = ex2[k] == 0.0f;  // ftz: subnormal results flush to +0
        else if (std::isinf(ref) || ref > 3.4e38) ok = std::isinf(ex2[k]);
        else ok = std::fabs(ex2[k] - ref) <= 2.0 * std::ldexp(1.0, std::ilogb(ref) - 23);  // 2 ulp
        res.check(ok, "ex2.approx.ftz", k);
        const float y = in[(k + 1) % 256];
        res.check(bf[k] == (reel::f32_to_bf16(x) | (static_cast<uint32_t>(reel::f32_to_bf16(y)) << 16)), "cvt.rn.bf16x2", k);
        res.check(hf[k] == (reel::f32_to_f16(x) | (static_cast<uint32_t>(reel::f32_to_f16(y)) << 16)), "cvt.rn.f16x2", k);
    }
}

inline void check_cp_async(Result& res, const std::vector<uint16_t>& src, const uint16_t* dst) {
    for (int i = 0; i < 128; ++i) {
        bool ok = true;
        for (int e = 0; e < 8; ++e) ok = ok && dst[i * 8 + e] == (i % 3 != 0 ? src[i * 8 + e] : 0);
        res.check(ok, "cp.async 16 B (zero fill when src-size is 0)", i);
    }
}

}  // namespace ptx_cases
