// CUDA against the CPU backend, bit for bit: noise in every dtype at unaligned
// offsets, and every dtype conversion on random and special values. Skipped
// (exit 77) with the reason where no CUDA device is present.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "check.h"

namespace {

template <typename T>
std::vector<T> on_device(int64_t n, int32_t dtype, uint64_t seed, uint64_t stream, uint64_t offset) {
    void* d = nullptr;
    std::vector<T> host(static_cast<size_t>(n));
    const int64_t bytes = n * static_cast<int64_t>(sizeof(T));
    if (reel_malloc(0, bytes, &d) != REEL_OK ||
        reel_memset(0, d, 0xFF, bytes, nullptr) != REEL_OK ||
        reel_noise_normal(0, nullptr, d, dtype, n, seed, stream, offset) != REEL_OK ||
        reel_memcpy(host.data(), d, bytes, REEL_COPY_DEVICE_TO_HOST, 0, nullptr) != REEL_OK) {
        std::printf("device call failed: %s\n", reel_last_error());
        ++reel_test::failed;
    }
    reel_free(0, d);
    return host;
}

template <typename T>
std::vector<T> on_host(int64_t n, int32_t dtype, uint64_t seed, uint64_t stream, uint64_t offset) {
    std::vector<T> host(static_cast<size_t>(n));
    CHECK(reel_noise_normal(REEL_DEVICE_CPU, nullptr, host.data(), dtype, n, seed, stream, offset) == REEL_OK);
    return host;
}

}  // namespace

int main() {
    int32_t count = 0;
    if (reel_cuda_device_count(&count) != REEL_OK) {
        std::printf("SKIPPED: %s\n", reel_last_error());
        return 77;
    }
    const int64_t sizes[] = {1, 3, 1000, 1 << 20};
    const uint64_t offsets[] = {0, 1, 6, 123456789ull};
    for (int64_t n : sizes) {
        for (uint64_t off : offsets) {
            CHECK((on_device<float>(n, REEL_F32, 2026, 3, off) == on_host<float>(n, REEL_F32, 2026, 3, off)));
            CHECK((on_device<uint16_t>(n, REEL_BF16, 5, 0, off) == on_host<uint16_t>(n, REEL_BF16, 5, 0, off)));
            CHECK((on_device<uint16_t>(n, REEL_F16, 5, 1, off) == on_host<uint16_t>(n, REEL_F16, 5, 1, off)));
        }
    }

    // Conversions: random floats over many magnitudes, plus the special values.
    std::mt19937 rng(1);
    std::vector<float> src(1 << 16);
    for (auto& v : src) {
        uint32_t bits = rng();
        std::memcpy(&v, &bits, 4);
    }
    const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65504.0f, 65520.0f, 1e-8f, 5.96e-8f, 3.0e38f};
    for (size_t k = 0; k < sizeof specials / sizeof *specials; ++k) src[k] = specials[k];
    const int64_t n = static_cast<int64_t>(src.size());
    void *dsrc = nullptr, *ddst = nullptr;
    CHECK(reel_malloc(0, n * 4, &dsrc) == REEL_OK && reel_malloc(0, n * 4, &ddst) == REEL_OK);
    CHECK(reel_memcpy(dsrc, src.data(), n * 4, REEL_COPY_HOST_TO_DEVICE, 0, nullptr) == REEL_OK);
    for (int from = 0; from < 3; ++from) {
        for (int to = 0; to < 3; ++to) {
            // first convert the random floats into the source dtype on the host
            std::vector<uint32_t> typed(src.size()), host_out(src.size()), dev_out(src.size());
            CHECK(reel_convert(REEL_DEVICE_CPU, nullptr, typed.data(), from, src.data(), REEL_F32, n) == REEL_OK);
            CHECK(reel_convert(REEL_DEVICE_CPU, nullptr, host_out.data(), to, typed.data(), from, n) == REEL_OK);
            CHECK(reel_memcpy(dsrc, typed.data(), n * 4, REEL_COPY_HOST_TO_DEVICE, 0, nullptr) == REEL_OK);
            CHECK(reel_convert(0, nullptr, ddst, to, dsrc, from, n) == REEL_OK);
            CHECK(reel_memcpy(dev_out.data(), ddst, n * (to == REEL_F32 ? 4 : 2), REEL_COPY_DEVICE_TO_HOST, 0, nullptr) == REEL_OK);
            CHECK(std::memcmp(dev_out.data(), host_out.data(), n * (to == REEL_F32 ? 4 : 2)) == 0);
        }
    }
    reel_free(0, dsrc);
    reel_free(0, ddst);
    return reel_test::finish();
}
