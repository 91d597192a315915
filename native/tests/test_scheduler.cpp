// reel_scheduler_step on the CPU backend through the C API: bad arguments are
// statuses with messages, the in-step noise is reel_noise_normal's bit for bit,
// and in-place use reads each element before writing it. The arithmetic against
// a double-precision oracle is tested from Java (SchedulerStepTest).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"

namespace {

reel_step_params params(int64_t count) {
    reel_step_params p{};
    p.count = count;
    p.batch = 1;
    p.state_dtype = REEL_F32;
    p.model_dtype = REEL_F32;
    p.guidance_scale = 1.0;
    return p;
}

}  // namespace

int main() {
    const int64_t n = 1003;
    std::vector<float> x(n), c(n), u(n), prev(n), out(n), aux(n), noise(n);
    for (int64_t k = 0; k < n; ++k) {
        x[k] = static_cast<float>(k % 17) * 0.25f;
        c[k] = static_cast<float>(k % 5) - 2.0f;
        u[k] = 1.0f;
        prev[k] = 0.5f;
    }

    // Noise only: out = z, exactly the values of reel_noise_normal at the same indices.
    for (uint64_t offset : {0ull, 3ull, 1ull << 40}) {
        reel_step_params p = params(n);
        p.c_z = 1.0;
        p.seed = 77;
        p.noise_stream = 5;
        p.noise_offset = offset;
        CHECK(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, x.data(), c.data(), nullptr, nullptr, out.data(), nullptr) == REEL_OK);
        CHECK(reel_noise_normal(REEL_DEVICE_CPU, nullptr, noise.data(), REEL_F32, n, 77, 5, offset) == REEL_OK);
        CHECK(std::memcmp(out.data(), noise.data(), n * sizeof(float)) == 0);
    }

    // Exactly representable arithmetic, in place: x <- 0.5·x + 2·m + 1·prev with
    // m = u + 3·(c − u); aux = m.
    {
        reel_step_params p = params(n);
        p.guidance_scale = 3.0;
        p.c_x = 0.5;
        p.c_m = 2.0;
        p.c_p = 1.0;
        p.a_m = 1.0;
        std::vector<float> y = x;
        CHECK(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, y.data(), c.data(), u.data(), prev.data(), y.data(), aux.data()) == REEL_OK);
        bool ok = true;
        for (int64_t k = 0; k < n; ++k) {
            const float m = u[k] + 3.0f * (c[k] - u[k]);
            ok = ok && y[k] == 0.5f * x[k] + 2.0f * m + prev[k] && aux[k] == m;
        }
        CHECK(ok);
    }

    // Rescale with φ = 1 makes std(m) equal std(c) per sample (m = f_b·m).
    {
        reel_step_params p = params(n - 3);
        p.batch = 2;
        p.guidance_scale = 4.0;
        p.rescale_phi = 1.0;
        p.c_m = 1.0;
        CHECK(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, x.data(), c.data(), x.data(), nullptr, out.data(), nullptr) == REEL_OK);
        const int64_t per = (n - 3) / 2;
        for (int64_t b = 0; b < 2; ++b) {
            double sc = 0, scc = 0, so = 0, soo = 0;
            for (int64_t k = b * per; k < (b + 1) * per; ++k) {
                sc += c[k]; scc += double(c[k]) * c[k]; so += out[k]; soo += double(out[k]) * out[k];
            }
            const double vc = scc / per - (sc / per) * (sc / per), vo = soo / per - (so / per) * (so / per);
            CHECK(vc > 0 && std::fabs(vo / vc - 1.0) < 1e-5);
        }
    }

    // Bad arguments.
    reel_step_params p = params(n);
    float* X = x.data();
    float* C = c.data();
    float* O = out.data();
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, nullptr, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "params is NULL");
    CHECK_FAILS(reel_scheduler_step(-7, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "device -7");
    p.state_dtype = 9;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "state dtype 9");
    p = params(n);
    p.model_dtype = -1;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "model dtype -1");
    p = params(-1);
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "count < 0");
    p = params(n);
    p.batch = 0;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "batch must be >= 1");
    p.batch = 2;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "not a multiple of batch");
    p = params(n);
    p.guidance_scale = NAN;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "guidance_scale is not a finite");
    p = params(n);
    p.c_m = 1e300;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "c_m is not a finite fp32");
    p = params(n);
    p.rescale_phi = 1.5;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "rescale_phi");
    p = params(n);
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, nullptr, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "x is NULL");
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, nullptr, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "cond is NULL");
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, nullptr, nullptr), REEL_ERR_INVALID_ARGUMENT, "out is NULL");
    p.c_p = 0.5;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "prev is NULL");
    p = params(n);
    p.c_z = 1.0;
    p.noise_offset = UINT64_MAX - 5;
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "overflows");
    p = params(n);
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, X + 1, nullptr), REEL_ERR_INVALID_ARGUMENT, "out and x overlap partially");
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, C, nullptr, nullptr, O, O + 5), REEL_ERR_INVALID_ARGUMENT, "out and aux overlap");
    p.model_dtype = REEL_BF16;  // same address, different element size: not in place
    CHECK_FAILS(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, X, O, nullptr, nullptr, O, nullptr), REEL_ERR_INVALID_ARGUMENT, "out and cond overlap partially");
    p = params(0);
    CHECK(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr) == REEL_OK);
    int32_t devices = 0;
    const reel_status no_cuda = reel_cuda_device_count(&devices);
    if (no_cuda != REEL_OK) {  // the CUDA path answers with the reason there is none
        p = params(n);
        CHECK(reel_scheduler_step(0, nullptr, &p, X, C, nullptr, nullptr, O, nullptr) == no_cuda);
    }
    return reel_test::finish();
}
