// The model-layer calls of reel.h on the CPU against plain double-precision
// references on fresh random inputs, under every instruction set the CPU has
// (REEL_CPU_ISA caps it), with tolerances in units of fp32 rounding; the
// element-wise calls give the same bits on every instruction set. Also: the
// accuracy of the exp behind SiLU/GELU, the statuses for bad arguments, the
// CUDA backend's answer without a device, and, for every comparison, that a reference perturbed
// by a few ulp is caught. Compiled with -ffp-contract=off (CMakeLists.txt).
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../../kernels/nn/nn.h"
#include "check.h"

namespace {

constexpr double kU = 5.9604644775390625e-08;  // 2^-24: fp32 unit roundoff

std::mt19937_64 rng(20261201);

std::vector<float> randn(int64_t n, double sd = 1.0, double mean = 0.0) {
    std::normal_distribution<double> d(mean, sd);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<float>(d(rng));
    return v;
}

// fp32 ulps between got and the exact ref, measured at ref's binade (normal range).
double ulps(float got, double ref) {
    const double a = std::fabs(ref);
    const double ulp = a < FLT_MIN ? std::ldexp(1.0, -149) : std::ldexp(1.0, std::ilogb(a) - 23);
    return std::fabs(static_cast<double>(got) - ref) / ulp;
}

// Largest |got - ref| / bound, where bound[i] is what fp32 rounding allows; <= 1 passes.
double worst(const std::vector<float>& got, const std::vector<double>& ref, const std::vector<double>& bound) {
    double w = 0.0;
    for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(ref[i])) continue;  // not an output element
        const double e = std::fabs(static_cast<double>(got[i]) - ref[i]);
        if (!std::isfinite(static_cast<double>(got[i]))) return INFINITY;
        w = std::max(w, e / bound[i]);
    }
    return w;
}

// One element off by three times its bound (at least 4 ulp): every comparison must notice.
std::vector<double> perturbed(std::vector<double> ref, const std::vector<double>& bound) {
    for (size_t i = 0; i < ref.size(); ++i) {
        if (!std::isnan(ref[i])) {
            ref[i] += std::max(3.0 * bound[i], 8.0 * kU * std::fabs(ref[i]));
            break;
        }
    }
    return ref;
}

// The largest error per op family, as a fraction of its bound, for the summary.
std::map<std::string, double> g_worst;

// Passes when the measured error is within the bound and a perturbed reference fails.
void expect_close(const char* what, const std::vector<float>& got, const std::vector<double>& ref,
                  const std::vector<double>& bound) {
    const double w = worst(got, ref, bound);
    const std::string family(what, std::strcspn(what, " "));
    g_worst[family] = std::max(g_worst[family], w);
    if (!(w <= 1.0)) std::printf("  %s: error %.3g of the fp32 bound\n", what, w);
    CHECK(w <= 1.0);
    CHECK(worst(got, perturbed(ref, bound), bound) > 1.0);
}

std::string isa_name() {
    const char* v = std::getenv("REEL_CPU_ISA");
    return v == nullptr || *v == '\0' ? "best" : v;
}

// ---- layer norm ----

struct LnCase {
    int64_t rows, dim, x_pad, out_pad, groups;
    bool weight, bias, shift, scale, in_place;
    double mean;  // of the inputs: large against their spread tests m_lo
};

void test_layer_norm(const LnCase& c) {
    const int64_t xs = c.dim + c.x_pad, os = c.dim + c.out_pad, mod = 6 * c.dim;
    std::vector<float> x = randn(c.rows * xs, 1.5, c.mean);
    const std::vector<float> w = randn(c.dim, 0.5, 1.0), b = randn(c.dim, 0.5);
    const std::vector<float> ada = randn(c.groups * mod, 0.5);  // [groups, 6*dim]: shift at 0, scale at dim
    std::vector<float> out(c.in_place ? 0 : static_cast<size_t>(c.rows * os), NAN);
    reel_norm_params p{};
    p.dtype = REEL_F32;
    p.rows = c.rows;
    p.dim = c.dim;
    p.x_stride = xs;
    p.out_stride = c.in_place ? xs : os;
    p.rows_per_group = c.rows / c.groups;
    p.mod_stride = mod;
    p.eps = 1e-6f;
    const float* shift = c.shift ? ada.data() : nullptr;
    const float* scale = c.scale ? ada.data() + c.dim : nullptr;
    // The reference, from the inputs before an in-place call overwrites them.
    std::vector<double> ref((c.in_place ? x.size() : out.size()), NAN), bound(ref.size(), 1.0);
    for (int64_t r = 0; r < c.rows; ++r) {
        const float* xr = x.data() + r * xs;
        double mean = 0, var = 0;
        for (int64_t k = 0; k < c.dim; ++k) mean += xr[k];
        mean /= static_cast<double>(c.dim);
        for (int64_t k = 0; k < c.dim; ++k) var += (xr[k] - mean) * (xr[k] - mean);
        var /= static_cast<double>(c.dim);
        const int64_t g = r / p.rows_per_group;
        for (int64_t k = 0; k < c.dim; ++k) {
            const double yn = (xr[k] - mean) / std::sqrt(var + 1e-6);
            const double wk = c.weight ? w[k] : 1.0, bk = c.bias ? b[k] : 0.0;
            const double sh = c.shift ? shift[g * mod + k] : 0.0, sc = c.scale ? scale[g * mod + k] : 0.0;
            const size_t i = static_cast<size_t>(r * p.out_stride + k);
            ref[i] = (yn * wk + bk) * (1.0 + sc) + sh;
            // Rounding of: x - m, - m_lo, * rstd, rstd itself, the affine fma,
            // 1 + scale and the modulation fma — a few units of each term.
            bound[i] = 8.0 * kU * (std::fabs(yn * wk * (1.0 + sc)) + std::fabs(bk * (1.0 + sc)) + std::fabs(sh)) + 1e-30;
        }
    }
    float* o = c.in_place ? x.data() : out.data();
    const reel_status s = reel_layer_norm(REEL_DEVICE_CPU, nullptr, &p, x.data(), c.weight ? w.data() : nullptr,
                                          c.bias ? b.data() : nullptr, shift, scale, o);
    CHECK(s == REEL_OK);
    if (s != REEL_OK) std::printf("  %s\n", reel_last_error());
    const std::string what = "layer_norm " + isa_name() + " dim " + std::to_string(c.dim);
    expect_close(what.c_str(), c.in_place ? x : out, ref, bound);
    // The padding between rows is never written.
    if (!c.in_place && c.out_pad > 0) CHECK(std::isnan(out[static_cast<size_t>(c.dim)]));
}

// ---- RMS norm (QK-norm inside a packed qkv buffer) ----

void test_rms_norm(int64_t rows, int64_t heads, int64_t d, bool weight, bool in_place) {
    const int64_t stride = 3 * heads * d;
    std::vector<float> qkv = randn(rows * stride, 2.0);
    const std::vector<float> w = randn(d, 0.3, 1.0);
    std::vector<float> out(static_cast<size_t>(rows * stride), NAN);
    reel_rms_params p{};
    p.dtype = REEL_F32;
    p.rows = rows;
    p.heads = heads;
    p.head_dim = d;
    p.x_stride = stride;
    p.out_stride = stride;
    p.eps = 1e-6f;
    const int64_t third = heads * d;  // normalise k: the second third of each row
    std::vector<double> ref(qkv.size(), NAN), bound(ref.size(), 1.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t h = 0; h < heads; ++h) {
            const float* x = qkv.data() + r * stride + third + h * d;
            double ms = 0;
            for (int64_t c = 0; c < d; ++c) ms += static_cast<double>(x[c]) * x[c];
            const double rstd = 1.0 / std::sqrt(ms / static_cast<double>(d) + 1e-6);
            for (int64_t c = 0; c < d; ++c) {
                const size_t i = static_cast<size_t>(r * stride + third + h * d + c);
                ref[i] = x[c] * rstd * (weight ? w[c] : 1.0);
                bound[i] = 4.0 * kU * std::fabs(ref[i]) + 1e-30;  // rstd, two products
            }
        }
    float* o = in_place ? qkv.data() : out.data();
    CHECK(reel_rms_norm(REEL_DEVICE_CPU, nullptr, &p, qkv.data() + third, weight ? w.data() : nullptr, o + third) == REEL_OK);
    const std::string what = "rms_norm " + isa_name() + " d " + std::to_string(d);
    expect_close(what.c_str(), in_place ? qkv : out, ref, bound);
    if (!in_place) CHECK(std::isnan(out[0]) && std::isnan(out.back()));  // q and v untouched
}

// ---- bias + activation ----

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// z of the kernel's GELU (2u), exactly, for a float v.
double gelu_z(double v) { return 2.0 * std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v); }

// Largest ulp errors (SiLU, GELU) seen over all calls, for the report.
double g_silu_ulps = 0, g_gelu_ulps = 0, g_gelu_cond_ulps = 0;

std::vector<float> run_bias_act(int act, int64_t rows, int64_t dim, int64_t bias_rows, bool bias, int64_t x_pad,
                                const std::vector<float>& x, const std::vector<float>& b) {
    reel_bias_act_params p{};
    p.dtype = REEL_F32;
    p.act = act;
    p.rows = rows;
    p.dim = dim;
    p.bias_rows = bias_rows;
    p.x_stride = dim + x_pad;
    p.out_stride = dim;
    std::vector<float> out(static_cast<size_t>(rows * dim), NAN);
    const reel_status s = reel_bias_act(REEL_DEVICE_CPU, nullptr, &p, x.data(), bias ? b.data() : nullptr, out.data());
    CHECK(s == REEL_OK);
    return out;
}

void test_bias_act(int act, int64_t rows, int64_t dim, int64_t bias_rows, bool bias, std::vector<float>* bits) {
    const int64_t x_pad = 3;
    std::vector<float> x = randn(rows * (dim + x_pad), 3.0);
    // Edge values: zeros, the tails of the sigmoid, huge magnitudes, subnormals.
    const float edges[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 5.0f, -5.0f, -9.5f, -20.0f, -87.0f, -100.0f, 30.0f,
                           88.0f, -1e20f, 1e20f, 1e-40f};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0] && static_cast<int64_t>(i) < dim; ++i) x[i] = edges[i];
    const std::vector<float> b = randn(bias_rows * dim, 0.5);
    const std::vector<float> out = run_bias_act(act, rows, dim, bias_rows, bias, x_pad, x, b);
    std::vector<double> ref(out.size()), bound(out.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < dim; ++c) {
            const float v = x[static_cast<size_t>(r * (dim + x_pad) + c)] + (bias ? b[static_cast<size_t>((r % bias_rows) * dim + c)] : 0.0f);
            const size_t i = static_cast<size_t>(r * dim + c);
            double y = v, cond = 0.0;
            if (act == REEL_ACT_SILU) {
                y = v * sigmoid(v);
            } else if (act == REEL_ACT_GELU_TANH) {
                const double z = gelu_z(v);
                y = v * sigmoid(z);
                // z carries a few roundings (relative 3u); the output's relative
                // error grows with it by |z|*sigmoid(-z).
                cond = std::fabs(z) * sigmoid(-z);
            }
            const double e = ulps(out[i], y);
            if (std::fabs(y) >= FLT_MIN) {
                if (act == REEL_ACT_SILU) g_silu_ulps = std::max(g_silu_ulps, e);
                if (act == REEL_ACT_GELU_TANH) {
                    g_gelu_ulps = std::max(g_gelu_ulps, e);
                    g_gelu_cond_ulps = std::max(g_gelu_cond_ulps, e / (1.0 + cond));
                }
            }
            ref[i] = y;
            // x + bias is the v above (exact); an activation is within a few
            // ulp, times the z-condition for GELU; below the normal range, 2^-126.
            const double allowed_ulps = act == REEL_ACT_NONE ? 0.0 : 4.0 + 4.0 * cond;
            bound[i] = allowed_ulps * 2.0 * kU * std::fabs(y) + (act == REEL_ACT_NONE ? 1e-300 : std::ldexp(1.0, -126));
        }
    const std::string what = "bias_act " + std::to_string(act) + " " + isa_name();
    expect_close(what.c_str(), out, ref, bound);
    if (bits->empty()) {
        *bits = out;
    } else {
        CHECK(std::memcmp(bits->data(), out.data(), out.size() * sizeof(float)) == 0);
    }
}

// The exp of nn_math.inc (the scalar build: the SIMD builds do the same
// operations, checked above by their identical bits) against double on a dense
// sweep of [-104, 0].
void test_exp_accuracy() {
    using reel::nn::F32;
    double worst_normal = 0.0, worst_sub = 0.0;
    for (uint32_t u = 0x80000000u; u <= 0xC2D00000u; u += 97) {  // -0 .. -104, every 97th float
        float a;
        std::memcpy(&a, &u, 4);
        const float got = reel::nn::exp_nonpos<F32>(a);
        const double ref = std::exp(static_cast<double>(a));
        if (ref >= FLT_MIN) {
            worst_normal = std::max(worst_normal, ulps(got, ref));
        } else {
            worst_sub = std::max(worst_sub, std::fabs(got - ref) / std::ldexp(1.0, -149));
        }
    }
    std::printf("exp(a), a in [-104, 0]: max error %.3f ulp (normal results), %.3f of 2^-149 (subnormal)\n",
                worst_normal, worst_sub);
    CHECK(worst_normal <= 1.5);
    CHECK(worst_sub <= 1.0);
    CHECK(std::isnan(reel::nn::exp_nonpos<F32>(NAN)));
    CHECK(reel::nn::exp_nonpos<F32>(0.0f) == 1.0f);
    CHECK(reel::nn::exp_nonpos<F32>(-200.0f) == 0.0f);
}

// ---- gated residual ----

void test_residual(int64_t rows, int64_t dim, int64_t groups, bool bias, bool gate, bool y_is_x, std::vector<float>* bits) {
    const int64_t xs = dim + 2, ys = dim + 5, gs = 6 * dim;
    std::vector<float> x = randn(rows * xs), y = randn(rows * ys, 2.0), b = randn(dim), ada = randn(groups * gs);
    const float* g = gate ? ada.data() + 2 * dim : nullptr;  // gate_a's slice of the adaLN output
    reel_residual_params p{};
    p.dtype = REEL_F32;
    p.rows = rows;
    p.dim = dim;
    p.x_stride = xs;
    p.y_stride = y_is_x ? xs : ys;
    p.rows_per_group = rows / groups;
    p.gate_stride = gs;
    const float* yp = y_is_x ? x.data() : y.data();
    std::vector<double> ref(x.size(), NAN), bound(x.size(), 1.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < dim; ++c) {
            const size_t i = static_cast<size_t>(r * xs + c);
            const double yv = yp[r * p.y_stride + c] + (bias ? b[c] : 0.0);
            const double gv = gate ? g[(r / p.rows_per_group) * gs + c] : 1.0;
            ref[i] = x[i] + gv * yv;
            bound[i] = 2.0 * kU * (std::fabs(ref[i]) + std::fabs(gv * yv)) + 1e-30;
        }
    CHECK(reel_residual(REEL_DEVICE_CPU, nullptr, &p, x.data(), yp, bias ? b.data() : nullptr, g) == REEL_OK);
    const std::string what = "residual " + isa_name();
    expect_close(what.c_str(), x, ref, bound);
    if (bits->empty()) {
        *bits = x;
    } else {
        CHECK(std::memcmp(bits->data(), x.data(), x.size() * sizeof(float)) == 0);
    }
}

// ---- embedding, masked mean ----

void test_embedding(int64_t batch, int64_t len, int64_t dim, int64_t vocab, bool pos, std::vector<float>* bits) {
    const std::vector<float> table = randn(vocab * dim), pe = randn(len * dim);
    std::vector<int64_t> ids(static_cast<size_t>(batch * len));
    std::uniform_int_distribution<int64_t> pick(0, vocab - 1);
    for (auto& id : ids) id = pick(rng);
    reel_embedding_params p{};
    p.dtype = REEL_F32;
    p.rows = batch * len;
    p.dim = dim;
    p.vocab = vocab;
    p.positions = len;
    p.scale = std::sqrt(static_cast<float>(dim));
    std::vector<float> out(static_cast<size_t>(batch * len * dim), NAN);
    CHECK(reel_embedding(REEL_DEVICE_CPU, nullptr, &p, ids.data(), table.data(), pos ? pe.data() : nullptr, out.data()) == REEL_OK);
    std::vector<double> ref(out.size()), bound(out.size());
    for (int64_t r = 0; r < p.rows; ++r)
        for (int64_t c = 0; c < dim; ++c) {
            const size_t i = static_cast<size_t>(r * dim + c);
            ref[i] = static_cast<double>(table[static_cast<size_t>(ids[r] * dim + c)]) * p.scale + (pos ? pe[static_cast<size_t>((r % len) * dim + c)] : 0.0);
            bound[i] = 2.0 * kU * std::fabs(ref[i]) + 1e-30;  // one rounding (the fma): half an ulp
        }
    const std::string what = "embedding " + isa_name();
    expect_close(what.c_str(), out, ref, bound);
    if (bits->empty()) {
        *bits = out;
    } else {
        CHECK(std::memcmp(bits->data(), out.data(), out.size() * sizeof(float)) == 0);
    }
}

void test_masked_mean(int64_t batch, int64_t len, int64_t dim, std::vector<float>* bits) {
    const std::vector<float> x = randn(batch * len * dim, 1.0, 0.5);
    std::vector<int64_t> lengths(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b) lengths[b] = b == 0 ? len : 1 + (b * 7) % len;
    std::vector<float> out(static_cast<size_t>(batch * dim), NAN);
    CHECK(reel_masked_mean(REEL_DEVICE_CPU, nullptr, REEL_F32, batch, len, dim, x.data(), lengths.data(), out.data()) == REEL_OK);
    std::vector<double> ref(out.size()), bound(out.size());
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t c = 0; c < dim; ++c) {
            double s = 0;
            for (int64_t l = 0; l < lengths[b]; ++l) s += x[static_cast<size_t>((b * len + l) * dim + c)];
            const size_t i = static_cast<size_t>(b * dim + c);
            ref[i] = s / static_cast<double>(lengths[b]);
            bound[i] = 2.0 * kU * std::fabs(ref[i]) + 1e-30;  // one rounding of the double mean
        }
    const std::string what = "masked_mean " + isa_name();
    expect_close(what.c_str(), out, ref, bound);
    if (bits->empty()) {
        *bits = out;
    } else {
        CHECK(std::memcmp(bits->data(), out.data(), out.size() * sizeof(float)) == 0);
    }
}

// ---- patchify ----

template <class E>
void test_patchify(int32_t dtype, int64_t B, int64_t C, int64_t T, int64_t H, int64_t W, int64_t pt, int64_t ph, int64_t pw) {
    const int64_t count = B * C * T * H * W;
    std::vector<E> video(static_cast<size_t>(count)), tokens(video.size()), back(video.size());
    for (int64_t i = 0; i < count; ++i) video[i] = static_cast<E>(i * 2654435761u);
    reel_patch_params p{};
    p.dtype = dtype;
    p.batch = B;
    p.channels = C;
    p.frames = T;
    p.height = H;
    p.width = W;
    p.patch_t = pt;
    p.patch_h = ph;
    p.patch_w = pw;
    CHECK(reel_patchify(REEL_DEVICE_CPU, nullptr, &p, video.data(), tokens.data()) == REEL_OK);
    // tools/reel/architecture.md: entry ((c*pt + dt)*ph + dh)*pw + dw of token
    // (t, h, w) is x[c, t*pt + dt, h*ph + dh, w*pw + dw].
    const int64_t tg = T / pt, hg = H / ph, wg = W / pw, n = tg * hg * wg, per = C * pt * ph * pw;
    bool same = true;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < tg; ++t)
            for (int64_t h = 0; h < hg; ++h)
                for (int64_t w = 0; w < wg; ++w)
                    for (int64_t c = 0; c < C; ++c)
                        for (int64_t dt = 0; dt < pt; ++dt)
                            for (int64_t dh = 0; dh < ph; ++dh)
                                for (int64_t dw = 0; dw < pw; ++dw) {
                                    const int64_t token = (t * hg + h) * wg + w;
                                    const int64_t k = (b * n + token) * per + ((c * pt + dt) * ph + dh) * pw + dw;
                                    const int64_t v = (((b * C + c) * T + t * pt + dt) * H + h * ph + dh) * W + w * pw + dw;
                                    same = same && tokens[k] == video[v];
                                }
    CHECK(same);
    CHECK(reel_unpatchify(REEL_DEVICE_CPU, nullptr, &p, tokens.data(), back.data()) == REEL_OK);
    CHECK(back == video);
    // The comparison can fail: two swapped tokens are not the video's patches.
    if (n > 1) {
        std::swap(tokens[0], tokens[static_cast<size_t>(per)]);
        CHECK(reel_unpatchify(REEL_DEVICE_CPU, nullptr, &p, tokens.data(), back.data()) == REEL_OK);
        CHECK(back != video);
    }
}

// ---- timestep embedding ----

void test_timestep(int64_t batch, int64_t dim, double scale) {
    std::vector<float> t(static_cast<size_t>(batch));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (auto& v : t) v = u(rng);
    t[0] = 0.0f;
    t[batch - 1] = 1.0f;
    std::vector<float> out(static_cast<size_t>(batch * dim), NAN);
    CHECK(reel_timestep_embedding(REEL_DEVICE_CPU, nullptr, REEL_F32, batch, dim, scale, t.data(), out.data()) == REEL_OK);
    const int64_t half = dim / 2;
    // PyTorch's float32 steps (tools/reel/model.py), written out here: each
    // product and quotient rounded to float, exp/cos/sin rounded once.
    bool exact = true;
    std::vector<double> ref(out.size()), bound(out.size());
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t j = 0; j < half; ++j) {
            volatile float e = static_cast<float>(-std::log(10000.0)) * static_cast<float>(j);
            e = e / static_cast<float>(half);
            const float freq = static_cast<float>(std::exp(static_cast<double>(e)));
            volatile float ts = static_cast<float>(scale) * t[b];
            const float arg = ts * freq;
            exact = exact && out[b * dim + j] == static_cast<float>(std::cos(static_cast<double>(arg))) &&
                    out[b * dim + half + j] == static_cast<float>(std::sin(static_cast<double>(arg)));
            // Against the formula in double: the float exponent's rounding (|e| <
            // 9.3, relative u) passes through exp, so the argument is off by
            // about 11 units of its own size.
            const double a = scale * t[b] * std::exp(-std::log(10000.0) * static_cast<double>(j) / static_cast<double>(half));
            ref[b * dim + j] = std::cos(a);
            ref[b * dim + half + j] = std::sin(a);
            bound[b * dim + j] = bound[b * dim + half + j] = 16.0 * kU * (std::fabs(a) + 1.0);
        }
    CHECK(exact);
    expect_close("timestep_embedding", out, ref, bound);
}

// ---- bad arguments ----

void test_errors() {
    std::vector<float> buf(4096, 1.0f);
    float* x = buf.data();
    float* out = x + 1024;
    float* w = x + 2048;
    reel_norm_params ln{};
    ln.dtype = REEL_F32;
    ln.rows = 4;
    ln.dim = 16;
    ln.x_stride = 16;
    ln.out_stride = 16;
    ln.rows_per_group = 2;
    ln.mod_stride = 96;
    ln.eps = 1e-6f;
    CHECK(reel_layer_norm(-1, nullptr, &ln, x, w, w + 16, w + 32, w + 48, out) == REEL_OK);
    CHECK(reel_layer_norm(-1, nullptr, &ln, x, nullptr, nullptr, nullptr, nullptr, x) == REEL_OK);  // in place
    CHECK_FAILS(reel_layer_norm(-1, nullptr, nullptr, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "params is NULL");
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &ln, nullptr, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "x is NULL");
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &ln, x, w, w, w, w, nullptr), REEL_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &ln, x, w, w, w, w, x + 3), REEL_ERR_INVALID_ARGUMENT, "out and x overlap partially");
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &ln, x, out + 8, nullptr, nullptr, nullptr, out), REEL_ERR_INVALID_ARGUMENT, "out and weight overlap");
    CHECK_FAILS(reel_layer_norm(-2, nullptr, &ln, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "device -2");
    CHECK_NO_DEVICE(reel_layer_norm(0, nullptr, &ln, x, w, w, w, w, out));
    reel_norm_params bad = ln;
    bad.x_stride = 15;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "x_stride must be >= 16");
    bad = ln;
    bad.rows_per_group = 3;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "rows_per_group");
    CHECK(reel_layer_norm(-1, nullptr, &bad, x, w, w, nullptr, nullptr, out) == REEL_OK);  // no modulation: ignored
    bad = ln;
    bad.mod_stride = 8;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "mod_stride must be >= 16");
    bad = ln;
    bad.eps = -1.0f;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "eps");
    bad = ln;
    bad.eps = NAN;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "eps");
    bad = ln;
    bad.dim = 0;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "dim");
    bad = ln;
    bad.rows = -1;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "rows");
    bad = ln;
    bad.rows = 0;
    CHECK(reel_layer_norm(-1, nullptr, &bad, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr) == REEL_OK);
    bad = ln;
    bad.dtype = REEL_BF16;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_UNSUPPORTED, "REEL_F32");
    bad.dtype = REEL_F16;  // the CUDA backend refuses fp16 before it looks for a device
    {
        const reel_status s = reel_layer_norm(0, nullptr, &bad, x, w, w, w, w, out);
        CHECK((s == REEL_ERR_UNSUPPORTED && std::strstr(reel_last_error(), "REEL_BF16")) || s == REEL_ERR_NO_CUDA_BUILD);
    }
    bad.dtype = 9;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "dtype 9");
    bad = ln;
    bad.x_stride = INT64_C(1) << 40;
    bad.rows = INT64_C(1) << 40;
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, w, w, w, w, out), REEL_ERR_INVALID_ARGUMENT, "exceeds 2^62");
    // Interleaved column slices of one buffer share no element: accepted.
    bad = ln;
    bad.x_stride = bad.out_stride = 32;
    CHECK(reel_layer_norm(-1, nullptr, &bad, x, nullptr, nullptr, nullptr, nullptr, x + 16) == REEL_OK);
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x, nullptr, nullptr, nullptr, nullptr, x + 15), REEL_ERR_INVALID_ARGUMENT, "overlap");
    CHECK_FAILS(reel_layer_norm(-1, nullptr, &bad, x + 16, nullptr, nullptr, nullptr, nullptr, x + 31), REEL_ERR_INVALID_ARGUMENT, "overlap");

    reel_rms_params rms{};
    rms.dtype = REEL_F32;
    rms.rows = 4;
    rms.heads = 2;
    rms.head_dim = 8;
    rms.x_stride = 48;
    rms.out_stride = 48;
    rms.eps = 1e-6f;
    CHECK(reel_rms_norm(-1, nullptr, &rms, x, w, x) == REEL_OK);
    CHECK(reel_rms_norm(-1, nullptr, &rms, x + 16, w, x + 16) == REEL_OK);
    CHECK_FAILS(reel_rms_norm(-1, nullptr, &rms, x, w, x + 8), REEL_ERR_INVALID_ARGUMENT, "overlap partially");
    CHECK_FAILS(reel_rms_norm(-1, nullptr, &rms, x, out + 4, out), REEL_ERR_INVALID_ARGUMENT, "out and weight overlap");
    reel_rms_params rbad = rms;
    rbad.x_stride = 15;
    CHECK_FAILS(reel_rms_norm(-1, nullptr, &rbad, x, w, out), REEL_ERR_INVALID_ARGUMENT, "x_stride must be >= 16");
    rbad = rms;
    rbad.heads = 0;
    CHECK_FAILS(reel_rms_norm(-1, nullptr, &rbad, x, w, out), REEL_ERR_INVALID_ARGUMENT, "heads");
    CHECK_NO_DEVICE(reel_rms_norm(0, nullptr, &rms, x, w, out));

    reel_bias_act_params ba{};
    ba.dtype = REEL_F32;
    ba.act = REEL_ACT_GELU_TANH;
    ba.rows = 6;
    ba.dim = 16;
    ba.bias_rows = 3;
    ba.x_stride = 16;
    ba.out_stride = 16;
    CHECK(reel_bias_act(-1, nullptr, &ba, x, w, x) == REEL_OK);
    CHECK_FAILS(reel_bias_act(-1, nullptr, &ba, x, w, x + 1), REEL_ERR_INVALID_ARGUMENT, "overlap partially");
    CHECK_FAILS(reel_bias_act(-1, nullptr, &ba, x, out + 40, out), REEL_ERR_INVALID_ARGUMENT, "out and bias overlap");
    reel_bias_act_params bb = ba;
    bb.act = 3;
    CHECK_FAILS(reel_bias_act(-1, nullptr, &bb, x, w, out), REEL_ERR_INVALID_ARGUMENT, "activation 3");
    bb = ba;
    bb.bias_rows = 4;
    CHECK_FAILS(reel_bias_act(-1, nullptr, &bb, x, w, out), REEL_ERR_INVALID_ARGUMENT, "bias_rows");
    CHECK(reel_bias_act(-1, nullptr, &bb, x, nullptr, out) == REEL_OK);  // no bias: bias_rows ignored
    bb = ba;
    bb.out_stride = 2;
    CHECK_FAILS(reel_bias_act(-1, nullptr, &bb, x, w, out), REEL_ERR_INVALID_ARGUMENT, "out_stride");
    CHECK_NO_DEVICE(reel_bias_act(3, nullptr, &ba, x, w, out));

    reel_residual_params rp{};
    rp.dtype = REEL_F32;
    rp.rows = 4;
    rp.dim = 16;
    rp.x_stride = 16;
    rp.y_stride = 16;
    rp.rows_per_group = 2;
    rp.gate_stride = 96;
    CHECK(reel_residual(-1, nullptr, &rp, x, out, w, w + 32) == REEL_OK);
    CHECK(reel_residual(-1, nullptr, &rp, x, x, w, w + 32) == REEL_OK);  // y = x
    CHECK_FAILS(reel_residual(-1, nullptr, &rp, x, x + 2, w, w), REEL_ERR_INVALID_ARGUMENT, "x and y overlap partially");
    CHECK_FAILS(reel_residual(-1, nullptr, &rp, x, out, x + 8, w), REEL_ERR_INVALID_ARGUMENT, "x and bias overlap");
    CHECK_FAILS(reel_residual(-1, nullptr, &rp, x, out, w, x + 40), REEL_ERR_INVALID_ARGUMENT, "x and gate overlap");
    CHECK_FAILS(reel_residual(-1, nullptr, &rp, x, nullptr, w, w), REEL_ERR_INVALID_ARGUMENT, "y is NULL");
    reel_residual_params rb = rp;
    rb.rows_per_group = 0;
    CHECK_FAILS(reel_residual(-1, nullptr, &rb, x, out, w, w), REEL_ERR_INVALID_ARGUMENT, "rows_per_group");
    rb = rp;
    rb.gate_stride = 4;
    CHECK_FAILS(reel_residual(-1, nullptr, &rb, x, out, w, w), REEL_ERR_INVALID_ARGUMENT, "gate_stride");
    CHECK_NO_DEVICE(reel_residual(0, nullptr, &rp, x, out, w, w));

    reel_patch_params pp{};
    pp.dtype = REEL_F32;
    pp.batch = 1;
    pp.channels = 2;
    pp.frames = 2;
    pp.height = 4;
    pp.width = 4;
    pp.patch_t = 1;
    pp.patch_h = 2;
    pp.patch_w = 2;
    CHECK(reel_patchify(-1, nullptr, &pp, x, out) == REEL_OK);
    CHECK_FAILS(reel_patchify(-1, nullptr, &pp, x, x + 10), REEL_ERR_INVALID_ARGUMENT, "src and dst overlap");
    CHECK_FAILS(reel_unpatchify(-1, nullptr, &pp, x, nullptr), REEL_ERR_INVALID_ARGUMENT, "dst is NULL");
    reel_patch_params pb = pp;
    pb.patch_w = 3;
    CHECK_FAILS(reel_patchify(-1, nullptr, &pb, x, out), REEL_ERR_INVALID_ARGUMENT, "patch_w 3 does not divide");
    pb = pp;
    pb.channels = 0;
    CHECK_FAILS(reel_unpatchify(-1, nullptr, &pb, x, out), REEL_ERR_INVALID_ARGUMENT, "channels");
    pb = pp;
    pb.batch = pb.channels = pb.frames = INT64_C(1) << 30;
    pb.patch_t = 1;
    CHECK_FAILS(reel_patchify(-1, nullptr, &pb, x, out), REEL_ERR_INVALID_ARGUMENT, "exceeds 2^62");
    CHECK_NO_DEVICE(reel_patchify(0, nullptr, &pp, x, out));

    CHECK_FAILS(reel_timestep_embedding(-1, nullptr, REEL_F32, 2, 7, 1000.0, x, out), REEL_ERR_INVALID_ARGUMENT, "even");
    CHECK_FAILS(reel_timestep_embedding(-1, nullptr, REEL_F32, 2, 8, INFINITY, x, out), REEL_ERR_INVALID_ARGUMENT, "scale");
    CHECK_FAILS(reel_timestep_embedding(-1, nullptr, REEL_F32, 2, 8, 1e300, x, out), REEL_ERR_INVALID_ARGUMENT, "scale");
    CHECK_FAILS(reel_timestep_embedding(-1, nullptr, REEL_F32, 2, 8, 1000.0, nullptr, out), REEL_ERR_INVALID_ARGUMENT, "t is NULL");
    CHECK_FAILS(reel_timestep_embedding(-1, nullptr, REEL_F32, 2, 8, 1000.0, out + 3, out), REEL_ERR_INVALID_ARGUMENT, "overlap");
    CHECK_FAILS(reel_timestep_embedding(-1, nullptr, REEL_F16, 2, 8, 1000.0, x, out), REEL_ERR_UNSUPPORTED, "REEL_F32");
    CHECK_NO_DEVICE(reel_timestep_embedding(0, nullptr, REEL_F32, 2, 8, 1000.0, x, out));

    reel_embedding_params ep{};
    ep.dtype = REEL_F32;
    ep.rows = 6;
    ep.dim = 8;
    ep.vocab = 10;
    ep.positions = 3;
    ep.scale = 2.0f;
    std::vector<int64_t> ids = {0, 1, 9, 3, 4, 5};
    CHECK(reel_embedding(-1, nullptr, &ep, ids.data(), x, w, out) == REEL_OK);
    ids[4] = 10;
    CHECK_FAILS(reel_embedding(-1, nullptr, &ep, ids.data(), x, w, out), REEL_ERR_INVALID_ARGUMENT, "ids[4] = 10 is outside [0, 10)");
    ids[4] = -1;
    CHECK_FAILS(reel_embedding(-1, nullptr, &ep, ids.data(), x, w, out), REEL_ERR_INVALID_ARGUMENT, "ids[4] = -1");
    ids[4] = 4;
    CHECK_FAILS(reel_embedding(-1, nullptr, &ep, nullptr, x, w, out), REEL_ERR_INVALID_ARGUMENT, "ids is NULL");
    CHECK_FAILS(reel_embedding(-1, nullptr, &ep, ids.data(), x, w, x + 40), REEL_ERR_INVALID_ARGUMENT, "out and table overlap");
    CHECK_FAILS(reel_embedding(-1, nullptr, &ep, ids.data(), x, out + 8, out), REEL_ERR_INVALID_ARGUMENT, "out and pos overlap");
    reel_embedding_params eb = ep;
    eb.positions = 4;
    CHECK_FAILS(reel_embedding(-1, nullptr, &eb, ids.data(), x, w, out), REEL_ERR_INVALID_ARGUMENT, "positions");
    eb = ep;
    eb.scale = NAN;
    CHECK_FAILS(reel_embedding(-1, nullptr, &eb, ids.data(), x, w, out), REEL_ERR_INVALID_ARGUMENT, "scale");
    CHECK_NO_DEVICE(reel_embedding(0, nullptr, &ep, ids.data(), x, w, out));

    std::vector<int64_t> lengths = {3, 1, 4};
    CHECK(reel_masked_mean(-1, nullptr, REEL_F32, 3, 4, 8, x, lengths.data(), out) == REEL_OK);
    lengths[1] = 0;
    CHECK_FAILS(reel_masked_mean(-1, nullptr, REEL_F32, 3, 4, 8, x, lengths.data(), out), REEL_ERR_INVALID_ARGUMENT, "lengths[1] = 0 is outside [1, 4]");
    lengths[1] = 5;
    CHECK_FAILS(reel_masked_mean(-1, nullptr, REEL_F32, 3, 4, 8, x, lengths.data(), out), REEL_ERR_INVALID_ARGUMENT, "lengths[1] = 5");
    lengths[1] = 1;
    CHECK_FAILS(reel_masked_mean(-1, nullptr, REEL_F32, 3, 4, 8, x, lengths.data(), x + 90), REEL_ERR_INVALID_ARGUMENT, "out and x overlap");
    CHECK_FAILS(reel_masked_mean(-1, nullptr, REEL_F32, 3, 4, 8, x, nullptr, out), REEL_ERR_INVALID_ARGUMENT, "lengths is NULL");
    CHECK_FAILS(reel_masked_mean(-1, nullptr, REEL_F32, 0, 4, 8, x, lengths.data(), out), REEL_ERR_INVALID_ARGUMENT, "batch");
    CHECK_NO_DEVICE(reel_masked_mean(0, nullptr, REEL_F32, 3, 4, 8, x, lengths.data(), out));
}

}  // namespace

int main() {
    reel_cpu_info cpu{};
    reel_cpu_query(&cpu);
    std::printf("CPU: avx2 %d, avx512f %d, avx512_bf16 %d\n", cpu.avx2, cpu.avx512f, cpu.avx512_bf16);
    std::vector<const char*> isas = {"generic"};
    if (cpu.avx2) isas.push_back("avx2");
    if (cpu.avx512f) isas.push_back("avx512");
    isas.push_back("");  // the default: the best available

    // Outputs of the first instruction set, which every other one must match bit for bit.
    std::vector<float> act_bits[3], res_bits[4], emb_bits[2], mean_bits;
    for (const char* isa : isas) {
        setenv("REEL_CPU_ISA", isa, 1);
        rng.seed(20261201);  // the same inputs for every instruction set
        // Every combination of the optional inputs, dims around the vector widths.
        for (int mask = 0; mask < 16; ++mask) {
            for (int64_t dim : {1, 16, 37, 128}) {
                test_layer_norm({10, dim, 3, 5, 2, (mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, (mask & 8) != 0,
                                 mask == 5, 0.0});
            }
        }
        test_layer_norm({6, 515, 0, 0, 3, true, true, true, true, false, 0.0});
        test_layer_norm({6, 96, 0, 0, 1, false, false, true, true, true, 1000.0});  // mean >> spread
        test_layer_norm({2049, 64, 0, 0, 1, false, false, false, false, false, 0.0});  // several threads
        for (int64_t d : {8, 32, 37, 64}) {
            test_rms_norm(5, 3, d, true, false);
            test_rms_norm(4, 2, d, d != 37, true);
        }
        test_rms_norm(1500, 4, 32, true, true);
        for (int act : {REEL_ACT_NONE, REEL_ACT_GELU_TANH, REEL_ACT_SILU}) {
            test_bias_act(act, 12, 123, 4, true, &act_bits[act]);
        }
        std::vector<float> scratch;
        test_bias_act(REEL_ACT_GELU_TANH, 3, 8, 1, false, &scratch);
        scratch.clear();
        test_bias_act(REEL_ACT_SILU, 700, 512, 1, true, &scratch);
        test_residual(8, 37, 2, true, true, false, &res_bits[0]);
        test_residual(8, 64, 4, false, true, false, &res_bits[1]);
        test_residual(6, 19, 1, true, false, false, &res_bits[2]);
        test_residual(6, 16, 3, true, true, true, &res_bits[3]);
        test_embedding(2, 16, 128, 50, true, &emb_bits[0]);
        test_embedding(3, 5, 37, 7, false, &emb_bits[1]);
        test_masked_mean(5, 16, 133, &mean_bits);
    }
    unsetenv("REEL_CPU_ISA");
    std::printf("SiLU: max error %.2f ulp; GELU: max %.2f ulp, %.2f ulp per unit of the z-condition 1 + |z|sigmoid(-z) "
                "(normal results, against double)\n",
                g_silu_ulps, g_gelu_ulps, g_gelu_cond_ulps);
    CHECK(g_silu_ulps <= 4.0);

    test_exp_accuracy();
    test_patchify<uint32_t>(REEL_F32, 2, 3, 4, 6, 8, 2, 3, 4);
    test_patchify<uint32_t>(REEL_F32, 1, 3, 8, 32, 32, 1, 4, 4);
    test_patchify<uint32_t>(REEL_F32, 2, 2, 3, 5, 7, 1, 1, 1);
    test_patchify<uint16_t>(REEL_BF16, 2, 3, 4, 6, 8, 4, 6, 8);
    test_timestep(5, 256, 1000.0);
    test_timestep(3, 2, 1.0);
    test_errors();
    std::printf("largest error as a fraction of its fp32 bound:");
    for (const auto& [family, w] : g_worst) std::printf(" %s %.3f", family.c_str(), w);
    std::printf("\n");
    return reel_test::finish();
}
