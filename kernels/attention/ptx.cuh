// ptx.cuh — every inline-PTX instruction the attention kernel uses, behind a
// few wrappers, and (when not compiled by nvcc) their host emulation.
//
// Device: mma.sync.m16n8k16 (bf16 / f16 in, f32 accumulate), ldmatrix.x4 (and
// .trans), cp.async.cg 16 B with zero fill + commit_group / wait_group,
// shfl.sync.bfly, ex2.approx.ftz, cvt.rn.{bf16x2,f16x2}.f32; sm_80 and newer.
//
// Host: the same functions, emulated as the PTX ISA defines them, on top of
// kernels/common/host_emulation.h (threads as fibers, per-warp exchange).
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k16"), with
// g = lane / 4 and t = lane % 4; each 32-bit register holds two 16-bit
// elements, the lower-numbered column (or row, for B) in the low half:
//   A 16x16 row-major: a0 (g,   2t..2t+1)   a1 (g+8, 2t..2t+1)
//                      a2 (g,   2t+8..+9)   a3 (g+8, 2t+8..+9)
//   B 16x8 (k x n):    b0 (k = 2t..2t+1, n = g)   b1 (k = 2t+8..+9, n = g)
//   C/D 16x8 f32:      c0 c1 (g, 2t..2t+1)        c2 c3 (g+8, 2t..2t+1)
// ldmatrix .x4: lanes 8j..8j+7 give the row addresses of matrix j (8 rows of
// 8 b16); lane l receives in register j the elements (l/4, 2(l%4)..+1) of
// matrix j, or with .trans the elements (2(l%4), l/4) and (2(l%4)+1, l/4).
#pragma once

#include <stdint.h>

#include "../common/dtype.h"

#if defined(__CUDACC__)
#define REEL_DEV __device__ __forceinline__
#define REEL_UNROLL _Pragma("unroll")
#else
#include <cmath>

#include "../common/host_emulation.h"
#define REEL_DEV inline
#define REEL_UNROLL
#endif

namespace reel {
namespace ptx {

// ---- block, thread and shared memory ---------------------------------------
#if defined(__CUDACC__)
REEL_DEV unsigned thread_x() { return threadIdx.x; }
REEL_DEV unsigned block_x() { return blockIdx.x; }
REEL_DEV unsigned block_y() { return blockIdx.y; }
REEL_DEV unsigned block_z() { return blockIdx.z; }
REEL_DEV char* shared_memory() {
    extern __shared__ __align__(128) char reel_dynamic_smem[];
    return reel_dynamic_smem;
}
REEL_DEV void sync_block() { __syncthreads(); }
#else
inline unsigned thread_x() { return emu::thread_x(); }
inline unsigned block_x() { return emu::block_x(); }
inline unsigned block_y() { return emu::block_y(); }
inline unsigned block_z() { return emu::block_z(); }
inline char* shared_memory() { return emu::shared_memory(); }
inline void sync_block() { emu::syncthreads(); }
#endif

// ---- mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}.{bf16,f16}.f32 --------
// d += a * b for one warp; BF16 picks the input type.
#if defined(__CUDACC__)
template <bool BF16>
REEL_DEV void mma_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    if (BF16) {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    } else {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
}
#else
template <bool BF16>
inline float b16_value(uint32_t reg, int half) {
    const uint16_t bits = static_cast<uint16_t>(half ? reg >> 16 : reg & 0xFFFFu);
    return BF16 ? bf16_to_f32(bits) : f16_to_f32(bits);
}

template <bool BF16>
inline void mma_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    emu::LaneSlot* slots = emu::warp_slots();
    const unsigned lane = emu::lane_id();
    for (int i = 0; i < 4; ++i) slots[lane].words[i] = a[i];
    for (int i = 0; i < 2; ++i) slots[lane].words[4 + i] = b[i];
    emu::warp_exchange();
    // A(row, k) and B(k, n) as the fragment layouts above place them.
    auto A = [&](int row, int k) {
        const int l = (row % 8) * 4 + (k % 8) / 2;
        const int reg = (row >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0);
        return b16_value<BF16>(static_cast<uint32_t>(slots[l].words[reg]), k % 2);
    };
    auto B = [&](int k, int n) {
        const int l = n * 4 + (k % 8) / 2;
        return b16_value<BF16>(static_cast<uint32_t>(slots[l].words[4 + (k >= 8 ? 1 : 0)]), k % 2);
    };
    const int g = static_cast<int>(lane / 4), t = static_cast<int>(lane % 4);
    for (int i = 0; i < 4; ++i) {
        const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i % 2);
        float acc = d[i];
        for (int k = 0; k < 16; ++k) acc = std::fma(A(row, k), B(k, col), acc);
        d[i] = acc;
    }
    emu::warp_done();
}
#endif

// ---- ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16 ----------------------
// `row` is this lane's row address in shared memory (16-byte aligned).
#if defined(__CUDACC__)
template <bool TRANS>
REEL_DEV void ldmatrix_x4(uint32_t (&r)[4], const void* row) {
    const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(row));
    if (TRANS) {
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(addr));
    } else {
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(addr));
    }
}
#else
template <bool TRANS>
inline void ldmatrix_x4(uint32_t (&r)[4], const void* row) {
    emu::LaneSlot* slots = emu::warp_slots();
    const unsigned lane = emu::lane_id();
    if (reinterpret_cast<uintptr_t>(row) % 16 != 0) emu::die("ldmatrix: row address not 16-byte aligned");
    const char* smem = emu::shared_memory();
    const size_t smem_bytes = emu::this_block()->shared.size();
    const char* p = static_cast<const char*>(row);
    if (p < smem || p + 16 > smem + smem_bytes) emu::die("ldmatrix: row address outside shared memory");
    slots[lane].words[0] = reinterpret_cast<uintptr_t>(row);
    emu::warp_exchange();
    auto elem = [&](int matrix, int i, int j) {  // element (i, j) of matrix `matrix`
        const auto* rp = reinterpret_cast<const uint16_t*>(static_cast<uintptr_t>(slots[8 * matrix + i].words[0]));
        return static_cast<uint32_t>(rp[j]);
    };
    const int g = static_cast<int>(lane / 4), t = static_cast<int>(lane % 4);
    for (int m = 0; m < 4; ++m) {
        if (TRANS) r[m] = elem(m, 2 * t, g) | (elem(m, 2 * t + 1, g) << 16);
        else r[m] = elem(m, g, 2 * t) | (elem(m, g, 2 * t + 1) << 16);
    }
    emu::warp_done();
}
#endif

// ---- cp.async.cg.shared.global 16 B (zero fill when !valid) ----------------
#if defined(__CUDACC__)
REEL_DEV void cp_async_16(void* dst, const void* src, bool valid) {
    const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(dst));
    const int src_bytes = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(addr), "l"(src), "r"(src_bytes));
}
REEL_DEV void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
REEL_DEV void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
#else
inline void cp_async_16(void* dst, const void* src, bool valid) {
    if (reinterpret_cast<uintptr_t>(dst) % 16 != 0) emu::die("cp.async: shared address not 16-byte aligned");
    if (valid && reinterpret_cast<uintptr_t>(src) % 16 != 0) emu::die("cp.async: global address not 16-byte aligned");
    const char* smem = emu::shared_memory();
    const char* p = static_cast<const char*>(dst);
    if (p < smem || p + 16 > smem + emu::this_block()->shared.size()) emu::die("cp.async: outside shared memory");
    emu::async_copy(dst, valid ? src : nullptr, 16);
}
inline void cp_async_commit() { emu::async_commit(); }
template <int N>
inline void cp_async_wait() {
    emu::async_wait(N);
}
#endif

// ---- shfl.sync.bfly.b32 (all 32 lanes) --------------------------------------
#if defined(__CUDACC__)
REEL_DEV float shfl_xor(float v, int mask) { return __shfl_xor_sync(0xffffffffu, v, mask); }
#else
inline float shfl_xor(float v, int mask) {
    emu::LaneSlot* slots = emu::warp_slots();
    const unsigned lane = emu::lane_id();
    slots[lane].words[0] = f32_bits(v);
    emu::warp_exchange();
    const float r = bits_f32(static_cast<uint32_t>(slots[(lane ^ static_cast<unsigned>(mask)) & 31u].words[0]));
    emu::warp_done();
    return r;
}
#endif

// ---- ex2.approx.ftz.f32 -----------------------------------------------------
#if defined(__CUDACC__)
REEL_DEV float exp2_approx(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}
#else
inline float ftz(float x) { return std::fabs(x) < 1.17549435e-38f ? std::copysign(0.0f, x) : x; }
// The hardware's result is within 2 ulp of 2^x; the emulation is the exact-ish
// libm value, flushed like the .ftz form (so -inf gives +0, NaN stays NaN).
inline float exp2_approx(float x) { return ftz(std::exp2(ftz(x))); }
#endif

// ---- cvt.rn.{bf16x2,f16x2}.f32: two floats into one register, lo in bits 0..15
#if defined(__CUDACC__)
template <bool BF16>
REEL_DEV uint32_t pack2(float lo, float hi) {
    uint32_t r;
    if (BF16) asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
    else asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
#else
template <bool BF16>
inline uint32_t pack2(float lo, float hi) {
    const uint32_t l = BF16 ? f32_to_bf16(lo) : f32_to_f16(lo);
    const uint32_t h = BF16 ? f32_to_bf16(hi) : f32_to_f16(hi);
    return l | (h << 16);
}
#endif

}  // namespace ptx
}  // namespace reel
