// attention.cuh — spacetime attention forward, FlashAttention-2 style, for
// bf16 / fp16 storage with fp32 accumulation (the contract: reel.h,
// reel_attention_forward; the CPU twin: native/src/cpu/attention.cpp).
//
// One CTA per (query tile, head, batch). Every mode is the same kernel:
// queries come from a 3D box of the video (FULL: the video; SPATIAL: a frame;
// TEMPORAL: one (h, w) column; WINDOW: one tile), keys from the box of tiles
// within the window around it (radius 0 for FULL / SPATIAL / TEMPORAL), or
// from the context in CROSS. Rows are read in place through the strides and a
// box-to-token map: no permute copy, and WINDOW never touches a key outside
// its window, so cost falls with the window.
//
// Per CTA: kWarps warps, each owning 16 query rows; Q lands in shared memory
// (cp.async), is rotated there (RoPE) and held in registers as mma A
// fragments. K/V tiles of BN keys stream through kStages shared-memory stages
// (cp.async.cg, zero fill past the end); S = Q K^T with mma.m16n8k16 from
// ldmatrix fragments, online softmax in the exp2 domain in registers, P
// re-packed as A fragments, O += P V (V through ldmatrix.trans). LSE is
// natural-log. Rows in shared memory are padded by 16 bytes so that the 8
// rows of an ldmatrix fall in distinct bank groups for any head dim.
//
// Assumes: head_dim % 16 == 0; the fast path needs q/k/v rows 16-byte aligned
// (pointers and strides), otherwise rows are copied with ordinary loads.
// All inline PTX lives in ptx.cuh, so this file also compiles as host C++
// (tests in native/tests/attention_emulated).
#pragma once

#include <math.h>
#include <stdint.h>

#include "ptx.cuh"

namespace reel {
namespace attention {

// Launch arguments, built on the host from reel_attention_params
// (native/src/cuda/attention/attention_args.h).
struct Args {
    const void* q;
    const void* k;
    const void* v;
    void* o;
    float* lse;
    int64_t q_sb, q_sn, q_sh, k_sb, k_sn, k_sh, v_sb, v_sn, v_sh, o_sb, o_sn, o_sh;
    int64_t n;  // T*H*W
    int32_t heads, T, H, W;
    int32_t box_t, box_h, box_w;        // query box sizes
    int32_t boxes_t, boxes_h, boxes_w;  // query boxes along each axis
    int32_t tiles_per_box;              // CTAs per box: ceil(box volume / BM)
    int32_t pack;                       // > 0: whole segments per CTA (segments of at most BM/2 rows)
    int32_t pack_columns;               // packed segments are TEMPORAL columns (else SPATIAL frames)
    int32_t win_t, win_h, win_w;        // key box radius, in boxes
    int32_t cross;
    int32_t ctx_len;
    const int64_t* ctx_lens;  // device memory or NULL
    int32_t rope;
    int32_t rope_dt, rope_dh, rope_dw;
    float rope_log2_theta, rope_t0, rope_h0, rope_w0;
    float scale_log2;  // softmax scale * log2(e)
    int32_t aligned;   // q, k, v pointers and strides allow 16-byte cp.async
};

// Tile configuration: head dim, warps (16 query rows each), keys per tile,
// shared-memory stages, storage type.
template <int D_, int WARPS_, int BN_, int STAGES_, bool BF16_>
struct Traits {
    static constexpr int D = D_;
    static constexpr int kWarps = WARPS_;
    static constexpr int kThreads = 32 * WARPS_;
    static constexpr int BM = 16 * WARPS_;
    static constexpr int BN = BN_;
    static constexpr int kStages = STAGES_;
    static constexpr bool kBF16 = BF16_;
    static constexpr int kPitch = D + 8;  // elements per shared-memory row
    static constexpr int kChunks = D / 8;  // 16-byte chunks per row
    static constexpr int kSmemBytes = (BM + 2 * kStages * BN) * kPitch * 2;
    static_assert(D % 16 == 0 && BN % 16 == 0 && kStages >= 2, "tile shape");
};

// A box of the video [t0, t0+nt) x [h0, h0+nh) x [w0, w0+nw), enumerated t-major.
struct Box {
    int32_t t0, h0, w0, nt, nh, nw;
};

REEL_DEV int64_t box_token(const Box& b, int32_t u, int32_t H, int32_t W, int32_t& pt, int32_t& ph, int32_t& pw) {
    const int32_t plane = b.nh * b.nw;
    const int32_t ut = u / plane;
    const int32_t rest = u - ut * plane;
    const int32_t uh = rest / b.nw;
    pt = b.t0 + ut;
    ph = b.h0 + uh;
    pw = b.w0 + (rest - uh * b.nw);
    return (static_cast<int64_t>(pt) * H + ph) * W + pw;
}

REEL_DEV int32_t imin(int32_t a, int32_t b) { return a < b ? a : b; }
REEL_DEV int32_t imax(int32_t a, int32_t b) { return a > b ? a : b; }

// The rows a CTA reads (its queries, or its keys): the rows of one box, or,
// packed, whole segments of `vol` rows one after another from segment
// `first_seg` on: whole frames (SPATIAL, `linear`) or whole (h, w) columns
// (TEMPORAL) — short segments share a CTA instead of each leaving most of
// one empty.
struct Rows {
    Box box;  // unpacked: the box
    int32_t H, W;
    int32_t count;
    int32_t vol;  // packed: rows per segment; 0: one box
    int32_t first_seg;
    bool linear;  // row u is token first + u
    int64_t first;
};

REEL_DEV int64_t row_token(const Rows& r, int32_t u, int32_t& pt, int32_t& ph, int32_t& pw) {
    if (r.vol == 0) return box_token(r.box, u, r.H, r.W, pt, ph, pw);
    const int32_t k = u / r.vol, within = u - k * r.vol;
    const int32_t seg = r.first_seg + k;
    if (r.linear) {  // frame `seg`, position `within` in it
        pt = seg, ph = within / r.W, pw = within - ph * r.W;
        return r.first + u;
    }
    pt = within, ph = seg / r.W, pw = seg - ph * r.W;  // column `seg`, frame `within`
    return static_cast<int64_t>(within) * r.H * r.W + seg;
}

// Copies rows [row0, row0 + ROWS) (rows past the end become zeros) into
// shared memory, 16 bytes per thread and step.
template <class Tr, int ROWS>
REEL_DEV void load_rows(uint16_t* dst, const uint16_t* base, int64_t stride_n, const Rows& rows, int32_t row0,
                        bool aligned) {
    for (int i = static_cast<int>(ptx::thread_x()); i < ROWS * Tr::kChunks; i += Tr::kThreads) {
        const int r = i / Tr::kChunks, c = i % Tr::kChunks;
        const int32_t u = row0 + r;
        const bool valid = u < rows.count;
        int64_t token = 0;
        if (valid) {
            int32_t pt, ph, pw;
            token = rows.linear ? rows.first + u : row_token(rows, u, pt, ph, pw);
        }
        const uint16_t* src = base + token * stride_n + c * 8;
        uint16_t* d = dst + r * Tr::kPitch + c * 8;
        if (aligned) {
            ptx::cp_async_16(d, valid ? src : base, valid);
        } else {
            for (int e = 0; e < 8; ++e) d[e] = valid ? src[e] : static_cast<uint16_t>(0);
        }
    }
}

template <bool BF16>
REEL_DEV float to_f32(uint16_t x) {
    return BF16 ? bf16_to_f32(x) : f16_to_f32(x);
}
template <bool BF16>
REEL_DEV uint16_t from_f32(float x) {
    return BF16 ? f32_to_bf16(x) : f32_to_f16(x);
}

// Rotates rows [row0, row0 + ROWS) in shared memory (3D RoPE, the pairing
// and angles of reel.h), rounding back to the storage type.
template <class Tr, int ROWS>
REEL_DEV void rope_rows(uint16_t* smem, const Rows& rows, int32_t row0, const Args& a) {
    const int pairs = (a.rope_dt + a.rope_dh + a.rope_dw) / 2;
    for (int i = static_cast<int>(ptx::thread_x()); i < ROWS * pairs; i += Tr::kThreads) {
        const int r = i / pairs, pair = i % pairs;
        const int32_t u = row0 + r;
        if (u >= rows.count) continue;
        int32_t pt, ph, pw;
        row_token(rows, u, pt, ph, pw);
        int c = 2 * pair, section, at;
        float pos;
        if (c < a.rope_dt) {
            section = a.rope_dt, at = c, pos = static_cast<float>(pt) + a.rope_t0;
        } else if (c < a.rope_dt + a.rope_dh) {
            section = a.rope_dh, at = c - a.rope_dt, pos = static_cast<float>(ph) + a.rope_h0;
        } else {
            section = a.rope_dw, at = c - a.rope_dt - a.rope_dh, pos = static_cast<float>(pw) + a.rope_w0;
        }
        // angle = pos * theta^(-2i/S), with `at` = 2i
        const float freq = exp2f(-static_cast<float>(at) / static_cast<float>(section) * a.rope_log2_theta);
        const float angle = pos * freq;
        const float sn = sinf(angle), cs = cosf(angle);
        uint16_t* p = smem + r * Tr::kPitch + c;
        const float x = to_f32<Tr::kBF16>(p[0]), y = to_f32<Tr::kBF16>(p[1]);
        p[0] = from_f32<Tr::kBF16>(x * cs - y * sn);
        p[1] = from_f32<Tr::kBF16>(x * sn + y * cs);
    }
}

template <class Tr>
REEL_DEV void attention_block(const Args& a) {
    constexpr int D = Tr::D, BM = Tr::BM, BN = Tr::BN, P = Tr::kPitch, S = Tr::kStages;
    constexpr bool BF16 = Tr::kBF16;
    const int tid = static_cast<int>(ptx::thread_x());
    const int warp = tid / 32, lane = tid % 32;
    const int g = lane / 4, t4 = lane % 4;
    const int32_t h = static_cast<int32_t>(ptx::block_y());
    const int32_t b = static_cast<int32_t>(ptx::block_z());

    // Which queries: rows [row0, row0 + BM) of one box, or whole packed boxes.
    const int32_t tile = static_cast<int32_t>(ptx::block_x());
    Rows qr;
    qr.H = a.H, qr.W = a.W;
    int32_t row0 = 0, bt = 0, bh = 0, bw = 0;
    if (a.pack > 0) {
        // SPATIAL (boxes are frames) or TEMPORAL (boxes are columns) only.
        const int32_t segs = a.boxes_t * a.boxes_h * a.boxes_w;
        qr.box = Box{0, 0, 0, a.box_t, a.box_h, a.box_w};
        qr.vol = a.box_t * a.box_h * a.box_w;
        qr.first_seg = tile * a.pack;
        qr.count = imin(a.pack, segs - qr.first_seg) * qr.vol;
        qr.linear = a.pack_columns == 0;
        qr.first = static_cast<int64_t>(qr.first_seg) * qr.vol;
    } else {
        const int32_t box_id = tile / a.tiles_per_box;
        row0 = (tile - box_id * a.tiles_per_box) * BM;
        bw = box_id % a.boxes_w, bh = (box_id / a.boxes_w) % a.boxes_h, bt = box_id / (a.boxes_w * a.boxes_h);
        Box& qb = qr.box;
        qb.t0 = bt * a.box_t, qb.h0 = bh * a.box_h, qb.w0 = bw * a.box_w;
        qb.nt = imin(a.box_t, a.T - qb.t0), qb.nh = imin(a.box_h, a.H - qb.h0), qb.nw = imin(a.box_w, a.W - qb.w0);
        qr.count = qb.nt * qb.nh * qb.nw;
        qr.vol = 0, qr.first_seg = 0;
        qr.linear = qb.nh == a.H && qb.nw == a.W;
        qr.first = static_cast<int64_t>(qb.t0) * a.H * a.W;
        if (row0 >= qr.count) return;  // a smaller box at the far edge: nothing to do, uniformly
    }

    // Which keys: the same packed boxes, the boxes within the window, or the context.
    Rows kr = qr;
    if (a.cross) {
        int64_t len = a.ctx_lens ? a.ctx_lens[b] : a.ctx_len;
        len = len < 0 ? 0 : (len > a.ctx_len ? a.ctx_len : len);
        kr.box = Box{0, 0, 0, 1, 1, static_cast<int32_t>(len)};
        kr.H = 1, kr.W = a.ctx_len, kr.count = static_cast<int32_t>(len), kr.linear = true, kr.first = 0;
    } else if (a.pack == 0) {
        Box& kb = kr.box;
        kb.t0 = imax(0, (bt - a.win_t) * a.box_t), kb.nt = imin(a.T, (bt + a.win_t + 1) * a.box_t) - kb.t0;
        kb.h0 = imax(0, (bh - a.win_h) * a.box_h), kb.nh = imin(a.H, (bh + a.win_h + 1) * a.box_h) - kb.h0;
        kb.w0 = imax(0, (bw - a.win_w) * a.box_w), kb.nw = imin(a.W, (bw + a.win_w + 1) * a.box_w) - kb.w0;
        kr.count = kb.nt * kb.nh * kb.nw;
        kr.linear = kb.nh == a.H && kb.nw == a.W;
        kr.first = static_cast<int64_t>(kb.t0) * a.H * a.W;
    }
    const int32_t k_count = kr.count;
    const int32_t ntiles = (k_count + BN - 1) / BN;

    const uint16_t* qg = static_cast<const uint16_t*>(a.q) + b * a.q_sb + h * a.q_sh;
    const uint16_t* kg = static_cast<const uint16_t*>(a.k) + b * a.k_sb + h * a.k_sh;
    const uint16_t* vg = static_cast<const uint16_t*>(a.v) + b * a.v_sb + h * a.v_sh;
    uint16_t* sQ = reinterpret_cast<uint16_t*>(ptx::shared_memory());
    uint16_t* sK = sQ + BM * P;
    uint16_t* sV = sK + S * BN * P;
    const bool aligned = a.aligned != 0;

    auto load_kv = [&](int32_t j) {
        const int st = j % S;
        load_rows<Tr, BN>(sK + st * BN * P, kg, a.k_sn, kr, j * BN, aligned);
        load_rows<Tr, BN>(sV + st * BN * P, vg, a.v_sn, kr, j * BN, aligned);
    };

    // Prologue: Q with the first tile in one group, then tiles up to S-2 ahead.
    load_rows<Tr, BM>(sQ, qg, a.q_sn, qr, row0, aligned);
    for (int j = 0; j < S - 1; ++j) {
        if (j < ntiles) load_kv(j);
        ptx::cp_async_commit();
    }
    ptx::cp_async_wait<S - 2>();
    ptx::sync_block();
    if (a.rope) {
        rope_rows<Tr, BM>(sQ, qr, row0, a);
        if (ntiles > 0) rope_rows<Tr, BN>(sK, kr, 0, a);
        ptx::sync_block();
    }

    // Q fragments: rows warp*16 .. +16 of the tile, all of head_dim.
    uint32_t qf[D / 16][4];
    {
        const int row = warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
REEL_UNROLL
        for (int kk = 0; kk < D / 16; ++kk) ptx::ldmatrix_x4<false>(qf[kk], sQ + row * P + kk * 16 + (lane >> 4) * 8);
    }

    float acc[D / 8][4];
REEL_UNROLL
    for (int i = 0; i < D / 8; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.0f;
    // The keys each of this lane's rows (g, g + 8) sees: [key_lo, key_hi).
    int32_t key_lo[2] = {0, 0}, key_hi[2] = {k_count, k_count};
    if (a.pack > 0) {
        for (int r = 0; r < 2; ++r) {
            const int32_t u = warp * 16 + g + 8 * r;
            if (u < qr.count) key_lo[r] = u / qr.vol * qr.vol, key_hi[r] = key_lo[r] + qr.vol;
        }
    }
    float row_max[2] = {-INFINITY, -INFINITY};  // in the scaled exp2 domain
    float row_sum[2] = {0.0f, 0.0f};            // this lane's part of the row sums

    for (int32_t j = 0; j < ntiles; ++j) {
        const int st = j % S;
        // The stage of tile j-1 is free: every warp passed the barrier that ended it.
        if (j + S - 1 < ntiles) load_kv(j + S - 1);
        ptx::cp_async_commit();

        const uint16_t* k_tile = sK + st * BN * P;
        const uint16_t* v_tile = sV + st * BN * P;
        float s[BN / 8][4];
REEL_UNROLL
        for (int i = 0; i < BN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.0f;
REEL_UNROLL
        for (int kk = 0; kk < D / 16; ++kk) {
REEL_UNROLL
            for (int nb = 0; nb < BN / 16; ++nb) {
                uint32_t kf[4];
                ptx::ldmatrix_x4<false>(kf, k_tile + (nb * 16 + (lane & 7) + (lane >> 4) * 8) * P + kk * 16 +
                                                ((lane >> 3) & 1) * 8);
                const uint32_t b0[2] = {kf[0], kf[1]}, b1[2] = {kf[2], kf[3]};
                ptx::mma_16816<BF16>(s[2 * nb], qf[kk], b0);
                ptx::mma_16816<BF16>(s[2 * nb + 1], qf[kk], b1);
            }
        }

        // Scale into the exp2 domain; mask keys past the end of the list, and,
        // packed, the keys of the other boxes.
        const bool masked = (j + 1) * BN > k_count || a.pack > 0;
REEL_UNROLL
        for (int nb = 0; nb < BN / 8; ++nb) {
REEL_UNROLL
            for (int e = 0; e < 4; ++e) {
                s[nb][e] *= a.scale_log2;
                const int32_t col = j * BN + nb * 8 + 2 * t4 + (e & 1);
                if (masked && (col < key_lo[e / 2] || col >= key_hi[e / 2])) s[nb][e] = -INFINITY;
            }
        }

        // Online softmax: rows g (e = 0, 1) and g + 8 (e = 2, 3); 4 lanes per row.
REEL_UNROLL
        for (int r = 0; r < 2; ++r) {
            float mx = row_max[r];
REEL_UNROLL
            for (int nb = 0; nb < BN / 8; ++nb) mx = fmaxf(mx, fmaxf(s[nb][2 * r], s[nb][2 * r + 1]));
            mx = fmaxf(mx, ptx::shfl_xor(mx, 1));
            mx = fmaxf(mx, ptx::shfl_xor(mx, 2));
            const float base = mx == -INFINITY ? 0.0f : mx;  // a row with no key yet stays at zero
            const float alpha = ptx::exp2_approx(row_max[r] - base);
            row_max[r] = mx;
            float sum = 0.0f;
REEL_UNROLL
            for (int nb = 0; nb < BN / 8; ++nb) {
                s[nb][2 * r] = ptx::exp2_approx(s[nb][2 * r] - base);
                s[nb][2 * r + 1] = ptx::exp2_approx(s[nb][2 * r + 1] - base);
                sum += s[nb][2 * r] + s[nb][2 * r + 1];
            }
            row_sum[r] = row_sum[r] * alpha + sum;
REEL_UNROLL
            for (int i = 0; i < D / 8; ++i) {
                acc[i][2 * r] *= alpha;
                acc[i][2 * r + 1] *= alpha;
            }
        }

        // O += P V, P as A fragments straight from the S accumulators.
REEL_UNROLL
        for (int kk = 0; kk < BN / 16; ++kk) {
            const uint32_t pa[4] = {ptx::pack2<BF16>(s[2 * kk][0], s[2 * kk][1]),
                                    ptx::pack2<BF16>(s[2 * kk][2], s[2 * kk][3]),
                                    ptx::pack2<BF16>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                    ptx::pack2<BF16>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
REEL_UNROLL
            for (int cb = 0; cb < D / 16; ++cb) {
                uint32_t vf[4];
                ptx::ldmatrix_x4<true>(vf, v_tile + (kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * P + cb * 16 +
                                               (lane >> 4) * 8);
                const uint32_t b0[2] = {vf[0], vf[1]}, b1[2] = {vf[2], vf[3]};
                ptx::mma_16816<BF16>(acc[2 * cb], pa, b0);
                ptx::mma_16816<BF16>(acc[2 * cb + 1], pa, b1);
            }
        }

        // Tile j+1 has landed for every thread, and nobody reads stage j any more.
        ptx::cp_async_wait<S - 2>();
        ptx::sync_block();
        if (a.rope && j + 1 < ntiles) {
            rope_rows<Tr, BN>(sK + ((j + 1) % S) * BN * P, kr, (j + 1) * BN, a);
            ptx::sync_block();
        }
    }
    ptx::cp_async_wait<0>();

    // Normalise and store: each lane writes 2 channels of rows g and g + 8.
REEL_UNROLL
    for (int r = 0; r < 2; ++r) {
        float sum = row_sum[r];
        sum += ptx::shfl_xor(sum, 1);
        sum += ptx::shfl_xor(sum, 2);
        const int32_t u = row0 + warp * 16 + g + 8 * r;
        if (u >= qr.count) continue;
        int32_t pt, ph, pw;
        const int64_t token = row_token(qr, u, pt, ph, pw);
        const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
        uint16_t* og = static_cast<uint16_t*>(a.o) + b * a.o_sb + token * a.o_sn + h * a.o_sh;
REEL_UNROLL
        for (int i = 0; i < D / 8; ++i) {
            const uint32_t packed = ptx::pack2<BF16>(acc[i][2 * r] * inv, acc[i][2 * r + 1] * inv);
            og[i * 8 + 2 * t4] = static_cast<uint16_t>(packed & 0xFFFFu);
            og[i * 8 + 2 * t4 + 1] = static_cast<uint16_t>(packed >> 16);
        }
        if (a.lse != nullptr && t4 == 0) {
            a.lse[(static_cast<int64_t>(b) * a.heads + h) * a.n + token] =
                sum > 0.0f ? (row_max[r] + log2f(sum)) * 0.6931471805599453f : -INFINITY;
        }
    }
}

#if defined(__CUDACC__)
template <class Tr>
__global__ void __launch_bounds__(Tr::kThreads) attention_kernel(const Args a) {
    attention_block<Tr>(a);
}
#endif

}  // namespace attention
}  // namespace reel
