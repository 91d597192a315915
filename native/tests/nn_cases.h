// nn_cases.h — the cases that check the CUDA model-layer and image-layer
// kernels (kernels/nn/) against the CPU backend, shared by their host
// emulation (native/tests/nn_host) and the device test (test_cuda_nn.cpp).
//
// A case makes fresh random inputs in the call's storage dtype, runs the call
// on a Target (the emulated kernels, or reel_* on a CUDA device) and on the CPU
// backend (reel_* with device -1, REEL_F32, on the same values widened to fp32),
// and compares every element of the output buffer — the padding between strided
// rows too, which the call must leave as it was. Expected agreement:
//  - exact: the calls without double sums (bias_act, residual, embedding,
//    channel_affine, the masked mean, whose columns are summed in row order on
//    both backends, and the copies): fp32 bit for bit; bf16 storage: the
//    bits of the CPU's fp32 result rounded to bf16;
//  - near: the norms, whose double sums are added in another order: fp32
//    within `ulps` units of 2^-23 * max(|ref|, 1); bf16 within that plus one
//    bf16 ulp (a rounding boundary between two fp32 results);
//  - the timestep embedding's cos/sin/exp are double functions of the target,
//    so it is near (1 ulp) rather than exact on a device.
// Every comparison that passes is repeated with one output element perturbed,
// which must fail: the comparison can see a wrong result.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"

namespace nn_cases {

inline int64_t esize(int32_t dtype) { return dtype == REEL_F32 ? 4 : 2; }
inline const char* dname(int32_t dtype) { return dtype == REEL_F32 ? "f32" : dtype == REEL_BF16 ? "bf16" : "f16"; }

// Where the calls under test run. Buffers are opaque handles of that place.
struct Target {
    virtual ~Target() = default;
    virtual void* put(const void* host, int64_t bytes) = 0;       // a new buffer holding these bytes
    virtual void get(void* host, const void* buf, int64_t bytes) = 0;
    virtual void drop(void* buf) = 0;
    virtual void sync() {}
    virtual reel_status layer_norm(const reel_norm_params* p, const void* x, const void* w, const void* b,
                                   const void* shift, const void* scale, void* out) = 0;
    virtual reel_status rms_norm(const reel_rms_params* p, const void* x, const void* w, void* out) = 0;
    virtual reel_status bias_act(const reel_bias_act_params* p, const void* x, const void* bias, void* out) = 0;
    virtual reel_status residual(const reel_residual_params* p, void* x, const void* y, const void* bias,
                                 const void* gate) = 0;
    virtual reel_status patchify(const reel_patch_params* p, const void* src, void* dst) = 0;
    virtual reel_status unpatchify(const reel_patch_params* p, const void* src, void* dst) = 0;
    virtual reel_status timestep_embedding(int32_t dtype, int64_t batch, int64_t dim, double scale, const float* t,
                                           void* out) = 0;
    virtual reel_status embedding(const reel_embedding_params* p, const int64_t* ids, const void* table,
                                  const void* pos, void* out) = 0;
    virtual reel_status masked_mean(int32_t dtype, int64_t batch, int64_t len, int64_t dim, const void* x,
                                    const int64_t* lengths, void* out) = 0;
    virtual reel_status group_norm(const reel_group_norm_params* p, const void* x, const void* w, const void* b,
                                   void* out) = 0;
    virtual reel_status im2col(const reel_im2col_params* p, const void* x, void* patches) = 0;
    virtual reel_status channel_affine(const reel_channel_affine_params* p, const void* x, const void* scale,
                                       const void* shift, void* out) = 0;
    virtual reel_status upsample_nearest2x(int32_t dtype, int64_t planes, int64_t h, int64_t w, const void* x,
                                           void* out) = 0;
};

// ---- values ----

// Seeded from REEL_TEST_SEED when set (the seed is printed by report), else a fixed seed.
inline uint64_t seed() {
    static const uint64_t s = std::getenv("REEL_TEST_SEED") ? std::strtoull(std::getenv("REEL_TEST_SEED"), nullptr, 0) : 20261202u;
    return s;
}

inline std::mt19937_64& rng() {
    static std::mt19937_64 r(seed());
    return r;
}

inline uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float round_to(float v, int32_t dtype) {
    if (dtype == REEL_F32) return v;
    uint16_t h;
    float back;
    reel_convert(REEL_DEVICE_CPU, nullptr, &h, dtype, &v, REEL_F32, 1);
    reel_convert(REEL_DEVICE_CPU, nullptr, &back, REEL_F32, &h, dtype, 1);
    return back;
}

// n values uniform in [lo, hi), already representable in dtype.
inline std::vector<float> values(int64_t n, int32_t dtype, float lo = -2.0f, float hi = 2.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = round_to(d(rng()), dtype);
    return v;
}

inline std::vector<uint8_t> encode(const std::vector<float>& v, int32_t dtype) {
    std::vector<uint8_t> out(v.size() * static_cast<size_t>(esize(dtype)));
    if (!v.empty()) reel_convert(REEL_DEVICE_CPU, nullptr, out.data(), dtype, v.data(), REEL_F32, static_cast<int64_t>(v.size()));
    return out;
}

inline std::vector<float> decode(const std::vector<uint8_t>& b, int32_t dtype) {
    std::vector<float> out(b.size() / static_cast<size_t>(esize(dtype)));
    if (!out.empty()) reel_convert(REEL_DEVICE_CPU, nullptr, out.data(), REEL_F32, b.data(), dtype, static_cast<int64_t>(out.size()));
    return out;
}

// A tensor on the target, filled from fp32 values in the call's dtype.
struct Buf {
    Target* t;
    void* p;
    int64_t bytes;
    Buf(Target& target, const std::vector<float>& v, int32_t dtype) : t(&target) {
        const auto e = encode(v, dtype);
        bytes = static_cast<int64_t>(e.size());
        p = t->put(e.data(), bytes);
    }
    Buf(Target& target, const void* raw, int64_t n) : t(&target), p(target.put(raw, n)), bytes(n) {}
    Buf(const Buf&) = delete;
    Buf& operator=(const Buf&) = delete;
    ~Buf() { t->drop(p); }
    std::vector<float> read(int32_t dtype) const {
        std::vector<uint8_t> b(static_cast<size_t>(bytes));
        t->sync();
        t->get(b.data(), p, bytes);
        return decode(b, dtype);
    }
};

// ---- comparison ----

enum class Match { exact, near };

struct Stats {
    int64_t compared = 0, identical = 0;
    double worst_ulps = 0.0;  // fp32 near: the largest difference seen, in the units of `near`
};

inline Stats& stats() {
    static Stats s;
    return s;
}

// Whether got (the target, decoded) agrees with the CPU's fp32 result ref.
inline bool agree(const std::vector<float>& got, const std::vector<float>& ref, int32_t dtype, Match m, double ulps,
                  bool record, std::string* why) {
    if (got.size() != ref.size()) {
        if (why) *why = "sizes differ";
        return false;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        const float want = round_to(ref[i], dtype);
        if (record) ++stats().compared;
        if (std::isnan(want) || std::isnan(got[i])) {
            if (std::isnan(want) && std::isnan(got[i])) {
                if (record) ++stats().identical;
                continue;
            }
        } else if (bits(got[i]) == bits(want)) {
            if (record) ++stats().identical;
            continue;
        } else if (m == Match::near) {
            const double unit = std::ldexp(1.0, -23) * std::fmax(std::fabs(static_cast<double>(ref[i])), 1.0);
            double tol = ulps * unit;
            if (dtype != REEL_F32) tol += std::ldexp(std::fabs(static_cast<double>(want)), -7);
            const double d = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want));
            if (d <= tol) {
                if (record && dtype == REEL_F32 && d / unit > stats().worst_ulps) stats().worst_ulps = d / unit;
                continue;
            }
        }
        if (why) {
            char msg[160];
            std::snprintf(msg, sizeof msg, "element %zu: got %.9g, want %.9g (cpu fp32 %.9g)", i, static_cast<double>(got[i]),
                          static_cast<double>(want), static_cast<double>(ref[i]));
            *why = msg;
        }
        return false;
    }
    return true;
}

// One element moved by 64 units of the tolerance (or to NaN): must not agree.
inline std::vector<float> perturb(std::vector<float> v) {
    for (auto& x : v) {
        if (std::isnan(x)) continue;
        x = std::isfinite(x) ? x + std::ldexp(std::fmax(std::fabs(x), 1.0f), -3) : NAN;
        break;
    }
    return v;
}

inline void expect(const std::string& what, int32_t dtype, const std::vector<float>& got, const std::vector<float>& ref,
                   Match m, double ulps = 4.0) {
    std::string why;
    const bool ok = agree(got, ref, dtype, m, ulps, true, &why);
    if (!ok) std::printf("  %s (%s): %s\n", what.c_str(), dname(dtype), why.c_str());
    CHECK(ok);
    if (ok && !got.empty()) CHECK(!agree(perturb(got), ref, dtype, m, ulps, false, nullptr));
}

inline void expect_ok(const std::string& what, reel_status s) {
    if (s != REEL_OK) std::printf("  %s: status %d: %s\n", what.c_str(), s, reel_last_error());
    CHECK(s == REEL_OK);
}

inline const void* opt(const Buf& b, bool on) { return on ? b.p : nullptr; }
inline const float* opt(const std::vector<float>& v, bool on) { return on ? v.data() : nullptr; }

// ---- the calls ----

struct LayerNormCase {
    int64_t rows, dim, x_stride, out_stride, rows_per_group, mod_stride;
    bool weight, bias, shift, scale, in_place;
    float offset;  // added to x: a large mean against the spread
};

inline void layer_norm(Target& t, int32_t dt, const LayerNormCase& c) {
    reel_norm_params p{};
    p.dtype = dt;
    p.rows = c.rows;
    p.dim = c.dim;
    p.x_stride = c.x_stride;
    p.out_stride = c.in_place ? c.x_stride : c.out_stride;
    p.rows_per_group = c.rows_per_group;
    p.mod_stride = c.mod_stride;
    p.eps = 1e-6f;
    const int64_t groups = c.rows / c.rows_per_group;
    auto x = values(c.rows * c.x_stride, dt, c.offset - 2.0f, c.offset + 2.0f);
    auto out = values(c.rows * p.out_stride, dt);
    const auto w = values(c.dim, dt, 0.5f, 1.5f), b = values(c.dim, dt);
    const auto mod = values(groups * c.mod_stride + c.dim, dt, -1.0f, 1.0f);  // shift at 0, scale at dim
    Buf X(t, x, dt), O(t, out, dt), W(t, w, dt), B(t, b, dt), M(t, mod, dt);
    expect_ok("layer_norm", t.layer_norm(&p, X.p, opt(W, c.weight), opt(B, c.bias), opt(M, c.shift),
                                         c.scale ? static_cast<char*>(M.p) + c.dim * esize(dt) : nullptr,
                                         c.in_place ? X.p : O.p));
    const auto got = (c.in_place ? X : O).read(dt);
    reel_norm_params q = p;
    q.dtype = REEL_F32;
    float* ref_out = c.in_place ? x.data() : out.data();
    expect_ok("layer_norm cpu", reel_layer_norm(REEL_DEVICE_CPU, nullptr, &q, x.data(), opt(w, c.weight), opt(b, c.bias),
                                                opt(mod, c.shift), c.scale ? mod.data() + c.dim : nullptr, ref_out));
    expect("layer_norm rows " + std::to_string(c.rows) + " dim " + std::to_string(c.dim), dt, got,
           c.in_place ? x : out, Match::near);
}

struct RmsCase {
    int64_t rows, heads, head_dim, x_stride, out_stride;
    bool weight, in_place;
};

inline void rms_norm(Target& t, int32_t dt, const RmsCase& c) {
    reel_rms_params p{};
    p.dtype = dt;
    p.rows = c.rows;
    p.heads = c.heads;
    p.head_dim = c.head_dim;
    p.x_stride = c.x_stride;
    p.out_stride = c.in_place ? c.x_stride : c.out_stride;
    p.eps = 1e-6f;
    auto x = values(c.rows * c.x_stride, dt), out = values(c.rows * p.out_stride, dt);
    const auto w = values(c.head_dim, dt, 0.5f, 1.5f);
    Buf X(t, x, dt), O(t, out, dt), W(t, w, dt);
    expect_ok("rms_norm", t.rms_norm(&p, X.p, opt(W, c.weight), c.in_place ? X.p : O.p));
    const auto got = (c.in_place ? X : O).read(dt);
    reel_rms_params q = p;
    q.dtype = REEL_F32;
    expect_ok("rms_norm cpu", reel_rms_norm(REEL_DEVICE_CPU, nullptr, &q, x.data(), opt(w, c.weight),
                                            c.in_place ? x.data() : out.data()));
    expect("rms_norm heads " + std::to_string(c.heads) + " d " + std::to_string(c.head_dim), dt, got,
           c.in_place ? x : out, Match::near);
}

struct BiasActCase {
    int32_t act;
    int64_t rows, dim, bias_rows, x_stride, out_stride;
    bool bias, in_place;
    float range;  // x in [-range, range)
};

inline void bias_act(Target& t, int32_t dt, const BiasActCase& c) {
    reel_bias_act_params p{};
    p.dtype = dt;
    p.act = c.act;
    p.rows = c.rows;
    p.dim = c.dim;
    p.bias_rows = c.bias_rows;
    p.x_stride = c.x_stride;
    p.out_stride = c.in_place ? c.x_stride : c.out_stride;
    auto x = values(c.rows * c.x_stride, dt, -c.range, c.range), out = values(c.rows * p.out_stride, dt);
    const auto b = values(c.bias_rows * c.dim, dt);
    Buf X(t, x, dt), O(t, out, dt), B(t, b, dt);
    expect_ok("bias_act", t.bias_act(&p, X.p, opt(B, c.bias), c.in_place ? X.p : O.p));
    const auto got = (c.in_place ? X : O).read(dt);
    reel_bias_act_params q = p;
    q.dtype = REEL_F32;
    expect_ok("bias_act cpu", reel_bias_act(REEL_DEVICE_CPU, nullptr, &q, x.data(), opt(b, c.bias), c.in_place ? x.data() : out.data()));
    expect("bias_act act " + std::to_string(c.act) + " dim " + std::to_string(c.dim), dt, got, c.in_place ? x : out,
           Match::exact);
}

struct ResidualCase {
    int64_t rows, dim, x_stride, y_stride, rows_per_group, gate_stride;
    bool bias, gate, y_is_x;
};

inline void residual(Target& t, int32_t dt, const ResidualCase& c) {
    reel_residual_params p{};
    p.dtype = dt;
    p.rows = c.rows;
    p.dim = c.dim;
    p.x_stride = c.x_stride;
    p.y_stride = c.y_is_x ? c.x_stride : c.y_stride;
    p.rows_per_group = c.rows_per_group;
    p.gate_stride = c.gate_stride;
    auto x = values(c.rows * c.x_stride, dt);
    const auto y = values(c.rows * p.y_stride, dt), b = values(c.dim, dt);
    const auto g = values(c.rows / c.rows_per_group * c.gate_stride, dt);
    Buf X(t, x, dt), Y(t, y, dt), B(t, b, dt), G(t, g, dt);
    expect_ok("residual", t.residual(&p, X.p, c.y_is_x ? X.p : Y.p, opt(B, c.bias), opt(G, c.gate)));
    const auto got = X.read(dt);
    reel_residual_params q = p;
    q.dtype = REEL_F32;
    expect_ok("residual cpu", reel_residual(REEL_DEVICE_CPU, nullptr, &q, x.data(), c.y_is_x ? x.data() : y.data(),
                                            opt(b, c.bias), opt(g, c.gate)));
    expect("residual dim " + std::to_string(c.dim), dt, got, x, Match::exact);
}

inline void patch(Target& t, int32_t dt, int64_t B, int64_t C, int64_t T, int64_t H, int64_t W, int64_t pt, int64_t ph,
                  int64_t pw) {
    reel_patch_params p{};
    p.dtype = dt;
    p.batch = B;
    p.channels = C;
    p.frames = T;
    p.height = H;
    p.width = W;
    p.patch_t = pt;
    p.patch_h = ph;
    p.patch_w = pw;
    const int64_t n = B * C * T * H * W;
    // Every bit pattern of the dtype is copied as it is: raw random bytes, NaNs included.
    std::vector<uint8_t> video(static_cast<size_t>(n * esize(dt))), tokens(video.size()), ref(video.size());
    for (auto& v : video) v = static_cast<uint8_t>(rng()());
    for (auto& v : tokens) v = static_cast<uint8_t>(rng()());
    const std::string what = "patchify " + std::to_string(n) + " " + dname(dt);
    for (int dir = 0; dir < 2; ++dir) {
        const auto& src = dir == 0 ? video : tokens;
        std::vector<uint8_t> init(src.size(), 0x5A), got(src.size());
        Buf S(t, src.data(), static_cast<int64_t>(src.size())), D(t, init.data(), static_cast<int64_t>(init.size()));
        expect_ok(what, dir == 0 ? t.patchify(&p, S.p, D.p) : t.unpatchify(&p, S.p, D.p));
        t.sync();
        t.get(got.data(), D.p, D.bytes);
        const reel_status s = dir == 0 ? reel_patchify(REEL_DEVICE_CPU, nullptr, &p, src.data(), ref.data())
                                       : reel_unpatchify(REEL_DEVICE_CPU, nullptr, &p, src.data(), ref.data());
        expect_ok(what + " cpu", s);
        const bool same = got == ref;
        if (!same) std::printf("  %s direction %d: bytes differ\n", what.c_str(), dir);
        CHECK(same);
        got[got.size() / 2] ^= 1;  // the comparison sees one flipped bit
        CHECK(got != ref);
    }
}

inline void timestep(Target& t, int32_t dt, int64_t batch, int64_t dim, double scale) {
    auto ts = values(batch, REEL_F32, 0.0f, 1.0f);
    ts[0] = 0.0f;
    if (batch > 1) ts[1] = 1.0f;
    auto out = values(batch * dim, dt);
    Buf T(t, ts.data(), batch * 4), O(t, out, dt);
    expect_ok("timestep", t.timestep_embedding(dt, batch, dim, scale, static_cast<const float*>(T.p), O.p));
    const auto got = O.read(dt);
    expect_ok("timestep cpu", reel_timestep_embedding(REEL_DEVICE_CPU, nullptr, REEL_F32, batch, dim, scale, ts.data(), out.data()));
    expect("timestep dim " + std::to_string(dim), dt, got, out, Match::near, 1.0);
}

// bad: rows whose id is outside [0, vocab) (the target must write NaN there).
inline void embedding(Target& t, int32_t dt, int64_t rows, int64_t dim, int64_t vocab, int64_t positions, bool pos,
                      bool bad) {
    reel_embedding_params p{};
    p.dtype = dt;
    p.rows = rows;
    p.dim = dim;
    p.vocab = vocab;
    p.positions = positions;
    p.scale = 2.75f;
    std::vector<int64_t> ids(static_cast<size_t>(rows));
    std::uniform_int_distribution<int64_t> pick(0, vocab - 1);
    for (auto& id : ids) id = pick(rng());
    std::vector<int64_t> bad_rows;
    if (bad) {
        const int64_t wrong[] = {-1, vocab, INT64_MIN, INT64_MAX};
        for (int64_t k = 0; k < 4 && 2 * k + 1 < rows; ++k) {
            ids[static_cast<size_t>(2 * k + 1)] = wrong[k];
            bad_rows.push_back(2 * k + 1);
        }
    }
    const auto table = values(vocab * dim, dt), ptab = values(positions * dim, dt);
    auto out = values(rows * dim, dt);
    Buf I(t, ids.data(), rows * 8), TB(t, table, dt), P(t, ptab, dt), O(t, out, dt);
    expect_ok("embedding", t.embedding(&p, static_cast<const int64_t*>(I.p), TB.p, opt(P, pos), O.p));
    const auto got = O.read(dt);
    // The CPU refuses bad ids: its reference uses id 0 there, and those rows must be NaN.
    auto fixed = ids;
    for (int64_t r : bad_rows) fixed[static_cast<size_t>(r)] = 0;
    reel_embedding_params q = p;
    q.dtype = REEL_F32;
    expect_ok("embedding cpu", reel_embedding(REEL_DEVICE_CPU, nullptr, &q, fixed.data(), table.data(), opt(ptab, pos), out.data()));
    for (int64_t r : bad_rows) {
        for (int64_t c = 0; c < dim; ++c) out[static_cast<size_t>(r * dim + c)] = NAN;
    }
    expect("embedding dim " + std::to_string(dim) + (bad ? " (bad ids)" : ""), dt, got, out, Match::exact);
    if (bad && !bad_rows.empty()) CHECK(std::isnan(got[static_cast<size_t>(bad_rows[0] * dim)]));
}

inline void masked_mean(Target& t, int32_t dt, int64_t batch, int64_t len, int64_t dim, std::vector<int64_t> lengths) {
    const auto x = values(batch * len * dim, dt);
    auto out = values(batch * dim, dt);
    Buf X(t, x, dt), L(t, lengths.data(), batch * 8), O(t, out, dt);
    expect_ok("masked_mean", t.masked_mean(dt, batch, len, dim, X.p, static_cast<const int64_t*>(L.p), O.p));
    const auto got = O.read(dt);
    std::vector<int64_t> fixed = lengths;
    std::vector<int64_t> bad;
    for (int64_t b = 0; b < batch; ++b) {
        if (lengths[static_cast<size_t>(b)] < 1 || lengths[static_cast<size_t>(b)] > len) {
            fixed[static_cast<size_t>(b)] = 1;
            bad.push_back(b);
        }
    }
    expect_ok("masked_mean cpu", reel_masked_mean(REEL_DEVICE_CPU, nullptr, REEL_F32, batch, len, dim, x.data(), fixed.data(), out.data()));
    for (int64_t b : bad) {
        for (int64_t c = 0; c < dim; ++c) out[static_cast<size_t>(b * dim + c)] = NAN;
    }
    expect("masked_mean dim " + std::to_string(dim) + (bad.empty() ? "" : " (bad lengths)"), dt, got, out, Match::exact);
}

struct GroupNormCase {
    int32_t act;
    int64_t batch, channels, groups, spatial;
    int64_t x_batch_stride, x_channel_stride, out_batch_stride, out_channel_stride;
    bool weight, bias, in_place;
};

inline int64_t group_norm_span(int64_t n, int64_t c, int64_t s, int64_t bs, int64_t cs) {
    return (n - 1) * bs + (c - 1) * cs + s;
}

inline void group_norm(Target& t, int32_t dt, const GroupNormCase& c) {
    reel_group_norm_params p{};
    p.dtype = dt;
    p.act = c.act;
    p.batch = c.batch;
    p.channels = c.channels;
    p.groups = c.groups;
    p.spatial = c.spatial;
    p.x_batch_stride = c.x_batch_stride;
    p.x_channel_stride = c.x_channel_stride;
    p.out_batch_stride = c.in_place ? c.x_batch_stride : c.out_batch_stride;
    p.out_channel_stride = c.in_place ? c.x_channel_stride : c.out_channel_stride;
    p.eps = 1e-5f;
    auto x = values(group_norm_span(c.batch, c.channels, c.spatial, c.x_batch_stride, c.x_channel_stride), dt, -1.0f, 3.0f);
    auto out = values(group_norm_span(c.batch, c.channels, c.spatial, p.out_batch_stride, p.out_channel_stride), dt);
    const auto w = values(c.channels, dt, 0.5f, 1.5f), b = values(c.channels, dt);
    Buf X(t, x, dt), O(t, out, dt), W(t, w, dt), B(t, b, dt);
    expect_ok("group_norm", t.group_norm(&p, X.p, opt(W, c.weight), opt(B, c.bias), c.in_place ? X.p : O.p));
    const auto got = (c.in_place ? X : O).read(dt);
    reel_group_norm_params q = p;
    q.dtype = REEL_F32;
    expect_ok("group_norm cpu", reel_group_norm(REEL_DEVICE_CPU, nullptr, &q, x.data(), opt(w, c.weight), opt(b, c.bias),
                                                c.in_place ? x.data() : out.data()));
    expect("group_norm C " + std::to_string(c.channels) + " G " + std::to_string(c.groups) + " act " + std::to_string(c.act),
           dt, got, c.in_place ? x : out, Match::near);
}

// frame_major: x is [F, C, H, W] (else the channel-major [C, F, H, W]).
inline void im2col(Target& t, int32_t dt, int32_t kernel, int32_t stride, int64_t C, int64_t F, int64_t H, int64_t W,
                   bool frame_major, int64_t pad_stride) {
    reel_im2col_params p{};
    p.dtype = dt;
    p.kernel = kernel;
    p.stride = stride;
    p.channels = C;
    p.frames = F;
    p.height = H;
    p.width = W;
    p.channel_stride = frame_major ? H * W : F * H * W;
    p.frame_stride = frame_major ? C * H * W : H * W;
    const int64_t ho = (H - 1) / stride + 1, wo = (W - 1) / stride + 1;
    p.row_begin = F * ho > 2 ? 1 : 0;
    p.row_end = F * ho > 2 ? F * ho - 1 : F * ho;
    p.patches_stride = (p.row_end - p.row_begin) * wo + pad_stride;
    const auto x = values(C * F * H * W, dt);
    auto out = values(C * kernel * kernel * p.patches_stride, dt);
    Buf X(t, x, dt), O(t, out, dt);
    expect_ok("im2col", t.im2col(&p, X.p, O.p));
    const auto got = O.read(dt);
    reel_im2col_params q = p;
    q.dtype = REEL_F32;
    expect_ok("im2col cpu", reel_im2col(REEL_DEVICE_CPU, nullptr, &q, x.data(), out.data()));
    expect("im2col k " + std::to_string(kernel) + " s " + std::to_string(stride), dt, got, out, Match::exact);
}

struct ChannelAffineCase {
    int64_t channels, count, x_stride, out_stride;
    bool x, scale, shift, in_place;
};

inline void channel_affine(Target& t, int32_t dt, const ChannelAffineCase& c) {
    reel_channel_affine_params p{};
    p.dtype = dt;
    p.channels = c.channels;
    p.count = c.count;
    p.x_stride = c.x_stride;
    p.out_stride = c.in_place ? c.x_stride : c.out_stride;
    auto x = values(c.channels * c.x_stride, dt), out = values(c.channels * p.out_stride, dt);
    const auto sc = values(c.channels, dt), sh = values(c.channels, dt);
    Buf X(t, x, dt), O(t, out, dt), S(t, sc, dt), H(t, sh, dt);
    expect_ok("channel_affine", t.channel_affine(&p, opt(X, c.x), opt(S, c.scale), opt(H, c.shift), c.in_place ? X.p : O.p));
    const auto got = (c.in_place ? X : O).read(dt);
    reel_channel_affine_params q = p;
    q.dtype = REEL_F32;
    expect_ok("channel_affine cpu", reel_channel_affine(REEL_DEVICE_CPU, nullptr, &q, opt(x, c.x), opt(sc, c.scale), opt(sh, c.shift),
                                                        c.in_place ? x.data() : out.data()));
    expect("channel_affine count " + std::to_string(c.count), dt, got, c.in_place ? x : out, Match::exact);
}

inline void upsample(Target& t, int32_t dt, int64_t planes, int64_t h, int64_t w) {
    const auto x = values(planes * h * w, dt);
    auto out = values(planes * 4 * h * w, dt);
    Buf X(t, x, dt), O(t, out, dt);
    expect_ok("upsample", t.upsample_nearest2x(dt, planes, h, w, X.p, O.p));
    const auto got = O.read(dt);
    expect_ok("upsample cpu", reel_upsample_nearest2x(REEL_DEVICE_CPU, nullptr, REEL_F32, planes, h, w, x.data(), out.data()));
    expect("upsample " + std::to_string(h) + "x" + std::to_string(w), dt, got, out, Match::exact);
}

// ---- the suite ----

// Every call in REEL_F32 and REEL_BF16 (patchify also REEL_F16) on odd sizes,
// strides, groups, absent optional inputs, in-place use and bad ids / lengths;
// `large` adds model-sized shapes (the device test without the sanitizer).
inline void run_all(Target& t, bool large) {
    for (int32_t dt : {REEL_F32, REEL_BF16}) {
        const LayerNormCase ln[] = {
            {5, 7, 7, 7, 1, 7, false, false, false, false, false, 0.0f},
            {6, 300, 301, 303, 3, 1800, true, true, true, true, false, 0.5f},
            {4, 1000, 1000, 1000, 2, 1000, true, false, true, false, true, 0.0f},
            {40, 33, 33, 40, 8, 70, false, true, false, true, false, -0.25f},
            {3, 1, 1, 1, 1, 1, true, true, true, true, false, 0.0f},
            {7, 65, 65, 65, 7, 130, true, true, true, true, false, 60.0f},
        };
        for (const auto& c : ln) layer_norm(t, dt, c);
        if (large) layer_norm(t, dt, {512, 1152, 1152, 1152, 256, 6912, true, true, true, true, false, 0.1f});

        const RmsCase rms[] = {
            {5, 1, 7, 7, 7, false, false},
            {9, 4, 64, 3 * 4 * 64, 3 * 4 * 64, true, true},  // the q third of a packed qkv, in place
            {3, 2, 300, 601, 650, false, false},
            {4, 3, 32, 96, 100, true, false},
        };
        for (const auto& c : rms) rms_norm(t, dt, c);
        if (large) rms_norm(t, dt, {1024, 16, 64, 3 * 16 * 64, 3 * 16 * 64, true, true});

        for (int32_t act : {REEL_ACT_NONE, REEL_ACT_GELU_TANH, REEL_ACT_SILU}) {
            const BiasActCase ba[] = {
                {act, 7, 13, 1, 13, 15, true, false, 4.0f},
                {act, 12, 40, 4, 41, 41, true, true, 6.0f},
                {act, 3, 5, 1, 5, 5, false, false, 30.0f},
                {act, 2, 600, 2, 600, 601, true, false, 100.0f},
            };
            for (const auto& c : ba) bias_act(t, dt, c);
            if (large) bias_act(t, dt, {act, 2048, 1024, 1, 1024, 1024, true, false, 8.0f});
        }

        const ResidualCase rs[] = {
            {6, 9, 9, 9, 3, 20, true, true, false},
            {5, 17, 17, 17, 1, 17, false, false, true},
            {8, 300, 301, 310, 8, 300, false, true, false},
            {4, 3, 5, 3, 2, 3, true, false, false},
        };
        for (const auto& c : rs) residual(t, dt, c);
        if (large) residual(t, dt, {2048, 1152, 1152, 1152, 256, 6912, true, true, false});

        timestep(t, dt, 5, 2, 1000.0);
        timestep(t, dt, 3, 8, 1.0);
        timestep(t, dt, 4, 258, 1000.0);

        embedding(t, dt, 12, 7, 9, 4, true, false);
        embedding(t, dt, 5, 300, 3, 1, false, false);
        embedding(t, dt, 9, 6, 5, 3, true, true);
        if (large) embedding(t, dt, 4096, 512, 1000, 64, true, true);

        masked_mean(t, dt, 4, 6, 11, {1, 6, 3, 2});
        masked_mean(t, dt, 5, 3, 300, {0, 4, 3, -1, 1});
        if (large) masked_mean(t, dt, 64, 77, 512, std::vector<int64_t>(64, 50));

        const GroupNormCase gn[] = {
            {REEL_ACT_SILU, 2, 6, 3, 17, 6 * 17, 17, 6 * 17, 17, true, true, false},
            {REEL_ACT_NONE, 3, 8, 2, 16, 16, 3 * 16, 16, 3 * 16, false, false, true},  // [C, N, S], in place
            {REEL_ACT_GELU_TANH, 1, 4, 4, 300, 1300, 310, 1400, 320, true, false, false},
            {REEL_ACT_SILU, 2, 5, 1, 3, 20, 4, 20, 4, false, true, false},
        };
        for (const auto& c : gn) group_norm(t, dt, c);
        if (large) group_norm(t, dt, {REEL_ACT_SILU, 2, 128, 32, 32 * 32, 128 * 1024, 1024, 128 * 1024, 1024, true, true, false});

        for (int32_t k : {1, 3}) {
            for (int32_t s : {1, 2}) {
                im2col(t, dt, k, s, 3, 2, 7, 9, false, 3);
                im2col(t, dt, k, s, 2, 3, 4, 1, true, 0);
            }
        }
        if (large) im2col(t, dt, 3, 1, 64, 4, 32, 32, false, 0);

        const ChannelAffineCase ca[] = {
            {5, 17, 20, 23, true, true, true, false},
            {4, 9, 9, 9, false, false, true, false},
            {3, 33, 40, 33, true, false, true, false},
            {6, 8, 8, 8, true, true, false, true},
        };
        for (const auto& c : ca) channel_affine(t, dt, c);
        if (large) channel_affine(t, dt, {256, 64 * 1024, 64 * 1024, 64 * 1024, true, true, true, true});

        upsample(t, dt, 3, 5, 7);
        upsample(t, dt, 1, 1, 1);
        if (large) upsample(t, dt, 128, 64, 64);
    }
    for (int32_t dt : {REEL_F32, REEL_BF16, REEL_F16}) {
        patch(t, dt, 2, 3, 4, 6, 10, 2, 3, 5);
        patch(t, dt, 1, 1, 1, 1, 1, 1, 1, 1);
        patch(t, dt, 1, 5, 3, 4, 4, 1, 2, 2);
        if (large) patch(t, dt, 2, 4, 16, 64, 64, 1, 2, 2);
    }
}

inline void report(const char* where) {
    const Stats& s = stats();
    std::printf("%s (REEL_TEST_SEED=%llu): %lld elements compared, %lld bit-identical with the CPU (%.4f%%), largest fp32 difference of the "
                "norms %.2f units of 2^-23*max(|ref|,1)\n",
                where, static_cast<unsigned long long>(seed()), static_cast<long long>(s.compared), static_cast<long long>(s.identical),
                s.compared ? 100.0 * static_cast<double>(s.identical) / static_cast<double>(s.compared) : 0.0, s.worst_ulps);
}

}  // namespace nn_cases
