// Philox noise on the CPU backend: the Random123 known answer, agreement with
// Box-Muller through libm, offsets, dtypes, thread counts and moments.
#include <cmath>
#include <cstdint>
#include <vector>

#include "../../kernels/common/dtype.h"
#include "../../kernels/common/philox.h"
#include "check.h"

namespace {

std::vector<float> noise(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset) {
    std::vector<float> v(static_cast<size_t>(n), std::nanf(""));
    if (reel_noise_normal(REEL_DEVICE_CPU, nullptr, v.data(), REEL_F32, n, seed, stream, offset) != REEL_OK) {
        std::printf("reel_noise_normal failed: %s\n", reel_last_error());
    }
    return v;
}

// The textbook formula through libm, for comparison within a few ulp.
double libm_normal(uint64_t seed, uint64_t stream, uint64_t i) {
    const uint64_t g = i >> 2;
    const reel::Philox4 x = reel::philox4x32_10(uint32_t(g), uint32_t(g >> 32), uint32_t(stream),
                                                uint32_t(stream >> 32), uint32_t(seed), uint32_t(seed >> 32));
    const int j = static_cast<int>((i & 3) >> 1);
    const double u1 = (x.v[2 * j] + 0.5) * std::ldexp(1.0, -32);
    const double u2 = x.v[2 * j + 1] * std::ldexp(1.0, -32);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    return (i & 1) == 0 ? r * std::cos(theta) : r * std::sin(theta);
}

}  // namespace

int main() {
    const reel::Philox4 kat = reel::philox4x32_10(0, 0, 0, 0, 0, 0);
    CHECK(kat.v[0] == 0x6627e8d5u && kat.v[1] == 0xe169c58du && kat.v[2] == 0xbc57ac4cu && kat.v[3] == 0x9b00dbd8u);
    const reel::Philox4 kat2 = reel::philox4x32_10(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
    CHECK(kat2.v[0] == 0x408f276du && kat2.v[1] == 0x41c83b0eu && kat2.v[2] == 0xa20bc7c6u && kat2.v[3] == 0x6d5451fdu);

    const int64_t n = 1 << 20;
    const std::vector<float> a = noise(n, 42, 7, 0);
    double max_err = 0, sum = 0, sum2 = 0;
    for (int64_t i = 0; i < n; ++i) {
        max_err = std::fmax(max_err, std::fabs(a[i] - libm_normal(42, 7, i)));
        sum += a[i];
        sum2 += double(a[i]) * a[i];
    }
    std::printf("max |reel - libm| = %.3g\n", max_err);
    CHECK(max_err < 2e-6);
    const double mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(std::fabs(mean) < 5.0 / std::sqrt(double(n)));       // 5 sigma
    CHECK(std::fabs(var - 1.0) < 5.0 * std::sqrt(2.0 / n));     // 5 sigma of the variance

    const std::vector<float> part = noise(37, 42, 7, 1001);
    bool same = true;
    for (int k = 0; k < 37; ++k) same &= part[k] == a[1001 + k];
    CHECK(same);

    const std::vector<float> other_stream = noise(64, 42, 8, 0), other_seed = noise(64, 43, 7, 0);
    int equal_stream = 0, equal_seed = 0;
    for (int k = 0; k < 64; ++k) {
        equal_stream += other_stream[k] == a[k];
        equal_seed += other_seed[k] == a[k];
    }
    CHECK(equal_stream == 0 && equal_seed == 0);

    reel_cpu_set_threads(1);
    const std::vector<float> single = noise(n, 42, 7, 0);
    reel_cpu_set_threads(0);
    CHECK(single == a);

    std::vector<uint16_t> b(1000), h(1000);
    CHECK(reel_noise_normal(REEL_DEVICE_CPU, nullptr, b.data(), REEL_BF16, 1000, 42, 7, 0) == REEL_OK);
    CHECK(reel_noise_normal(REEL_DEVICE_CPU, nullptr, h.data(), REEL_F16, 1000, 42, 7, 0) == REEL_OK);
    bool rounded = true;
    for (int k = 0; k < 1000; ++k) rounded &= b[k] == reel::f32_to_bf16(a[k]) && h[k] == reel::f32_to_f16(a[k]);
    CHECK(rounded);
    return reel_test::finish();
}
