// attention_plan.h — what every ISA variant of the CPU spacetime attention
// shares: the resolved problem, RoPE tables, and the mode's geometry.
//
// Every mode is the same computation over "segments": the keys are reordered so
// that each set of keys a query can see is a union of contiguous segments of a
// packed copy (FULL and CROSS: one segment; SPATIAL: one per frame; TEMPORAL:
// one per spatial position; WINDOW: one per tile), and the queries are grouped
// by the segment they belong to, so a group of queries shares one key list.
// SPATIAL/TEMPORAL/WINDOW therefore read Q/K/V in place through strides and
// compute only dense blocks of keys the query group really sees.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "../../../kernels/common/dtype.h"
#include "reel/reel.h"

namespace reel {
namespace cpu {
namespace attention {

struct Problem {
    reel_attention_params p;  // scale resolved
    const void* q;
    const void* k;
    const void* v;
    void* o;
    float* lse;
    int64_t n;       // video tokens per sample
    int64_t hw;      // H*W
    int64_t d;
    bool bf16;
    float qscale;    // scale * log2(e): scores come out in the exp2 domain
    // WINDOW: tiles per axis
    int64_t nt_t = 1, nt_h = 1, nt_w = 1;
    // RoPE: per axis (t, h, w): first channel, channels, and cos/sin tables [position][pair]
    int rope_c0[3] = {0, 0, 0};
    int rope_dim[3] = {0, 0, 0};
    std::vector<float> rope_cos[3], rope_sin[3];
};

reel_status run_avx512(const Problem& pr);
reel_status run_avx512bf16(const Problem& pr);
reel_status run_avx2(const Problem& pr);
reel_status run_generic(const Problem& pr);

inline bool cross(const Problem& pr) { return pr.p.mode == REEL_ATTENTION_CROSS; }

inline int64_t num_segments(const Problem& pr) {
    switch (pr.p.mode) {
        case REEL_ATTENTION_SPATIAL: return pr.p.frames;
        case REEL_ATTENTION_TEMPORAL: return pr.hw;
        case REEL_ATTENTION_WINDOW: return pr.nt_t * pr.nt_h * pr.nt_w;
        default: return 1;
    }
}

struct TileGeom {
    int64_t t0, h0, w0;  // first token coordinates
    int64_t lt, lh, lw;  // extent (smaller at the far edges)
};

inline TileGeom tile_geom(const Problem& pr, int64_t seg) {
    const auto& p = pr.p;
    const int64_t it = seg / (pr.nt_h * pr.nt_w), ih = seg / pr.nt_w % pr.nt_h, iw = seg % pr.nt_w;
    TileGeom g;
    g.t0 = it * p.tile_t;
    g.h0 = ih * p.tile_h;
    g.w0 = iw * p.tile_w;
    g.lt = std::min(p.tile_t, p.frames - g.t0);
    g.lh = std::min(p.tile_h, p.height - g.h0);
    g.lw = std::min(p.tile_w, p.width - g.w0);
    return g;
}

// Tokens of a segment seen as queries (video tokens).
inline int64_t query_segments(const Problem& pr) { return cross(pr) ? 1 : num_segments(pr); }

inline int64_t query_segment_len(const Problem& pr, int64_t seg) {
    switch (pr.p.mode) {
        case REEL_ATTENTION_SPATIAL: return pr.hw;
        case REEL_ATTENTION_TEMPORAL: return pr.p.frames;
        case REEL_ATTENTION_WINDOW: {
            const TileGeom g = tile_geom(pr, seg);
            return g.lt * g.lh * g.lw;
        }
        default: return pr.n;
    }
}

// The video token of row j of segment seg.
inline int64_t segment_token(const Problem& pr, int64_t seg, int64_t j) {
    switch (pr.p.mode) {
        case REEL_ATTENTION_SPATIAL: return seg * pr.hw + j;
        case REEL_ATTENTION_TEMPORAL: return j * pr.hw + seg;
        case REEL_ATTENTION_WINDOW: {
            const TileGeom g = tile_geom(pr, seg);
            const int64_t a = j / (g.lh * g.lw), bb = j / g.lw % g.lh, c = j % g.lw;
            return ((g.t0 + a) * pr.p.height + g.h0 + bb) * pr.p.width + g.w0 + c;
        }
        default: return j;
    }
}

// Where video token n (or context token n in CROSS) sits: its segment and its
// index inside it; the inverse of segment_token.
inline void token_segment(const Problem& pr, int64_t n, int64_t* seg, int64_t* index) {
    const auto& p = pr.p;
    switch (p.mode) {
        case REEL_ATTENTION_SPATIAL: *seg = n / pr.hw; *index = n % pr.hw; return;
        case REEL_ATTENTION_TEMPORAL: *seg = n % pr.hw; *index = n / pr.hw; return;
        case REEL_ATTENTION_WINDOW: {
            const int64_t t = n / pr.hw, h = n / p.width % p.height, w = n % p.width;
            *seg = ((t / p.tile_t) * pr.nt_h + h / p.tile_h) * pr.nt_w + w / p.tile_w;
            const TileGeom g = tile_geom(pr, *seg);
            *index = ((t - g.t0) * g.lh + (h - g.h0)) * g.lw + (w - g.w0);
            return;
        }
        default: *seg = 0; *index = n; return;
    }
}

// Keys in segment seg of sample b (CROSS: the valid context length).
inline int64_t key_segment_len(const Problem& pr, int64_t b, int64_t seg) {
    if (cross(pr)) return pr.p.context_lens ? pr.p.context_lens[b] : pr.p.context_len;
    return query_segment_len(pr, seg);
}

// The key segments a query segment sees, appended to out.
inline void key_segments(const Problem& pr, int64_t qseg, std::vector<int64_t>& out) {
    out.clear();
    if (cross(pr)) {
        out.push_back(0);
        return;
    }
    if (pr.p.mode != REEL_ATTENTION_WINDOW) {
        out.push_back(qseg);
        return;
    }
    const auto& p = pr.p;
    const int64_t it = qseg / (pr.nt_h * pr.nt_w), ih = qseg / pr.nt_w % pr.nt_h, iw = qseg % pr.nt_w;
    for (int64_t jt = std::max<int64_t>(0, it - p.window_t); jt <= std::min(pr.nt_t - 1, it + p.window_t); ++jt)
        for (int64_t jh = std::max<int64_t>(0, ih - p.window_h); jh <= std::min(pr.nt_h - 1, ih + p.window_h); ++jh)
            for (int64_t jw = std::max<int64_t>(0, iw - p.window_w); jw <= std::min(pr.nt_w - 1, iw + p.window_w); ++jw)
                out.push_back((jt * pr.nt_h + jh) * pr.nt_w + jw);
}

// Rotates a row of video token n in place (reel.h: adjacent pairs, one section per axis).
inline void rope_row(const Problem& pr, int64_t n, float* x) {
    if (!pr.p.rope) return;
    const int64_t pos[3] = {n / pr.hw, n / pr.p.width % pr.p.height, n % pr.p.width};
    for (int a = 0; a < 3; ++a) {
        const int half = pr.rope_dim[a] / 2;
        const float* cs = pr.rope_cos[a].data() + pos[a] * half;
        const float* sn = pr.rope_sin[a].data() + pos[a] * half;
        float* xs = x + pr.rope_c0[a];
        for (int i = 0; i < half; ++i) {
            const float x0 = xs[2 * i], x1 = xs[2 * i + 1];
            xs[2 * i] = x0 * cs[i] - x1 * sn[i];
            xs[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
        }
    }
}

// Host memory for packed operands: 64-byte aligned, left uninitialised.
struct Free {
    void operator()(void* ptr) const { std::free(ptr); }
};
template <typename T>
using Buffer = std::unique_ptr<T[], Free>;
template <typename T>
Buffer<T> make_buffer(int64_t count) {
    const size_t bytes = (static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(T) + 63) / 64 * 64;
    T* ptr = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (ptr == nullptr) throw std::bad_alloc();
    return Buffer<T>(ptr);
}

// Keeps the last packed-operand allocation for the next call: on these
// machines first-touch page faults of tens of MB cost more than a small
// attention call. At most one block is kept (the largest seen, up to the
// packing budget); concurrent calls simply allocate their own.
class PackCache {
public:
    void* take(size_t bytes) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (kept_ != nullptr && kept_bytes_ >= bytes) {
                void* p = kept_;
                kept_ = nullptr;
                return p;
            }
        }
        void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (p == nullptr) throw std::bad_alloc();
        return p;
    }
    void give(void* p, size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (kept_ == nullptr || bytes > kept_bytes_) {
            std::free(kept_);
            kept_ = p;
            kept_bytes_ = bytes;
        } else {
            std::free(p);
        }
    }

private:
    std::mutex mutex_;
    void* kept_ = nullptr;
    size_t kept_bytes_ = 0;
};
PackCache& pack_cache();

// Packed K and V of a group of (b, head) pairs, borrowed from the cache.
template <typename E>
class PackedKV {
public:
    explicit PackedKV(int64_t elements_each)
        : bytes_(static_cast<size_t>(std::max<int64_t>(elements_each, 1)) * 2 * sizeof(E)),
          k_(static_cast<E*>(pack_cache().take(bytes_))),
          v_(k_ + std::max<int64_t>(elements_each, 1)) {}
    ~PackedKV() { pack_cache().give(k_, bytes_); }
    PackedKV(const PackedKV&) = delete;
    PackedKV& operator=(const PackedKV&) = delete;
    E* k() const { return k_; }
    E* v() const { return v_; }

private:
    size_t bytes_;
    E* k_;
    E* v_;
};

}  // namespace attention
}  // namespace cpu
}  // namespace reel
