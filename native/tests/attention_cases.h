// attention_cases.h — the shared half of the attention tests: test cases,
// their inputs in every layout, a float64 reference written plainly from the
// contract in reel.h, and the comparison (relative Frobenius error, every
// output element written and finite, nothing written outside the output, LSE).
// Used by the host-emulated kernel test (attention_emulated/) and by
// test_cuda_attention (the CUDA backend against the reference and the CPU).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../../kernels/common/dtype.h"
#include "reel/reel.h"

namespace attention_test {

inline int passed = 0, failed = 0;

struct Case {
    std::string name;
    int32_t mode = REEL_ATTENTION_FULL;
    int32_t dtype = REEL_BF16;
    int64_t B = 1, T = 1, H = 1, W = 1, heads = 1, d = 64;
    int64_t M = 0;                // CROSS context length
    std::vector<int64_t> lens;    // CROSS valid lengths (empty: NULL)
    int64_t tile[3] = {1, 1, 1};  // WINDOW
    int64_t window[3] = {0, 0, 0};
    bool rope = false;
    bool lse = true;
    float scale = 0.0f;
    // 0 contiguous; 1 interleaved qkv + gapped output; 2 unaligned; 3 K and V
    // head-major [heads, M, d] and shared by every sample (stride_b 0)
    int layout = 0;
};

struct Buffers {
    std::vector<uint16_t> q, k, v, o;  // storage with room for the layout
    int64_t qo = 0, ko = 0, vo = 0, oo = 0;  // element offsets of the tensors
    std::vector<float> lse;
};

inline uint16_t encode(int32_t dtype, float x) { return dtype == REEL_BF16 ? reel::f32_to_bf16(x) : reel::f32_to_f16(x); }
inline double decode(int32_t dtype, uint16_t x) { return dtype == REEL_BF16 ? reel::bf16_to_f32(x) : reel::f16_to_f32(x); }

// Lays out Q, K, V, O per the case and fills the inputs with fresh random values.
inline reel_attention_params setup(const Case& c, Buffers& buf, std::mt19937& rng) {
    reel_attention_params p{};
    p.mode = c.mode, p.dtype = c.dtype, p.batch = c.B, p.frames = c.T, p.height = c.H, p.width = c.W;
    p.heads = c.heads, p.head_dim = c.d;
    const int64_t n = c.T * c.H * c.W, hd = c.heads * c.d;
    const bool cross = c.mode == REEL_ATTENTION_CROSS;
    const int64_t m = cross ? c.M : n;
    p.context_len = cross ? c.M : 0;
    if (c.layout == 1) {
        // Q inside a packed [B, N, 3, heads, d]; K, V inside [B, M, 2, heads, d]
        // (CROSS) or the same packed buffer; O rows with a gap of 8 elements.
        p.q_stride_b = n * 3 * hd, p.q_stride_n = 3 * hd, p.q_stride_h = c.d;
        buf.q.resize(c.B * n * 3 * hd);
        if (cross) {
            p.k_stride_b = p.v_stride_b = m * 2 * hd, p.k_stride_n = p.v_stride_n = 2 * hd;
            buf.k.resize(c.B * m * 2 * hd), buf.v.resize(c.B * m * 2 * hd);
            buf.ko = 0, buf.vo = hd;
        } else {
            p.k_stride_b = p.v_stride_b = n * 3 * hd, p.k_stride_n = p.v_stride_n = 3 * hd;
            buf.k.resize(c.B * n * 3 * hd), buf.v.resize(c.B * n * 3 * hd);
            buf.ko = hd, buf.vo = 2 * hd;
        }
        p.k_stride_h = p.v_stride_h = c.d;
        p.o_stride_n = hd + 8, p.o_stride_b = n * (hd + 8) + 16, p.o_stride_h = c.d;
        buf.o.resize(c.B * p.o_stride_b);
    } else if (c.layout == 3) {
        p.q_stride_b = n * hd, p.q_stride_n = hd, p.q_stride_h = c.d;
        p.k_stride_b = p.v_stride_b = 0, p.k_stride_n = p.v_stride_n = c.d, p.k_stride_h = p.v_stride_h = m * c.d;
        p.o_stride_b = n * hd, p.o_stride_n = hd, p.o_stride_h = c.d;
        buf.q.resize(c.B * n * hd), buf.k.resize(m * hd), buf.v.resize(m * hd), buf.o.resize(c.B * n * hd);
    } else {
        const int64_t off = c.layout == 2 ? 1 : 0;  // one element: rows no longer 16-byte aligned
        p.q_stride_b = n * hd, p.q_stride_n = hd, p.q_stride_h = c.d;
        p.k_stride_b = p.v_stride_b = m * hd, p.k_stride_n = p.v_stride_n = hd, p.k_stride_h = p.v_stride_h = c.d;
        p.o_stride_b = n * hd, p.o_stride_n = hd, p.o_stride_h = c.d;
        buf.q.resize(c.B * n * hd + off), buf.k.resize(c.B * m * hd + off), buf.v.resize(c.B * m * hd + off);
        buf.o.resize(c.B * n * hd + off);
        buf.qo = buf.ko = buf.vo = buf.oo = off;
    }
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto* t : {&buf.q, &buf.k, &buf.v}) {
        for (auto& e : *t) e = encode(c.dtype, normal(rng));
    }
    // Sharper softmax than unit inputs give: scale Q up.
    for (auto& e : buf.q) e = encode(c.dtype, static_cast<float>(decode(c.dtype, e) * 2.0));
    std::fill(buf.o.begin(), buf.o.end(), static_cast<uint16_t>(0xFFFF));  // NaN in bf16 and fp16
    buf.lse.assign(c.lse ? c.B * c.heads * n : 0, NAN);
    p.context_lens = c.lens.empty() ? nullptr : c.lens.data();
    p.tile_t = c.tile[0], p.tile_h = c.tile[1], p.tile_w = c.tile[2];
    p.window_t = c.window[0], p.window_h = c.window[1], p.window_w = c.window[2];
    if (c.rope) {
        p.rope = 1;
        p.rope_dt = static_cast<int32_t>(c.d / 4), p.rope_dh = static_cast<int32_t>(c.d * 3 / 8) & ~1;
        p.rope_dw = static_cast<int32_t>(c.d * 3 / 8) & ~1;
        if (c.d == 64) p.rope_dt = 16, p.rope_dh = 16, p.rope_dw = 16;  // 16 channels left unrotated
        p.rope_theta = 10000.0f, p.rope_t0 = 0.5f, p.rope_h0 = -2.0f, p.rope_w0 = 3.0f;
    }
    p.scale = c.scale == 0.0f ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d))) : c.scale;
    return p;
}

// The contract, plainly, in float64.
inline void reference(const Case& c, const reel_attention_params& p, const Buffers& buf, std::vector<double>& out,
               std::vector<double>& lse) {
    const int64_t n = c.T * c.H * c.W, d = c.d;
    const bool cross = c.mode == REEL_ATTENTION_CROSS;
    out.assign(c.B * n * c.heads * d, 0.0);
    lse.assign(c.B * c.heads * n, 0.0);
    auto rotate = [&](std::vector<double>& x, int64_t token) {
        if (!p.rope) return;
        const int64_t pos[3] = {token / (c.H * c.W), (token / c.W) % c.H, token % c.W};
        const double off[3] = {p.rope_t0, p.rope_h0, p.rope_w0};
        const int32_t sec[3] = {p.rope_dt, p.rope_dh, p.rope_dw};
        int64_t c0 = 0;
        for (int s = 0; s < 3; ++s) {
            for (int64_t i = 0; i < sec[s] / 2; ++i) {
                const double a = (static_cast<double>(pos[s]) + off[s]) * std::pow(static_cast<double>(p.rope_theta), -2.0 * i / sec[s]);
                const double x0 = x[c0 + 2 * i], y0 = x[c0 + 2 * i + 1];
                x[c0 + 2 * i] = x0 * std::cos(a) - y0 * std::sin(a);
                x[c0 + 2 * i + 1] = x0 * std::sin(a) + y0 * std::cos(a);
            }
            c0 += sec[s];
        }
    };
    auto row = [&](const std::vector<uint16_t>& t, int64_t off, int64_t sb, int64_t sn, int64_t sh, int64_t b, int64_t tok,
                   int64_t h) {
        std::vector<double> x(d);
        for (int64_t e = 0; e < d; ++e) x[e] = decode(c.dtype, t[off + b * sb + tok * sn + h * sh + e]);
        return x;
    };
    auto sees = [&](int64_t qt, int64_t kt) {
        const int64_t a[3] = {qt / (c.H * c.W), (qt / c.W) % c.H, qt % c.W};
        const int64_t k[3] = {kt / (c.H * c.W), (kt / c.W) % c.H, kt % c.W};
        switch (c.mode) {
            case REEL_ATTENTION_SPATIAL: return a[0] == k[0];
            case REEL_ATTENTION_TEMPORAL: return a[1] == k[1] && a[2] == k[2];
            case REEL_ATTENTION_WINDOW:
                for (int i = 0; i < 3; ++i) {
                    if (std::llabs(a[i] / c.tile[i] - k[i] / c.tile[i]) > c.window[i]) return false;
                }
                return true;
            default: return true;
        }
    };
    for (int64_t b = 0; b < c.B; ++b) {
        for (int64_t h = 0; h < c.heads; ++h) {
            const int64_t keys = cross ? (c.lens.empty() ? c.M : c.lens[b]) : n;
            std::vector<std::vector<double>> K, V;
            for (int64_t j = 0; j < keys; ++j) {
                K.push_back(row(buf.k, buf.ko, p.k_stride_b, p.k_stride_n, p.k_stride_h, b, j, h));
                rotate(K.back(), j);
                V.push_back(row(buf.v, buf.vo, p.v_stride_b, p.v_stride_n, p.v_stride_h, b, j, h));
            }
            for (int64_t i = 0; i < n; ++i) {
                auto qv = row(buf.q, buf.qo, p.q_stride_b, p.q_stride_n, p.q_stride_h, b, i, h);
                rotate(qv, i);
                std::vector<double> s;
                std::vector<int64_t> idx;
                double mx = -INFINITY;
                for (int64_t j = 0; j < keys; ++j) {
                    if (!cross && !sees(i, j)) continue;
                    double dot = 0;
                    for (int64_t e = 0; e < d; ++e) dot += qv[e] * K[j][e];
                    s.push_back(dot * p.scale), idx.push_back(j);
                    mx = std::max(mx, s.back());
                }
                double sum = 0;
                for (auto& x : s) sum += (x = std::exp(x - mx));
                double* o = &out[((b * n + i) * c.heads + h) * d];
                for (size_t j = 0; j < s.size(); ++j) {
                    for (int64_t e = 0; e < d; ++e) o[e] += s[j] / sum * V[idx[j]][e];
                }
                lse[(b * c.heads + h) * n + i] = s.empty() ? -INFINITY : mx + std::log(sum);
            }
        }
    }
}

inline void check(bool ok, const std::string& what) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::printf("FAILED %s\n", what.c_str());
    }
}

// Relative Frobenius error of `got` (storage) against `ref`; NaN never passes.
inline void compare(const Case& c, const reel_attention_params& p, const Buffers& buf, const std::vector<double>& ref,
             const std::vector<double>& ref_lse, const std::string& who, double tol_factor = 1.0) {
    const int64_t n = c.T * c.H * c.W, d = c.d;
    double err = 0, norm = 0;
    bool written = true;
    for (int64_t b = 0; b < c.B; ++b) {
        for (int64_t i = 0; i < n; ++i) {
            for (int64_t h = 0; h < c.heads; ++h) {
                for (int64_t e = 0; e < d; ++e) {
                    const uint16_t raw = buf.o[buf.oo + b * p.o_stride_b + i * p.o_stride_n + h * p.o_stride_h + e];
                    const double got = decode(c.dtype, raw), want = ref[((b * n + i) * c.heads + h) * d + e];
                    written = written && std::isfinite(got);
                    err += (got - want) * (got - want), norm += want * want;
                }
            }
        }
    }
    const double tol = (c.dtype == REEL_BF16 ? 1e-2 : 2e-3) * tol_factor;
    const double rel = norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
    check(written, who + ": every output element written and finite");
    check(rel <= tol, who + ": relative error " + std::to_string(rel) + " <= " + std::to_string(tol));
    if (c.layout == 1) {
        // The gaps between output rows are not the output's: they keep their poison.
        bool untouched = true;
        std::vector<char> mine(buf.o.size(), 0);
        for (int64_t b = 0; b < c.B; ++b)
            for (int64_t i = 0; i < n; ++i)
                for (int64_t h = 0; h < c.heads; ++h)
                    for (int64_t e = 0; e < d; ++e) mine[b * p.o_stride_b + i * p.o_stride_n + h * p.o_stride_h + e] = 1;
        for (size_t k = 0; k < buf.o.size(); ++k) untouched = untouched && (mine[k] || buf.o[k] == 0xFFFF);
        check(untouched, who + ": nothing written outside the output's elements");
    }
    if (c.lse) {
        double worst = 0;
        bool finite_ok = true;
        for (size_t k = 0; k < ref_lse.size(); ++k) {
            if (std::isinf(ref_lse[k])) {
                finite_ok = finite_ok && std::isinf(buf.lse[k]) && buf.lse[k] < 0;
            } else {
                // Scores (and so the LSE) carry the relative error of bf16/fp16 products.
                const double e = std::fabs(buf.lse[k] - ref_lse[k]) / std::max(1.0, std::fabs(ref_lse[k]));
                worst = std::isnan(e) ? INFINITY : std::max(worst, e);
            }
        }
        check(finite_ok && worst <= 2 * tol, who + ": LSE max error " + std::to_string(worst) + " (relative above 1)");
    }
}


inline const char* dtype_name(int32_t dt) { return dt == REEL_BF16 ? "bf16" : "f16"; }

// Every mode x dtype x head dim. The first six cases of each (dtype, head dim)
// are the core set (`quick`); head dims 32 and 96 get only those.
inline std::vector<Case> standard_cases(bool quick) {
    std::vector<Case> cases;
    for (int32_t dt : {REEL_BF16, REEL_F16}) {
        for (int64_t d : {32, 64, 96, 128}) {
            const std::string tag = std::string(dtype_name(dt)) + " d" + std::to_string(d);
            Case c;
            c.dtype = dt, c.d = d;

            Case full = c;
            full.name = "FULL " + tag + " B2 3x5x7 heads2 rope";
            full.B = 2, full.T = 3, full.H = 5, full.W = 7, full.heads = 2, full.rope = true;
            cases.push_back(full);

            Case spatial = c;
            spatial.name = "SPATIAL " + tag + " 3x9x11 interleaved qkv";
            spatial.mode = REEL_ATTENTION_SPATIAL, spatial.T = 3, spatial.H = 9, spatial.W = 11, spatial.heads = 2;
            spatial.layout = 1, spatial.rope = d == 128;
            cases.push_back(spatial);

            Case temporal = c;
            temporal.name = "TEMPORAL " + tag + " 67x2x3 rope";
            temporal.mode = REEL_ATTENTION_TEMPORAL, temporal.T = 67, temporal.H = 2, temporal.W = 3, temporal.rope = true;
            cases.push_back(temporal);

            Case window = c;
            window.name = "WINDOW " + tag + " 6x10x9 tiles 2x4x4 radius 1,1,0";
            window.mode = REEL_ATTENTION_WINDOW, window.T = 6, window.H = 10, window.W = 9;
            window.tile[0] = 2, window.tile[1] = 4, window.tile[2] = 4;
            window.window[0] = 1, window.window[1] = 1, window.window[2] = 0;
            window.rope = d == 64;
            cases.push_back(window);

            Case cross = c;
            cross.name = "CROSS " + tag + " B3 N40 M77 lens 77,30,0";
            cross.mode = REEL_ATTENTION_CROSS, cross.B = 3, cross.T = 2, cross.H = 4, cross.W = 5, cross.M = 77;
            cross.lens = {77, 30, 0}, cross.scale = 0.2f;
            cross.layout = d == 64 ? 1 : 0;
            cases.push_back(cross);

            Case packed_temporal = c;
            packed_temporal.name = "TEMPORAL " + tag + " 21x5x7 (columns packed per CTA) rope";
            packed_temporal.mode = REEL_ATTENTION_TEMPORAL, packed_temporal.T = 21, packed_temporal.H = 5;
            packed_temporal.W = 7, packed_temporal.rope = true, packed_temporal.layout = d == 64 ? 1 : 0;
            cases.push_back(packed_temporal);

            if (quick || d == 32 || d == 96) continue;

            Case unaligned = c;
            unaligned.name = "FULL " + tag + " 1x7x10 unaligned rows";
            unaligned.T = 1, unaligned.H = 7, unaligned.W = 10, unaligned.layout = 2, unaligned.lse = false;
            cases.push_back(unaligned);

            Case temporal_short = c;
            temporal_short.name = "TEMPORAL " + tag + " 5x3x4 interleaved qkv";
            temporal_short.mode = REEL_ATTENTION_TEMPORAL, temporal_short.T = 5, temporal_short.H = 3, temporal_short.W = 4;
            temporal_short.layout = 1;
            cases.push_back(temporal_short);

            Case packed_spatial = c;
            packed_spatial.name = "SPATIAL " + tag + " 7x3x5 (frames packed per CTA) rope";
            packed_spatial.mode = REEL_ATTENTION_SPATIAL, packed_spatial.T = 7, packed_spatial.H = 3, packed_spatial.W = 5;
            packed_spatial.rope = true, packed_spatial.heads = 2;
            cases.push_back(packed_spatial);

            Case shared_kv = c;
            shared_kv.name = "CROSS " + tag + " B2 N35 M50 K/V head-major, shared by the batch";
            shared_kv.mode = REEL_ATTENTION_CROSS, shared_kv.B = 2, shared_kv.T = 1, shared_kv.H = 5, shared_kv.W = 7;
            shared_kv.M = 50, shared_kv.heads = 2, shared_kv.layout = 3;
            cases.push_back(shared_kv);
            Case shared_full = shared_kv;
            shared_full.name = "FULL " + tag + " B2 5x7 K/V head-major, shared by the batch, rope";
            shared_full.mode = REEL_ATTENTION_FULL, shared_full.rope = true;
            cases.push_back(shared_full);

            Case single_column = c;
            single_column.name = "TEMPORAL " + tag + " 9x1x1 (one column) rope";
            single_column.mode = REEL_ATTENTION_TEMPORAL, single_column.T = 9, single_column.rope = true;
            cases.push_back(single_column);
            Case point_frames = single_column;
            point_frames.mode = REEL_ATTENTION_SPATIAL, point_frames.name = "SPATIAL " + tag + " 6x1x1 rope";
            point_frames.T = 6;
            cases.push_back(point_frames);
            Case flat_temporal = single_column;
            flat_temporal.name = "TEMPORAL " + tag + " 1x4x9 rope";
            flat_temporal.T = 1, flat_temporal.H = 4, flat_temporal.W = 9;
            cases.push_back(flat_temporal);

            Case token_window = c;
            token_window.name = "WINDOW " + tag + " 4x6x7 tiles 1x1x1 radius 1,2,1";
            token_window.mode = REEL_ATTENTION_WINDOW, token_window.T = 4, token_window.H = 6, token_window.W = 7;
            token_window.window[0] = 1, token_window.window[1] = 2, token_window.window[2] = 1;
            token_window.lse = false;
            if (d == 64) cases.push_back(token_window);

            Case whole = c;
            whole.name = "WINDOW " + tag + " whole video 3x8x8 tiles 2x4x3";
            whole.mode = REEL_ATTENTION_WINDOW, whole.T = 3, whole.H = 8, whole.W = 8;
            whole.tile[0] = 2, whole.tile[1] = 4, whole.tile[2] = 3;
            whole.window[0] = 1, whole.window[1] = 1, whole.window[2] = 2, whole.rope = true;
            cases.push_back(whole);

            Case cross_null = c;
            cross_null.name = "CROSS " + tag + " B1 N1 M5 all lengths";
            cross_null.mode = REEL_ATTENTION_CROSS, cross_null.M = 5, cross_null.heads = 3;
            cases.push_back(cross_null);
        }
    }
    return cases;
}

// Larger shapes that span many tiles: a Wan-like frame grid, a long temporal
// axis, a real window, a long context (run on a GPU; on the host on request).
inline std::vector<Case> large_cases() {
    std::vector<Case> cases;
    for (int32_t dt : {REEL_BF16, REEL_F16}) {
        for (int64_t d : {64, 128}) {
            const std::string tag = std::string(dtype_name(dt)) + " d" + std::to_string(d);
            Case full;
            full.name = "FULL " + tag + " 4x15x26 heads2 rope";
            full.dtype = dt, full.d = d, full.T = 4, full.H = 15, full.W = 26, full.heads = 2, full.rope = true;
            cases.push_back(full);
            Case spatial = full;
            spatial.name = "SPATIAL " + tag + " 5x30x26 interleaved qkv";
            spatial.mode = REEL_ATTENTION_SPATIAL, spatial.T = 5, spatial.H = 30, spatial.W = 26, spatial.layout = 1;
            cases.push_back(spatial);
            Case temporal = full;
            temporal.name = "TEMPORAL " + tag + " 130x6x5";
            temporal.mode = REEL_ATTENTION_TEMPORAL, temporal.T = 130, temporal.H = 6, temporal.W = 5;
            cases.push_back(temporal);
            Case window = full;
            window.name = "WINDOW " + tag + " 8x24x24 tiles 2x8x8 radius 1,1,1";
            window.mode = REEL_ATTENTION_WINDOW, window.T = 8, window.H = 24, window.W = 24;
            window.tile[0] = 2, window.tile[1] = 8, window.tile[2] = 8;
            window.window[0] = window.window[1] = window.window[2] = 1;
            cases.push_back(window);
            Case cross = full;
            cross.name = "CROSS " + tag + " B2 1x20x25 M300 lens 300,123";
            cross.mode = REEL_ATTENTION_CROSS, cross.B = 2, cross.T = 1, cross.H = 20, cross.W = 25, cross.M = 300;
            cross.lens = {300, 123}, cross.rope = false;
            cases.push_back(cross);
        }
    }
    return cases;
}

}  // namespace attention_test
