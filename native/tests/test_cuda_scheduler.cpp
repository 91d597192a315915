// reel_scheduler_step on CUDA against the CPU backend. Both round the same fp32
// operations in the same order (kernels/scheduler/step.h) and draw the same
// Philox noise, so the results must be equal bit for bit — except with guidance
// rescale, whose per-sample sums are added in a different order on each backend
// (a relative difference of a few fp32 ulps). Covers every dtype pair, aligned
// and unaligned offsets and pointers (vector and scalar paths), each optional
// input and output, and in-place use. Skipped (exit 77) with the reason where no
// CUDA device is present.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "check.h"

namespace {

int64_t esize(int32_t dtype) { return dtype == REEL_F32 ? 4 : 2; }

struct Case {
    reel_step_params p;
    bool uncond, prev, aux, in_place;
    int64_t misalign;  // elements by which every device pointer is shifted
};

// Random bytes of `n` elements of `dtype`, each a finite value in [-4, 4].
std::vector<uint8_t> random_tensor(std::mt19937& rng, int64_t n, int32_t dtype) {
    std::uniform_real_distribution<float> d(-4.0f, 4.0f);
    std::vector<float> f(static_cast<size_t>(n));
    for (auto& v : f) v = d(rng);
    std::vector<uint8_t> out(static_cast<size_t>(n * esize(dtype)));
    reel_convert(REEL_DEVICE_CPU, nullptr, out.data(), dtype, f.data(), REEL_F32, n);
    return out;
}

struct DeviceBuffer {
    void* base = nullptr;
    int64_t shift = 0;
    DeviceBuffer(const std::vector<uint8_t>& host, int64_t shift_bytes) : shift(shift_bytes) {
        if (reel_malloc(0, static_cast<int64_t>(host.size()) + shift + 16, &base) != REEL_OK ||
            reel_memcpy(ptr(), host.data(), static_cast<int64_t>(host.size()), REEL_COPY_HOST_TO_DEVICE, 0, nullptr) != REEL_OK) {
            std::printf("device setup failed: %s\n", reel_last_error());
            ++reel_test::failed;
        }
    }
    ~DeviceBuffer() { reel_free(0, base); }
    void* ptr() const { return static_cast<char*>(base) + shift; }
    std::vector<uint8_t> read(int64_t bytes) const {
        std::vector<uint8_t> out(static_cast<size_t>(bytes));
        if (reel_memcpy(out.data(), ptr(), bytes, REEL_COPY_DEVICE_TO_HOST, 0, nullptr) != REEL_OK) ++reel_test::failed;
        return out;
    }
};

float value(const std::vector<uint8_t>& t, int32_t dtype, int64_t k) {
    float f;
    reel_convert(REEL_DEVICE_CPU, nullptr, &f, REEL_F32, t.data() + k * esize(dtype), dtype, 1);
    return f;
}

void run(std::mt19937& rng, const Case& c) {
    const reel_step_params& p = c.p;
    const int64_t n = p.count, sb = esize(p.state_dtype), mb = esize(p.model_dtype);
    auto x = random_tensor(rng, n, p.state_dtype), cond = random_tensor(rng, n, p.model_dtype);
    auto uncond = random_tensor(rng, n, p.model_dtype), prev = random_tensor(rng, n, p.state_dtype);
    std::vector<uint8_t> out_h(static_cast<size_t>(n * sb)), aux_h(static_cast<size_t>(n * sb));
    std::vector<uint8_t> x_h = x;  // in place: the CPU result overwrites its x
    CHECK(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, x_h.data(), cond.data(), c.uncond ? uncond.data() : nullptr,
                              c.prev ? prev.data() : nullptr, c.in_place ? x_h.data() : out_h.data(),
                              c.aux ? aux_h.data() : nullptr) == REEL_OK);
    if (c.in_place) out_h = x_h;

    DeviceBuffer dx(x, c.misalign * sb), dc(cond, c.misalign * mb), du(uncond, c.misalign * mb),
        dp(prev, c.misalign * sb), dout(out_h, c.misalign * sb), daux(aux_h, c.misalign * sb);
    CHECK(reel_scheduler_step(0, nullptr, &p, dx.ptr(), dc.ptr(), c.uncond ? du.ptr() : nullptr,
                              c.prev ? dp.ptr() : nullptr, c.in_place ? dx.ptr() : dout.ptr(),
                              c.aux ? daux.ptr() : nullptr) == REEL_OK);
    CHECK(reel_synchronize(0, nullptr) == REEL_OK);
    const auto out_d = (c.in_place ? dx : dout).read(n * sb);
    const auto aux_d = daux.read(n * sb);
    if (p.rescale_phi == 0.0) {
        CHECK(out_d == out_h);
        if (c.aux) CHECK(aux_d == aux_h);
        return;
    }
    // Rescale: the factor may differ by an ulp or two; allow 4 fp32 ulps of the
    // magnitude of the terms, plus half an ulp of a 16-bit storage dtype.
    int64_t bad = 0;
    for (int64_t k = 0; k < n; ++k) {
        const float a = value(out_d, p.state_dtype, k), b = value(out_h, p.state_dtype, k);
        const float tol = 4.0f * 1.2e-7f * 64.0f + (p.state_dtype == REEL_F32 ? 0.0f : std::fabs(b) * 0.008f);
        if (!(std::fabs(a - b) <= tol)) ++bad;
    }
    CHECK(bad == 0);
}

}  // namespace

int main() {
    int32_t devices = 0;
    if (reel_cuda_device_count(&devices) != REEL_OK) {
        std::printf("SKIPPED: %s\n", reel_last_error());
        return 77;
    }
    const bool small = std::getenv("REEL_SANITIZE") != nullptr;
    std::mt19937 rng(4);
    const int64_t sizes[] = {1, 7, 1024, small ? 4099 : (1 << 20) + 5};
    int cases = 0;
    for (int32_t sd = 0; sd < 3; ++sd) {
        for (int32_t md = 0; md < 3; ++md) {
            for (int64_t n : sizes) {
                for (int variant = 0; variant < 6; ++variant) {
                    Case c{};
                    c.p.count = n;
                    c.p.batch = 1;
                    c.p.state_dtype = sd;
                    c.p.model_dtype = md;
                    c.p.guidance_scale = 5.5;
                    c.p.c_x = 0.97;
                    c.p.c_m = -0.123;
                    c.p.c_p = variant % 2 ? 0.31 : 0.0;
                    c.p.c_z = variant >= 2 ? 0.05 : 0.0;
                    c.p.a_x = 1.7;
                    c.p.a_m = -2.9;
                    c.p.seed = 0x1234567890ull + static_cast<uint64_t>(variant);
                    c.p.noise_stream = 3;
                    c.p.noise_offset = variant == 3 ? 5 : (variant == 5 ? (1ull << 35) : 0);
                    c.uncond = variant != 4;
                    c.prev = c.p.c_p != 0.0;
                    c.aux = variant % 3 == 0;
                    c.in_place = variant == 5;
                    c.misalign = variant == 4 ? 1 : 0;
                    run(rng, c);
                    ++cases;
                }
            }
            // Guidance rescale over a batch of samples.
            Case c{};
            c.p.count = small ? 3 * 1000 : 3 * 70001;
            c.p.batch = 3;
            c.p.state_dtype = sd;
            c.p.model_dtype = md;
            c.p.guidance_scale = 7.0;
            c.p.rescale_phi = 0.7;
            c.p.c_x = 1.0;
            c.p.c_m = 0.25;
            c.uncond = true;
            run(rng, c);
            ++cases;
        }
    }
    std::printf("%d cases\n", cases);
    return reel_test::finish();
}
