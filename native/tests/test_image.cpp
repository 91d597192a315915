// The image-layer calls of reel.h (GroupNorm, im2col, the per-channel affine,
// nearest 2x upsampling) on the CPU against plain double-precision references
// on fresh random inputs, under every instruction set the CPU has
// (REEL_CPU_ISA caps it): GroupNorm within a bound in units of fp32 rounding,
// the copies and the affine bit for bit the same on every instruction set.
// Also: that weight . patches is the convolution of the formula in
// tools/reel/autoencoder.md, that a reference perturbed by a few ulp is
// caught, the statuses for bad arguments and the CUDA backend's answer without a device.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"

namespace {

constexpr double kU = 5.9604644775390625e-08;  // 2^-24: fp32 unit roundoff

std::mt19937_64 rng(20261202);

std::vector<float> randn(int64_t n, double sd = 1.0, double mean = 0.0) {
    std::normal_distribution<double> d(mean, sd);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<float>(d(rng));
    return v;
}

// Largest |got - ref| / bound over the outputs (NaN references are not outputs); <= 1 passes.
double worst(const std::vector<float>& got, const std::vector<double>& ref, const std::vector<double>& bound) {
    double w = 0.0;
    for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(ref[i])) continue;
        if (!std::isfinite(static_cast<double>(got[i]))) return INFINITY;
        w = std::max(w, std::fabs(static_cast<double>(got[i]) - ref[i]) / bound[i]);
    }
    return w;
}

double g_worst_gn = 0.0;

// Within the bound, and a reference with one element off by three bounds is caught.
void expect_close(const std::string& what, const std::vector<float>& got, const std::vector<double>& ref,
                  const std::vector<double>& bound) {
    const double w = worst(got, ref, bound);
    g_worst_gn = std::max(g_worst_gn, w);
    if (!(w <= 1.0)) std::printf("  %s: error %.3g of the fp32 bound\n", what.c_str(), w);
    CHECK(w <= 1.0);
    std::vector<double> off = ref;
    for (size_t i = 0; i < off.size(); ++i) {
        if (!std::isnan(off[i])) {
            off[i] += std::max(3.0 * bound[i], 8.0 * kU * std::fabs(off[i]));
            break;
        }
    }
    CHECK(worst(got, off, bound) > 1.0);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::string isa_name() {
    const char* v = std::getenv("REEL_CPU_ISA");
    return v == nullptr || *v == '\0' ? "best" : v;
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }

// ---- GroupNorm ----

struct GnCase {
    int64_t batch, channels, groups, spatial;
    bool channel_major;  // [C, N, S] (a video [C, T, H, W]) rather than [N, C, S]
    bool weight, bias, in_place;
    int act;
    double mean;  // of the inputs: large against their spread tests m_lo
};

void test_group_norm(const GnCase& c) {
    const int64_t n = c.batch, C = c.channels, S = c.spatial;
    // x with padding between planes, so that strides other than the dense ones are exercised
    const int64_t xcs = c.channel_major ? n * (S + 3) : S + 3, xbs = c.channel_major ? S + 3 : C * (S + 3);
    const int64_t ocs = c.in_place ? xcs : (c.channel_major ? n * S : S);
    const int64_t obs = c.in_place ? xbs : (c.channel_major ? S : C * S);
    std::vector<float> x = randn(C * n * (S + 3), 1.3, c.mean);
    const std::vector<float> w = randn(C, 0.5, 1.0), b = randn(C, 0.5);
    std::vector<float> out(c.in_place ? 0 : static_cast<size_t>(C * n * S), NAN);
    const int64_t per = C / c.groups;
    std::vector<double> ref(c.in_place ? x.size() : out.size(), NAN), bound(ref.size(), 1.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t g = 0; g < c.groups; ++g) {
            double mean = 0, var = 0;
            for (int64_t ch = g * per; ch < (g + 1) * per; ++ch)
                for (int64_t s = 0; s < S; ++s) mean += x[i * xbs + ch * xcs + s];
            mean /= static_cast<double>(per * S);
            for (int64_t ch = g * per; ch < (g + 1) * per; ++ch)
                for (int64_t s = 0; s < S; ++s) {
                    const double d = x[i * xbs + ch * xcs + s] - mean;
                    var += d * d;
                }
            var /= static_cast<double>(per * S);
            for (int64_t ch = g * per; ch < (g + 1) * per; ++ch) {
                const double wc = c.weight ? w[ch] : 1.0, bc = c.bias ? b[ch] : 0.0;
                for (int64_t s = 0; s < S; ++s) {
                    const double yn = (x[i * xbs + ch * xcs + s] - mean) / std::sqrt(var + 1e-6);
                    const double y = yn * wc + bc;
                    // LayerNorm's rounding (x - m, - m_lo, * rstd, rstd, the fma), then SiLU's few ulp
                    // and its slope (at most 1.1) on the error of y
                    double e = 8.0 * kU * (std::fabs(yn * wc) + std::fabs(bc));
                    double r = y;
                    if (c.act == REEL_ACT_SILU) {
                        r = silu(y);
                        e = 1.1 * e + 8.0 * kU * std::fabs(r) + std::ldexp(1.0, -126);
                    }
                    const size_t k = static_cast<size_t>(i * obs + ch * ocs + s);
                    ref[k] = r;
                    bound[k] = e + 1e-30;
                }
            }
        }
    reel_group_norm_params p{};
    p.dtype = REEL_F32;
    p.act = c.act;
    p.batch = n;
    p.channels = C;
    p.groups = c.groups;
    p.spatial = S;
    p.x_batch_stride = xbs;
    p.x_channel_stride = xcs;
    p.out_batch_stride = obs;
    p.out_channel_stride = ocs;
    p.eps = 1e-6f;
    float* o = c.in_place ? x.data() : out.data();
    const reel_status s = reel_group_norm(REEL_DEVICE_CPU, nullptr, &p, x.data(), c.weight ? w.data() : nullptr,
                                          c.bias ? b.data() : nullptr, o);
    CHECK(s == REEL_OK);
    if (s != REEL_OK) std::printf("  %s\n", reel_last_error());
    const std::string what = "group_norm " + isa_name() + " C " + std::to_string(C) + " S " + std::to_string(S);
    expect_close(what, c.in_place ? x : out, ref, bound);
}

// ---- im2col, and the convolution it makes ----

struct ConvCase {
    int64_t channels, frames, height, width;
    int32_t kernel, stride;
    bool channel_major;
    int64_t row_begin, row_end;  // -1: all rows
    int64_t pad;                 // extra elements per patch row
};

std::vector<float> run_im2col(const ConvCase& c, const std::vector<float>& x, int64_t cs, int64_t fs) {
    const int64_t ho = (c.height - 1) / c.stride + 1, wo = (c.width - 1) / c.stride + 1;
    const int64_t r0 = c.row_begin < 0 ? 0 : c.row_begin, r1 = c.row_end < 0 ? c.frames * ho : c.row_end;
    const int64_t cols = (r1 - r0) * wo, taps = c.channels * c.kernel * c.kernel;
    std::vector<float> patches(static_cast<size_t>(taps * (cols + c.pad)), NAN);
    reel_im2col_params p{};
    p.dtype = REEL_F32;
    p.kernel = c.kernel;
    p.stride = c.stride;
    p.channels = c.channels;
    p.frames = c.frames;
    p.height = c.height;
    p.width = c.width;
    p.channel_stride = cs;
    p.frame_stride = fs;
    p.row_begin = r0;
    p.row_end = r1;
    p.patches_stride = cols + c.pad;
    const reel_status s = reel_im2col(REEL_DEVICE_CPU, nullptr, &p, x.data(), patches.data());
    CHECK(s == REEL_OK);
    if (s != REEL_OK) std::printf("  %s\n", reel_last_error());
    return patches;
}

void test_im2col(const ConvCase& c, std::vector<float>* bits) {
    const int64_t C = c.channels, F = c.frames, H = c.height, W = c.width, k = c.kernel, st = c.stride;
    const int64_t plane = H * W + 5;  // padding between planes
    const int64_t cs = c.channel_major ? F * plane : plane, fs = c.channel_major ? plane : C * plane;
    const std::vector<float> x = randn(C * F * plane);
    const std::vector<float> patches = run_im2col(c, x, cs, fs);
    const int64_t ho = (H - 1) / st + 1, wo = (W - 1) / st + 1, pad = (k - 1) / 2;
    const int64_t r0 = c.row_begin < 0 ? 0 : c.row_begin, r1 = c.row_end < 0 ? F * ho : c.row_end;
    const int64_t cols = (r1 - r0) * wo, stride = cols + c.pad, taps = C * k * k;
    // Every entry is the formula's input value (or 0), bit for bit; the padding is never written.
    bool exact = true, untouched = true;
    for (int64_t tap = 0; tap < taps; ++tap) {
        const int64_t ch = tap / (k * k), u = tap / k % k, v = tap % k;
        for (int64_t col = 0; col < cols; ++col) {
            const int64_t r = r0 + col / wo, j = col % wo, f = r / ho, i = r % ho;
            const int64_t y = st * i + u - pad, xx = st * j + v - pad;
            const float want = y < 0 || y >= H || xx < 0 || xx >= W ? 0.0f : x[ch * cs + f * fs + y * W + xx];
            exact = exact && same_bits(patches[tap * stride + col], want);
        }
        for (int64_t e = cols; e < stride; ++e) untouched = untouched && std::isnan(patches[tap * stride + e]);
    }
    CHECK(exact);
    CHECK(untouched);
    // weight . patches is the convolution of autoencoder.md, in double.
    const int64_t outs = 3;
    const std::vector<float> wt = randn(outs * taps);
    double err = 0.0, scale = 0.0;
    for (int64_t o = 0; o < outs; ++o)
        for (int64_t col = 0; col < cols; ++col) {
            double product = 0.0, direct = 0.0;
            for (int64_t tap = 0; tap < taps; ++tap) product += static_cast<double>(wt[o * taps + tap]) * patches[tap * stride + col];
            const int64_t r = r0 + col / wo, j = col % wo, f = r / ho, i = r % ho;
            for (int64_t ch = 0; ch < C; ++ch)
                for (int64_t u = 0; u < k; ++u)
                    for (int64_t v = 0; v < k; ++v) {
                        const int64_t y = st * i + u - pad, xx = st * j + v - pad;
                        if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
                        direct += static_cast<double>(wt[o * taps + (ch * k + u) * k + v]) * x[ch * cs + f * fs + y * W + xx];
                    }
            err = std::max(err, std::fabs(product - direct));
            scale = std::max(scale, std::fabs(direct));
        }
    CHECK(err <= 1e-12 * (1.0 + scale));
    if (bits->empty()) {
        *bits = patches;
    } else {
        CHECK(same_bits(*bits, patches));
    }
}

// ---- channel affine ----

void test_channel_affine(int64_t channels, int64_t count, bool x_on, bool scale_on, bool shift_on, bool in_place,
                         std::vector<float>* bits) {
    const int64_t xs = count + 3, os = in_place ? xs : count + 1;
    std::vector<float> x = randn(channels * xs, 2.0), sc = randn(channels, 0.7, 0.3), sh = randn(channels);
    std::vector<float> out(in_place ? 0 : static_cast<size_t>(channels * os), NAN);
    std::vector<double> ref(in_place ? x.size() : out.size(), NAN), bound(ref.size(), 1.0);
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t k = 0; k < count; ++k) {
            const double xv = x_on ? x[c * xs + k] : 0.0;
            const size_t i = static_cast<size_t>(c * os + k);
            ref[i] = xv * (scale_on ? sc[c] : 1.0) + (shift_on ? sh[c] : 0.0);
            bound[i] = 2.0 * kU * std::fabs(ref[i]) + 1e-300;  // one rounding (the fma)
        }
    reel_channel_affine_params p{};
    p.dtype = REEL_F32;
    p.channels = channels;
    p.count = count;
    p.x_stride = xs;
    p.out_stride = os;
    float* o = in_place ? x.data() : out.data();
    CHECK(reel_channel_affine(REEL_DEVICE_CPU, nullptr, &p, x_on ? x.data() : nullptr, scale_on ? sc.data() : nullptr,
                              shift_on ? sh.data() : nullptr, o) == REEL_OK);
    const std::vector<float>& got = in_place ? x : out;
    const double w = worst(got, ref, bound);
    if (!(w <= 1.0)) std::printf("  channel_affine %s: error %.3g of the bound\n", isa_name().c_str(), w);
    CHECK(w <= 1.0);
    if (!in_place && os > count) CHECK(std::isnan(out[static_cast<size_t>(count)]));  // the gap after a channel
    if (bits->empty()) {
        *bits = got;
    } else {
        CHECK(same_bits(*bits, got));
    }
}

// ---- upsampling ----

void test_upsample(int64_t planes, int64_t h, int64_t w, std::vector<float>* bits) {
    const std::vector<float> x = randn(planes * h * w);
    std::vector<float> out(static_cast<size_t>(4 * planes * h * w), NAN);
    CHECK(reel_upsample_nearest2x(REEL_DEVICE_CPU, nullptr, REEL_F32, planes, h, w, x.data(), out.data()) == REEL_OK);
    bool exact = true;
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < 2 * h; ++i)
            for (int64_t j = 0; j < 2 * w; ++j)
                exact = exact && same_bits(out[(p * 2 * h + i) * 2 * w + j], x[(p * h + i / 2) * w + j / 2]);
    CHECK(exact);
    if (bits->empty()) {
        *bits = out;
    } else {
        CHECK(same_bits(*bits, out));
    }
}

// ---- bad arguments ----

void test_errors() {
    std::vector<float> buf(8192, 1.0f);
    float* x = buf.data();
    float* out = x + 2048;
    float* w = x + 6144;
    reel_group_norm_params gn{};
    gn.dtype = REEL_F32;
    gn.act = REEL_ACT_SILU;
    gn.batch = 2;
    gn.channels = 8;
    gn.groups = 4;
    gn.spatial = 16;
    gn.x_batch_stride = gn.out_batch_stride = 16;      // [C, N, S]
    gn.x_channel_stride = gn.out_channel_stride = 32;
    gn.eps = 1e-6f;
    CHECK(reel_group_norm(-1, nullptr, &gn, x, w, w + 8, out) == REEL_OK);
    CHECK(reel_group_norm(-1, nullptr, &gn, x, nullptr, nullptr, x) == REEL_OK);  // in place
    CHECK_FAILS(reel_group_norm(-1, nullptr, nullptr, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "params is NULL");
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gn, nullptr, w, w, out), REEL_ERR_INVALID_ARGUMENT, "x is NULL");
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gn, x, w, w, nullptr), REEL_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gn, x, w, w, x + 4), REEL_ERR_INVALID_ARGUMENT, "out and x overlap");
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gn, x, out + 100, w, out), REEL_ERR_INVALID_ARGUMENT, "out and weight overlap");
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gn, x, w, out + 3, out), REEL_ERR_INVALID_ARGUMENT, "out and bias overlap");
    CHECK_NO_DEVICE(reel_group_norm(0, nullptr, &gn, x, w, w, out));
    reel_group_norm_params gb = gn;
    gb.groups = 3;
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "groups 3 does not divide channels 8");
    gb = gn;
    gb.out_channel_stride = 8;  // channels 8 apart but 16 wide: elements meet
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "map two elements to one address");
    gb = gn;
    gb.x_batch_stride = -1;
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "x_batch_stride");
    gb = gn;
    gb.act = 7;
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "activation 7");
    gb = gn;
    gb.eps = NAN;
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "eps");
    gb = gn;
    gb.spatial = 0;
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "spatial");
    gb = gn;
    gb.batch = 0;
    CHECK(reel_group_norm(-1, nullptr, &gb, nullptr, nullptr, nullptr, nullptr) == REEL_OK);
    gb = gn;
    gb.dtype = REEL_BF16;
    CHECK_FAILS(reel_group_norm(-1, nullptr, &gb, x, w, w, out), REEL_ERR_UNSUPPORTED, "REEL_F32");
    gb.dtype = REEL_F16;  // the CUDA backend refuses fp16 before it looks for a device
    {
        const reel_status s = reel_group_norm(0, nullptr, &gb, x, w, w, out);
        CHECK((s == REEL_ERR_UNSUPPORTED && std::strstr(reel_last_error(), "REEL_BF16")) || s == REEL_ERR_NO_CUDA_BUILD);
    }

    reel_im2col_params ic{};
    ic.dtype = REEL_F32;
    ic.kernel = 3;
    ic.stride = 1;
    ic.channels = 2;
    ic.frames = 2;
    ic.height = 4;
    ic.width = 4;
    ic.channel_stride = 32;
    ic.frame_stride = 16;
    ic.row_begin = 0;
    ic.row_end = 8;
    ic.patches_stride = 32;
    CHECK(reel_im2col(-1, nullptr, &ic, x, out) == REEL_OK);
    CHECK_FAILS(reel_im2col(-1, nullptr, &ic, x, x + 40), REEL_ERR_INVALID_ARGUMENT, "patches and x overlap");
    CHECK_FAILS(reel_im2col(-1, nullptr, &ic, nullptr, out), REEL_ERR_INVALID_ARGUMENT, "x is NULL");
    CHECK_FAILS(reel_im2col(-1, nullptr, &ic, x, nullptr), REEL_ERR_INVALID_ARGUMENT, "patches is NULL");
    CHECK_NO_DEVICE(reel_im2col(1, nullptr, &ic, x, out));
    reel_im2col_params ib = ic;
    ib.kernel = 5;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "kernel must be 1 or 3, got 5");
    ib = ic;
    ib.stride = 3;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "stride must be 1 or 2, got 3");
    ib = ic;
    ib.row_end = 9;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "rows [0, 9) are not within the 8 output rows");
    ib = ic;
    ib.row_begin = 5;
    ib.row_end = 4;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "not within");
    ib.row_end = 5;
    CHECK(reel_im2col(-1, nullptr, &ib, nullptr, nullptr) == REEL_OK);  // no rows: nothing to do
    ib = ic;
    ib.stride = 2;  // 2 x 2 outputs per image: 4 rows
    ib.row_end = 5;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "the 4 output rows");
    ib = ic;
    ib.patches_stride = 31;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "patches_stride must be >= 32");
    ib = ic;
    ib.width = 0;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "width");
    ib = ic;
    ib.frame_stride = -16;
    CHECK_FAILS(reel_im2col(-1, nullptr, &ib, x, out), REEL_ERR_INVALID_ARGUMENT, "frame_stride");

    reel_channel_affine_params ca{};
    ca.dtype = REEL_F32;
    ca.channels = 4;
    ca.count = 100;
    ca.x_stride = 100;
    ca.out_stride = 100;
    CHECK(reel_channel_affine(-1, nullptr, &ca, x, w, w + 4, out) == REEL_OK);
    CHECK(reel_channel_affine(-1, nullptr, &ca, out, nullptr, w, out) == REEL_OK);  // in place
    CHECK(reel_channel_affine(-1, nullptr, &ca, nullptr, nullptr, w, out) == REEL_OK);  // fill
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &ca, x, w, w, x + 50), REEL_ERR_INVALID_ARGUMENT, "out and x overlap partially");
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &ca, x, out + 10, w, out), REEL_ERR_INVALID_ARGUMENT, "out and scale overlap");
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &ca, x, w, out + 399, out), REEL_ERR_INVALID_ARGUMENT, "out and shift overlap");
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &ca, x, w, w, nullptr), REEL_ERR_INVALID_ARGUMENT, "out is NULL");
    CHECK_NO_DEVICE(reel_channel_affine(0, nullptr, &ca, x, w, w, out));
    reel_channel_affine_params cb = ca;
    cb.out_stride = 99;
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &cb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "out_stride must be >= 100");
    cb = ca;
    cb.x_stride = 10;
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &cb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "x_stride must be >= 100");
    CHECK(reel_channel_affine(-1, nullptr, &cb, nullptr, w, w, out) == REEL_OK);  // no x: x_stride ignored
    cb = ca;
    cb.count = 0;
    CHECK_FAILS(reel_channel_affine(-1, nullptr, &cb, x, w, w, out), REEL_ERR_INVALID_ARGUMENT, "count");

    CHECK(reel_upsample_nearest2x(-1, nullptr, REEL_F32, 3, 4, 5, x, out) == REEL_OK);
    CHECK_FAILS(reel_upsample_nearest2x(-1, nullptr, REEL_F32, 3, 4, 5, x, x + 59), REEL_ERR_INVALID_ARGUMENT, "out and x overlap");
    CHECK_FAILS(reel_upsample_nearest2x(-1, nullptr, REEL_F32, 3, 4, 5, out + 239, out), REEL_ERR_INVALID_ARGUMENT, "out and x overlap");
    CHECK_FAILS(reel_upsample_nearest2x(-1, nullptr, REEL_F32, 0, 4, 5, x, out), REEL_ERR_INVALID_ARGUMENT, "planes");
    CHECK_FAILS(reel_upsample_nearest2x(-1, nullptr, REEL_F32, 3, 4, 5, nullptr, out), REEL_ERR_INVALID_ARGUMENT, "x is NULL");
    CHECK_FAILS(reel_upsample_nearest2x(-1, nullptr, 9, 3, 4, 5, x, out), REEL_ERR_INVALID_ARGUMENT, "dtype 9");
    CHECK_FAILS(reel_upsample_nearest2x(-1, nullptr, REEL_F32, INT64_C(1) << 30, INT64_C(1) << 30, 4, x, out),
                REEL_ERR_INVALID_ARGUMENT, "exceeds 2^62");
    CHECK_NO_DEVICE(reel_upsample_nearest2x(0, nullptr, REEL_F32, 3, 4, 5, x, out));
}

}  // namespace

int main() {
    reel_cpu_info cpu{};
    reel_cpu_query(&cpu);
    std::printf("CPU: avx2 %d, avx512f %d\n", cpu.avx2, cpu.avx512f);
    std::vector<const char*> isas = {"generic"};
    if (cpu.avx2) isas.push_back("avx2");
    if (cpu.avx512f) isas.push_back("avx512");
    isas.push_back("");  // the default: the best available

    // Outputs of the first instruction set, which every other one must match bit for bit.
    std::vector<float> col_bits[9], aff_bits[6], up_bits[4];
    for (const char* isa : isas) {
        setenv("REEL_CPU_ISA", isa, 1);
        rng.seed(20261202);  // the same inputs for every instruction set
        for (bool cm : {false, true}) {
            for (int act : {REEL_ACT_NONE, REEL_ACT_SILU}) {
                test_group_norm({3, 8, 4, 37, cm, true, true, false, act, 0.0});
                test_group_norm({2, 16, 8, 64, cm, act == REEL_ACT_SILU, true, true, act, 0.0});
                test_group_norm({4, 6, 2, 5, cm, true, false, false, act, 0.0});
            }
        }
        test_group_norm({2, 12, 3, 1, false, true, true, false, REEL_ACT_SILU, 0.0});       // one position
        test_group_norm({3, 8, 8, 100, true, true, true, false, REEL_ACT_NONE, 500.0});     // mean >> spread
        test_group_norm({16, 32, 8, 1024, true, true, true, true, REEL_ACT_SILU, 0.3});     // several threads
        test_im2col({3, 2, 8, 8, 3, 1, true, -1, -1, 0}, &col_bits[0]);
        test_im2col({2, 3, 7, 5, 3, 1, false, -1, -1, 3}, &col_bits[1]);      // odd sizes, [N, C, H, W]
        test_im2col({4, 2, 16, 16, 3, 2, true, -1, -1, 0}, &col_bits[2]);     // stride 2
        test_im2col({3, 2, 7, 37, 3, 2, true, -1, -1, 2}, &col_bits[3]);      // stride 2, odd, beyond a vector
        test_im2col({5, 2, 6, 6, 1, 1, true, -1, -1, 0}, &col_bits[4]);       // 1 x 1
        test_im2col({3, 1, 9, 9, 1, 2, false, -1, -1, 1}, &col_bits[5]);      // 1 x 1, stride 2
        test_im2col({2, 3, 8, 40, 3, 1, true, 5, 17, 4}, &col_bits[6]);       // a range of rows across frames
        test_im2col({1, 1, 1, 1, 3, 1, true, -1, -1, 0}, &col_bits[7]);       // one pixel
        test_im2col({8, 4, 32, 128, 3, 1, true, -1, -1, 0}, &col_bits[8]);    // several threads
        int i = 0;
        for (bool x_on : {true, false})
            for (bool in_place : {false, true}) {
                if (!x_on && in_place) continue;
                test_channel_affine(5, 37, x_on, true, true, in_place, &aff_bits[i++]);
            }
        test_channel_affine(3, 20000, true, false, true, false, &aff_bits[i++]);   // blocks of one channel
        test_channel_affine(4, 64, true, true, false, true, &aff_bits[i++]);
        test_channel_affine(2, 16, false, false, false, false, &aff_bits[i++]);    // zeros
        test_upsample(3, 4, 5, &up_bits[0]);
        test_upsample(2, 3, 16, &up_bits[1]);
        test_upsample(4, 2, 37, &up_bits[2]);
        test_upsample(64, 16, 64, &up_bits[3]);
    }
    unsetenv("REEL_CPU_ISA");
    test_errors();
    std::printf("GroupNorm: largest error %.3f of its fp32 bound\n", g_worst_gn);
    return reel_test::finish();
}
