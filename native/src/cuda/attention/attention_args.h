// attention_args.h — from reel_attention_params to the kernel's launch
// arguments and grid, and the choice of tile configuration. Host code, shared
// by the CUDA launcher (attention.cu) and the host-emulated tests, so that the
// tests exercise the same mapping of modes to query and key boxes.
#pragma once

#include <cmath>
#include <cstdint>

#include "../../../../kernels/attention/attention.cuh"
#include "reel/reel.h"

namespace reel {
namespace attention {

// Tile configurations: head dims 32, 64, 96, 128 (the CPU backend's) in bf16
// and fp16; 4 warps of 16 query rows, 64 keys per tile, two shared-memory
// stages (25, 45, 65 and 85 KB).
template <int D, bool BF16>
using TraitsFor = Traits<D, 4, 64, 2, BF16>;

// Calls f(Traits{}) with the configuration for (dtype, head dim, mode, compute
// capability); returns false when there is none. Every mode and both sm_80 and
// sm_90 share one configuration per (dtype, head dim) for now: the mode is a
// run-time parameter of the kernel, which keeps the build to eight variants.
template <class F>
bool with_traits(int32_t dtype, int64_t head_dim, int32_t /*mode*/, int /*cc_major*/, F&& f) {
    const bool bf16 = dtype == REEL_BF16;
    if (dtype != REEL_BF16 && dtype != REEL_F16) return false;
    switch (head_dim) {
        case 32: return bf16 ? f(TraitsFor<32, true>{}) : f(TraitsFor<32, false>{}), true;
        case 64: return bf16 ? f(TraitsFor<64, true>{}) : f(TraitsFor<64, false>{}), true;
        case 96: return bf16 ? f(TraitsFor<96, true>{}) : f(TraitsFor<96, false>{}), true;
        case 128: return bf16 ? f(TraitsFor<128, true>{}) : f(TraitsFor<128, false>{}), true;
        default: return false;
    }
}

struct Grid {
    unsigned x, y, z;
};

// Fills `a` and `grid` for a CTA of `bm` query rows; returns nullptr, or the
// reason the shape is outside what the kernel indexes (32-bit token counts).
inline const char* make_args(const reel_attention_params& p, int bm, const void* q, const void* k, const void* v,
                             void* o, float* lse, Args* a, Grid* grid) {
    const int64_t lim = int64_t{1} << 31;
    const int64_t n = p.frames * p.height * p.width;
    if (n >= lim) return "the CUDA kernel needs frames*height*width < 2^31";
    if (p.mode == REEL_ATTENTION_CROSS && p.context_len >= lim) return "the CUDA kernel needs context_len < 2^31";
    if (p.heads > 65535 || p.batch > 65535) return "the CUDA kernel needs batch and heads <= 65535";
    *a = Args{};
    a->q = q, a->k = k, a->v = v, a->o = o, a->lse = lse;
    a->q_sb = p.q_stride_b, a->q_sn = p.q_stride_n, a->q_sh = p.q_stride_h;
    a->k_sb = p.k_stride_b, a->k_sn = p.k_stride_n, a->k_sh = p.k_stride_h;
    a->v_sb = p.v_stride_b, a->v_sn = p.v_stride_n, a->v_sh = p.v_stride_h;
    a->o_sb = p.o_stride_b, a->o_sn = p.o_stride_n, a->o_sh = p.o_stride_h;
    a->n = n;
    a->heads = static_cast<int32_t>(p.heads);
    a->T = static_cast<int32_t>(p.frames), a->H = static_cast<int32_t>(p.height), a->W = static_cast<int32_t>(p.width);
    // Every mode but CROSS is a window over boxes: the query box, and the keys
    // in the boxes within the radius (0 outside WINDOW).
    int32_t bt = a->T, bh = a->H, bw = a->W;
    switch (p.mode) {
        case REEL_ATTENTION_SPATIAL: bt = 1; break;
        case REEL_ATTENTION_TEMPORAL: bh = 1, bw = 1; break;
        case REEL_ATTENTION_WINDOW:
            bt = static_cast<int32_t>(p.tile_t), bh = static_cast<int32_t>(p.tile_h), bw = static_cast<int32_t>(p.tile_w);
            a->win_t = static_cast<int32_t>(p.window_t), a->win_h = static_cast<int32_t>(p.window_h);
            a->win_w = static_cast<int32_t>(p.window_w);
            break;
        default: break;
    }
    a->box_t = bt, a->box_h = bh, a->box_w = bw;
    a->boxes_t = (a->T + bt - 1) / bt, a->boxes_h = (a->H + bh - 1) / bh, a->boxes_w = (a->W + bw - 1) / bw;
    const int64_t volume = static_cast<int64_t>(bt) * bh * bw;
    a->tiles_per_box = static_cast<int32_t>((volume + bm - 1) / bm);
    const int64_t boxes = static_cast<int64_t>(a->boxes_t) * a->boxes_h * a->boxes_w;
    int64_t ctas = boxes * a->tiles_per_box;
    if ((p.mode == REEL_ATTENTION_SPATIAL || p.mode == REEL_ATTENTION_TEMPORAL) && 2 * volume <= bm) {
        // Short segments (a TEMPORAL column of 21 frames, a small frame): whole
        // segments share a CTA instead of leaving most of its rows empty.
        a->pack = static_cast<int32_t>(bm / volume);
        a->pack_columns = p.mode == REEL_ATTENTION_TEMPORAL;
        ctas = (boxes + a->pack - 1) / a->pack;
    }
    if (ctas >= lim) return "the CUDA kernel needs fewer than 2^31 query tiles";
    a->cross = p.mode == REEL_ATTENTION_CROSS;
    a->ctx_len = a->cross ? static_cast<int32_t>(p.context_len) : 0;
    a->ctx_lens = a->cross ? p.context_lens : nullptr;
    a->rope = p.rope != 0 && !a->cross;
    a->rope_dt = p.rope_dt, a->rope_dh = p.rope_dh, a->rope_dw = p.rope_dw;
    a->rope_log2_theta = a->rope ? static_cast<float>(std::log2(static_cast<double>(p.rope_theta))) : 0.0f;
    a->rope_t0 = p.rope_t0, a->rope_h0 = p.rope_h0, a->rope_w0 = p.rope_w0;
    a->scale_log2 = static_cast<float>(static_cast<double>(p.scale) * 1.4426950408889634);
    bool aligned = true;
    for (const void* ptr : {q, k, v}) aligned = aligned && reinterpret_cast<uintptr_t>(ptr) % 16 == 0;
    for (int64_t s : {p.q_stride_b, p.q_stride_n, p.q_stride_h, p.k_stride_b, p.k_stride_n, p.k_stride_h,
                      p.v_stride_b, p.v_stride_n, p.v_stride_h}) {
        aligned = aligned && s % 8 == 0;
    }
    a->aligned = aligned;
    grid->x = static_cast<unsigned>(ctas), grid->y = static_cast<unsigned>(p.heads), grid->z = static_cast<unsigned>(p.batch);
    return nullptr;
}

}  // namespace attention
}  // namespace reel
