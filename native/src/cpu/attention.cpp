// CPU spacetime attention: reel_attention_forward on the host. This file
// resolves the problem (RoPE tables, window tiles), picks the kernels for the
// CPU at run time — AVX-512 with bf16 dot products, AVX-512, AVX2, or the
// portable loops below — and holds the portable kernels. The algorithm is in
// attention_engine.inc; the contract is in reel.h.
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "../error.h"
#include "../parallel.h"
#include "attention_plan.h"
#include "cpu_backend.h"

namespace reel {
namespace cpu {
namespace attention {
namespace generic {

struct V {
    using R = float;
    static constexpr int W = 1;
    static R load(const float* ptr) { return *ptr; }
    static void store(float* ptr, R x) { *ptr = x; }
    static R set1(float x) { return x; }
    static R max(R a, R b) { return a < b ? b : a; }
    static R add(R a, R b) { return a + b; }
    static R sub(R a, R b) { return a - b; }
    static float hmax(R x) { return x; }
    static float hsum(R x) { return x; }
    static R exp2(R x) { return std::exp2(x); }
};

#include "attention_engine.inc"

struct KernF32 {
    using E = float;
    static constexpr int W = 1;
    static void put_q(float* dst, const float* x, int64_t d) { std::memcpy(dst, x, sizeof(float) * d); }
    static void put_k(float* kt, int width, int j, const float* x, int64_t d) {
        for (int64_t c = 0; c < d; ++c) kt[c * width + j] = x[c];
    }
    static void put_v(float* vb, int, int j, const float* x, int64_t d) { std::memcpy(vb + j * d, x, sizeof(float) * d); }
    static void scores(const float* q, int64_t d, const float* kt, int width, float* s) {
        for (int i = 0; i < MR; ++i) {
            float* row = s + i * BC;
            for (int j = 0; j < width; ++j) row[j] = 0.0f;
            for (int64_t c = 0; c < d; ++c) {
                const float qc = q[i * d + c];
                const float* kr = kt + c * width;
                for (int j = 0; j < width; ++j) row[j] += qc * kr[j];
            }
        }
    }
    static void softmax(float* s, int width, int valid, float* m, float* l, float* alpha, float* pb) {
        softmax_tile(s, width, valid, m, l, alpha, [&](int i, int j, float pv) { pb[i * BC + j] = pv; });
    }
    static void accumulate(const float* pb, const float* vb, int, int valid, int64_t d, float* o, const float* alpha) {
        for (int i = 0; i < MR; ++i) {
            float* orow = o + i * d;
            for (int64_t c = 0; c < d; ++c) orow[c] *= alpha[i];
            for (int j = 0; j < valid; ++j) {
                const float pj = pb[i * BC + j];
                const float* vr = vb + j * d;
                for (int64_t c = 0; c < d; ++c) orow[c] += pj * vr[c];
            }
        }
    }
};

}  // namespace generic

reel_status run_generic(const Problem& pr) { return generic::drive<generic::KernF32>(pr); }

PackCache& pack_cache() {
    static PackCache* cache = new PackCache();  // never destroyed: pool threads may outlive statics
    return *cache;
}

namespace {

void rope_table(const Problem& pr, int axis, int64_t positions, float offset, std::vector<float>& cs,
                std::vector<float>& sn) {
    const int dim = pr.rope_dim[axis], half = dim / 2;
    cs.resize(static_cast<size_t>(positions * half));
    sn.resize(cs.size());
    for (int64_t pos = 0; pos < positions; ++pos) {
        for (int i = 0; i < half; ++i) {
            const double freq = std::pow(static_cast<double>(pr.p.rope_theta), -2.0 * i / dim);
            const double angle = (static_cast<double>(pos) + offset) * freq;
            cs[pos * half + i] = static_cast<float>(std::cos(angle));
            sn[pos * half + i] = static_cast<float>(std::sin(angle));
        }
    }
}

}  // namespace
}  // namespace attention

reel_status attention_forward(const reel_attention_params& p, const void* q, const void* k, const void* v, void* o,
                              float* lse) {
    using namespace attention;
    if (p.dtype != REEL_F32 && p.dtype != REEL_BF16) {
        return fail(REEL_ERR_UNSUPPORTED, "reel_attention_forward: the CPU backend stores F32 or BF16, not dtype %d",
                    p.dtype);
    }
    if (p.head_dim != 32 && p.head_dim != 64 && p.head_dim != 96 && p.head_dim != 128) {
        return fail(REEL_ERR_UNSUPPORTED, "reel_attention_forward: the CPU backend runs head_dim 32, 64, 96 or 128, not %lld",
                    static_cast<long long>(p.head_dim));
    }
    Problem pr;
    pr.p = p;
    pr.q = q;
    pr.k = k;
    pr.v = v;
    pr.o = o;
    pr.lse = lse;
    pr.hw = p.height * p.width;
    pr.n = p.frames * pr.hw;
    pr.d = p.head_dim;
    pr.bf16 = p.dtype == REEL_BF16;
    pr.qscale = static_cast<float>(static_cast<double>(p.scale) * 1.4426950408889634);
    if (p.mode == REEL_ATTENTION_WINDOW) {
        pr.nt_t = (p.frames + p.tile_t - 1) / p.tile_t;
        pr.nt_h = (p.height + p.tile_h - 1) / p.tile_h;
        pr.nt_w = (p.width + p.tile_w - 1) / p.tile_w;
    }
    if (p.rope) {
        const int dims[3] = {p.rope_dt, p.rope_dh, p.rope_dw};
        const int64_t extents[3] = {p.frames, p.height, p.width};
        const float offsets[3] = {p.rope_t0, p.rope_h0, p.rope_w0};
        int c0 = 0;
        for (int a = 0; a < 3; ++a) {
            pr.rope_c0[a] = c0;
            pr.rope_dim[a] = dims[a];
            c0 += dims[a];
            rope_table(pr, a, extents[a], offsets[a], pr.rope_cos[a], pr.rope_sin[a]);
        }
    }
    switch (pick_isa(pr.bf16)) {
        case Isa::avx512bf16: return run_avx512bf16(pr);
        case Isa::avx512: return run_avx512(pr);
        case Isa::avx2: return run_avx2(pr);
        default: return run_generic(pr);
    }
}

}  // namespace cpu
}  // namespace reel
