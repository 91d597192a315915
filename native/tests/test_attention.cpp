// reel_attention_forward on the CPU against a plain double-precision reference:
// every mode, dtype and head dim on odd shapes, under every instruction set the
// CPU has (REEL_CPU_ISA caps it), plus the statuses for bad arguments and the
// CUDA backend's answer while it has no kernel.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "check.h"

namespace {

struct Case {
    int mode;
    int dtype;
    int64_t B, T, H, W, heads, d, M;
    bool rope;
};

uint16_t to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

float from_bf16(uint16_t h) {
    const uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

struct Tensor {
    std::vector<float> values;  // what the kernel sees (bf16-rounded for BF16)
    std::vector<float> f32;
    std::vector<uint16_t> bf16;
    const void* data(int dtype) const { return dtype == REEL_F32 ? static_cast<const void*>(f32.data()) : bf16.data(); }
};

Tensor random_tensor(int64_t count, int dtype, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Tensor t;
    t.values.resize(count);
    for (auto& x : t.values) x = normal(rng);
    if (dtype == REEL_BF16) {
        for (auto& x : t.values) {
            t.bf16.push_back(to_bf16(x));
            x = from_bf16(t.bf16.back());
        }
    } else {
        t.f32 = t.values;
    }
    return t;
}

void rope(const reel_attention_params& p, int64_t n, std::vector<double>& x) {
    const int64_t pos[3] = {n / (p.height * p.width), n / p.width % p.height, n % p.width};
    const double off[3] = {p.rope_t0, p.rope_h0, p.rope_w0};
    const int dims[3] = {p.rope_dt, p.rope_dh, p.rope_dw};
    int c0 = 0;
    for (int a = 0; a < 3; ++a) {
        for (int i = 0; i < dims[a] / 2; ++i) {
            const double angle = (pos[a] + off[a]) * std::pow(static_cast<double>(p.rope_theta), -2.0 * i / dims[a]);
            const double x0 = x[c0 + 2 * i], x1 = x[c0 + 2 * i + 1];
            x[c0 + 2 * i] = x0 * std::cos(angle) - x1 * std::sin(angle);
            x[c0 + 2 * i + 1] = x0 * std::sin(angle) + x1 * std::cos(angle);
        }
        c0 += dims[a];
    }
}

bool sees(const reel_attention_params& p, int64_t n, int64_t m) {
    const int64_t hw = p.height * p.width;
    const int64_t t = n / hw, h = n / p.width % p.height, w = n % p.width;
    const int64_t t2 = m / hw, h2 = m / p.width % p.height, w2 = m % p.width;
    switch (p.mode) {
        case REEL_ATTENTION_SPATIAL: return t == t2;
        case REEL_ATTENTION_TEMPORAL: return h == h2 && w == w2;
        case REEL_ATTENTION_WINDOW:
            return std::llabs(t / p.tile_t - t2 / p.tile_t) <= p.window_t &&
                   std::llabs(h / p.tile_h - h2 / p.tile_h) <= p.window_h &&
                   std::llabs(w / p.tile_w - w2 / p.tile_w) <= p.window_w;
        default: return true;
    }
}

// Contiguous [B, N, heads, d] reference; returns out and lse.
void reference(const reel_attention_params& p, const Tensor& q, const Tensor& k, const Tensor& v,
               const int64_t* lens, std::vector<double>& out, std::vector<double>& lse) {
    const int64_t n_tok = p.frames * p.height * p.width, d = p.head_dim;
    const bool cross = p.mode == REEL_ATTENTION_CROSS;
    const int64_t m_tok = cross ? p.context_len : n_tok;
    out.assign(p.batch * n_tok * p.heads * d, 0.0);
    lse.assign(p.batch * p.heads * n_tok, 0.0);
    std::vector<double> qr(d), kr(d), s(m_tok);
    for (int64_t b = 0; b < p.batch; ++b)
        for (int64_t h = 0; h < p.heads; ++h)
            for (int64_t n = 0; n < n_tok; ++n) {
                for (int64_t c = 0; c < d; ++c) qr[c] = q.values[((b * n_tok + n) * p.heads + h) * d + c];
                if (p.rope) rope(p, n, qr);
                const int64_t limit = cross && lens ? lens[b] : m_tok;
                double mx = -INFINITY;
                for (int64_t m = 0; m < m_tok; ++m) {
                    s[m] = -INFINITY;
                    if (m >= limit || (!cross && !sees(p, n, m))) continue;
                    for (int64_t c = 0; c < d; ++c) kr[c] = k.values[((b * m_tok + m) * p.heads + h) * d + c];
                    if (p.rope) rope(p, m, kr);
                    double dot = 0;
                    for (int64_t c = 0; c < d; ++c) dot += qr[c] * kr[c];
                    s[m] = dot * p.scale;
                    mx = std::max(mx, s[m]);
                }
                double sum = 0;
                double* o = &out[((b * n_tok + n) * p.heads + h) * d];
                for (int64_t m = 0; m < limit; ++m) {
                    if (s[m] == -INFINITY) continue;
                    const double e = std::exp(s[m] - mx);
                    sum += e;
                    for (int64_t c = 0; c < d; ++c) o[c] += e * v.values[((b * m_tok + m) * p.heads + h) * d + c];
                }
                for (int64_t c = 0; c < d; ++c) o[c] = sum > 0 ? o[c] / sum : 0.0;
                lse[(b * p.heads + h) * n_tok + n] = sum > 0 ? mx + std::log(sum) : -INFINITY;
            }
}

reel_attention_params params_for(const Case& c) {
    reel_attention_params p{};
    p.mode = c.mode;
    p.dtype = c.dtype;
    p.batch = c.B;
    p.frames = c.T;
    p.height = c.H;
    p.width = c.W;
    p.heads = c.heads;
    p.head_dim = c.d;
    const int64_t n = c.T * c.H * c.W, m = c.mode == REEL_ATTENTION_CROSS ? c.M : n;
    p.q_stride_b = p.o_stride_b = n * c.heads * c.d;
    p.k_stride_b = p.v_stride_b = m * c.heads * c.d;
    p.q_stride_n = p.k_stride_n = p.v_stride_n = p.o_stride_n = c.heads * c.d;
    p.q_stride_h = p.k_stride_h = p.v_stride_h = p.o_stride_h = c.d;
    p.context_len = c.M;
    p.tile_t = 2;
    p.tile_h = 3;
    p.tile_w = 4;
    p.window_t = 1;
    p.window_h = 1;
    p.window_w = 0;
    if (c.rope) {
        p.rope = 1;
        p.rope_dt = static_cast<int32_t>(c.d / 4);
        p.rope_dh = static_cast<int32_t>(c.d / 4 + 2);
        p.rope_dw = static_cast<int32_t>(c.d / 4 + 2);
        p.rope_theta = 10000.0f;
        p.rope_t0 = 1.5f;
        p.rope_h0 = -2.0f;
        p.rope_w0 = 3.0f;
    }
    p.scale = 0.7f / std::sqrt(static_cast<float>(c.d));
    return p;
}

double run_case(const Case& c, std::mt19937& rng) {
    reel_attention_params p = params_for(c);
    const int64_t n = c.T * c.H * c.W, m = c.mode == REEL_ATTENTION_CROSS ? c.M : n;
    const Tensor q = random_tensor(c.B * n * c.heads * c.d, c.dtype, rng);
    const Tensor k = random_tensor(c.B * m * c.heads * c.d, c.dtype, rng);
    const Tensor v = random_tensor(c.B * m * c.heads * c.d, c.dtype, rng);
    std::vector<int64_t> lens(c.B);
    for (int64_t b = 0; b < c.B; ++b) lens[b] = b == 0 ? c.M : (b * 7) % (c.M + 1);
    if (c.mode == REEL_ATTENTION_CROSS) p.context_lens = lens.data();
    const int64_t count = c.B * n * c.heads * c.d;
    std::vector<float> out32(count, NAN);
    std::vector<uint16_t> out16(count, 0x7FC1);
    std::vector<float> lse(c.B * c.heads * n, NAN);
    void* o = c.dtype == REEL_F32 ? static_cast<void*>(out32.data()) : out16.data();
    const reel_status s = reel_attention_forward(REEL_DEVICE_CPU, nullptr, &p, q.data(c.dtype), k.data(c.dtype),
                                                 v.data(c.dtype), o, lse.data());
    if (s != REEL_OK) {
        std::printf("  status %d: %s\n", s, reel_last_error());
        return INFINITY;
    }
    std::vector<double> ref, ref_lse;
    reference(p, q, k, v, p.context_lens, ref, ref_lse);
    double err = 0, norm = 0;
    for (int64_t i = 0; i < count; ++i) {
        const double got = c.dtype == REEL_F32 ? out32[i] : from_bf16(out16[i]);
        if (!std::isfinite(got)) return INFINITY;
        err += (got - ref[i]) * (got - ref[i]);
        norm += ref[i] * ref[i];
    }
    double lse_err = 0;
    for (size_t i = 0; i < lse.size(); ++i) {
        if (std::isinf(ref_lse[i]) && std::isinf(lse[i]) && lse[i] < 0) continue;
        if (!std::isfinite(lse[i])) return INFINITY;
        lse_err = std::max(lse_err, std::fabs(lse[i] - ref_lse[i]));
    }
    const double rel = std::sqrt(err / norm);
    return std::max(rel, lse_err * (c.dtype == REEL_F32 ? 1.0 : 0.01));
}

}  // namespace

int main() {
    std::mt19937 rng(1234);
    reel_cpu_info cpu{};
    reel_cpu_query(&cpu);
    std::vector<const char*> isas = {"generic"};
    if (cpu.avx2) isas.push_back("avx2");
    if (cpu.avx512f) isas.push_back("avx512");
    isas.push_back("");  // the default: best available (bf16 dot products where present)
    const int modes[] = {REEL_ATTENTION_FULL, REEL_ATTENTION_SPATIAL, REEL_ATTENTION_TEMPORAL, REEL_ATTENTION_WINDOW,
                         REEL_ATTENTION_CROSS};
    const char* names[] = {"FULL", "SPATIAL", "TEMPORAL", "WINDOW", "CROSS"};
    for (const char* isa : isas) {
        setenv("REEL_CPU_ISA", isa, 1);
        for (int dtype : {REEL_F32, REEL_BF16}) {
            for (int64_t d : {32, 64, 96, 128}) {
                for (int mode : modes) {
                    const bool rope = mode != REEL_ATTENTION_CROSS && d != 96;
                    const Case c{mode, dtype, 2, 3, 5, 7, 2, d, 37, rope};
                    const double err = run_case(c, rng);
                    const double tol = dtype == REEL_F32 ? 1e-5 : 1e-2;
                    if (!(err <= tol)) {
                        std::printf("isa '%s' %s %s d=%lld: error %g > %g\n", isa, names[mode],
                                    dtype == REEL_F32 ? "f32" : "bf16", static_cast<long long>(d), err, tol);
                    }
                    CHECK(err <= tol);
                }
            }
        }
        // A long video so that key segments span several blocks and query tasks.
        const Case big{REEL_ATTENTION_FULL, REEL_F32, 1, 3, 11, 13, 1, 64, 1, true};
        CHECK(run_case(big, rng) <= 1e-5);
        const Case big_bf16{REEL_ATTENTION_SPATIAL, REEL_BF16, 1, 2, 13, 11, 1, 128, 1, true};
        CHECK(run_case(big_bf16, rng) <= 1e-2);
    }
    unsetenv("REEL_CPU_ISA");

    // Bad arguments are statuses naming the problem.
    Case c{REEL_ATTENTION_FULL, REEL_F32, 1, 2, 3, 4, 2, 64, 5, false};
    reel_attention_params p = params_for(c);
    std::vector<float> buf(4 * 24 * 2 * 64, 1.0f);
    float* q = buf.data();
    float* k = q + 24 * 128;
    float* v = k + 24 * 128;
    float* o = v + 24 * 128;
    CHECK(reel_attention_forward(-1, nullptr, &p, q, k, v, o, nullptr) == REEL_OK);
    CHECK_FAILS(reel_attention_forward(-1, nullptr, nullptr, q, k, v, o, nullptr), REEL_ERR_INVALID_ARGUMENT, "params");
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &p, q, k, v, k, nullptr), REEL_ERR_INVALID_ARGUMENT, "overlaps the input k");
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &p, q, nullptr, v, o, nullptr), REEL_ERR_INVALID_ARGUMENT, "k is NULL");
    reel_attention_params bad = p;
    bad.head_dim = 48;
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &bad, q, k, v, o, nullptr), REEL_ERR_UNSUPPORTED, "head_dim");
    bad = p;
    bad.mode = REEL_ATTENTION_WINDOW;
    bad.window_t = bad.window_h = 0;
    bad.window_w = 1;  // W = 4 with tiles of 4: a single tile along w
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &bad, q, k, v, o, nullptr), REEL_ERR_INVALID_ARGUMENT, "window_w");
    bad = p;
    bad.o_stride_n = 0;
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &bad, q, k, v, o, nullptr), REEL_ERR_INVALID_ARGUMENT, "one address");
    bad = p;
    bad.mode = REEL_ATTENTION_CROSS;
    bad.rope = 1;
    bad.rope_dt = bad.rope_dh = bad.rope_dw = 2;
    bad.rope_theta = 10000.0f;
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &bad, q, k, v, o, nullptr), REEL_ERR_INVALID_ARGUMENT, "CROSS");
    bad = p;
    bad.dtype = REEL_F16;
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &bad, q, k, v, o, nullptr), REEL_ERR_UNSUPPORTED, "F32 or BF16");
    bad = p;
    bad.rope = 1;
    bad.rope_dt = 3;
    CHECK_FAILS(reel_attention_forward(-1, nullptr, &bad, q, k, v, o, nullptr), REEL_ERR_INVALID_ARGUMENT, "rope sections");

    // NaN in one query row comes out as NaN in that row.
    q[5] = NAN;
    CHECK(reel_attention_forward(-1, nullptr, &p, q, k, v, o, nullptr) == REEL_OK);
    CHECK(std::isnan(o[0]));

    // The CUDA backend answers with a status, never a crash.
    const reel_status cs = reel_attention_forward(0, nullptr, &p, q, k, v, o, nullptr);
    CHECK(cs == REEL_ERR_UNSUPPORTED || cs == REEL_ERR_NO_CUDA_BUILD || cs == REEL_ERR_NO_DEVICE || cs == REEL_OK);
    std::printf("CUDA backend: status %d (%s)\n", cs, cs == REEL_OK ? "ok" : reel_last_error());
    return reel_test::finish();
}
