// kernels/scheduler/scheduler.cuh built as host C++: every CUDA block and thread
// of a launch is emulated (threads of a block that meet at __syncthreads run as
// host threads at a barrier; the others one after another), and the result is
// compared with the CPU backend — bit for bit, except with guidance rescale,
// whose per-sample sums are added in another order. This exercises the kernels'
// indexing (Philox groups, partial groups, the vector path, grid-stride loops,
// the rescale reduction tree) on any machine; test_cuda_scheduler runs the same
// comparison on a device.
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "check.h"

// ---- the few CUDA names the kernels use, on the host ---------------------
struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct float4 {
    float x, y, z, w;
};
struct uint2 {
    unsigned x, y;
};
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
inline uint2 make_uint2(unsigned a, unsigned b) { return {a, b}; }
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace {
struct Barrier {
    std::mutex m;
    std::condition_variable cv;
    int n;
    int waiting = 0;
    long generation = 0;
    explicit Barrier(int threads) : n(threads) {}
    void wait() {
        std::unique_lock<std::mutex> lock(m);
        const long g = generation;
        if (++waiting == n) {
            waiting = 0;
            ++generation;
            cv.notify_all();
        } else {
            cv.wait(lock, [&] { return generation != g; });
        }
    }
};
Barrier* block_barrier = nullptr;
}  // namespace

inline void __syncthreads() { block_barrier->wait(); }

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static  // blocks run one after another, so one copy serves them all

#include "../../../kernels/scheduler/scheduler.cuh"

namespace {

using namespace reel;

// Threads that never meet at a barrier: one after another.
template <typename F>
void launch_sequential(dim3 grid, dim3 block, F body) {
    gridDim = grid;
    blockDim = block;
    for (unsigned by = 0; by < grid.y; ++by) {
        for (unsigned bx = 0; bx < grid.x; ++bx) {
            for (unsigned tx = 0; tx < block.x; ++tx) {
                blockIdx = dim3{bx, by, 1};
                threadIdx = dim3{tx, 0, 1};
                body();
            }
        }
    }
}

// Threads of a block as host threads meeting at __syncthreads; the same host
// threads run the blocks one after another, with a barrier between blocks.
template <typename F>
void launch_threads(dim3 grid, dim3 block, F body) {
    gridDim = grid;
    blockDim = block;
    Barrier barrier(static_cast<int>(block.x));
    block_barrier = &barrier;
    std::vector<std::thread> threads;
    for (unsigned tx = 0; tx < block.x; ++tx) {
        threads.emplace_back([&, tx] {
            for (unsigned by = 0; by < grid.y; ++by) {
                for (unsigned bx = 0; bx < grid.x; ++bx) {
                    blockIdx = dim3{bx, by, 1};
                    threadIdx = dim3{tx, 0, 1};
                    body();
                    barrier.wait();
                }
            }
        });
    }
    for (auto& t : threads) t.join();
}

template <int SD, int MD>
void step_kernel(const StepArgs& a, bool vec) {
    if (vec) {
        scheduler_step_kernel<SD, MD, true>(a);
    } else {
        scheduler_step_kernel<SD, MD, false>(a);
    }
}

template <int SD>
void step_kernel_model(int32_t md, const StepArgs& a, bool vec) {
    switch (md) {
        case REEL_F32: step_kernel<SD, 0>(a, vec); break;
        case REEL_BF16: step_kernel<SD, 1>(a, vec); break;
        default: step_kernel<SD, 2>(a, vec); break;
    }
}

// What native/src/cuda/scheduler.cu launches, with the step's grid capped at
// max_grid blocks so that the grid-stride loop is exercised.
void emulated_step(const reel_step_params& p, const void* x, const void* cond, const void* uncond, const void* prev,
                   void* out, void* aux, unsigned max_grid) {
    StepArgs a = make_step_args(p, x, cond, uncond, prev, out, aux);
    std::vector<double> partials;
    std::vector<float> factors;
    if (p.rescale_phi > 0.0 && uncond != nullptr) {
        const int blocks = rescale_blocks(a.per_sample);
        partials.assign(static_cast<size_t>(p.batch * blocks * 4), NAN);
        factors.assign(static_cast<size_t>(p.batch), NAN);
        const dim3 grid{static_cast<unsigned>(blocks), static_cast<unsigned>(std::min<int64_t>(p.batch, 65535)), 1};
        const float g = a.k.g;
        launch_threads(grid, dim3{kRescaleThreads, 1, 1}, [&] {
            switch (p.model_dtype) {
                case REEL_F32: rescale_partials_kernel<0>(cond, uncond, g, p.batch, a.per_sample, partials.data()); break;
                case REEL_BF16: rescale_partials_kernel<1>(cond, uncond, g, p.batch, a.per_sample, partials.data()); break;
                default: rescale_partials_kernel<2>(cond, uncond, g, p.batch, a.per_sample, partials.data()); break;
            }
        });
        launch_sequential(dim3{static_cast<unsigned>((p.batch + 255) / 256), 1, 1}, dim3{256, 1, 1}, [&] {
            rescale_factor_kernel(partials.data(), blocks, p.batch, a.per_sample, p.rescale_phi, factors.data());
        });
        a.factors = factors.data();
    }
    const bool vec = step_vectorizable(p, a);
    const uint64_t groups = step_groups(p);
    const unsigned grid = static_cast<unsigned>(std::min<uint64_t>((groups + kStepThreads - 1) / kStepThreads, max_grid));
    launch_sequential(dim3{grid, 1, 1}, dim3{kStepThreads, 1, 1}, [&] {
        switch (p.state_dtype) {
            case REEL_F32: step_kernel_model<0>(p.model_dtype, a, vec); break;
            case REEL_BF16: step_kernel_model<1>(p.model_dtype, a, vec); break;
            default: step_kernel_model<2>(p.model_dtype, a, vec); break;
        }
    });
}

int64_t esize(int32_t dtype) { return dtype == REEL_F32 ? 4 : 2; }

// 64-byte aligned host memory holding `n` elements of `dtype` from `shift` elements in.
struct Buffer {
    std::vector<uint8_t> bytes;
    int64_t offset;
    Buffer(int64_t n, int32_t dtype, int64_t shift) : bytes(static_cast<size_t>((n + shift) * esize(dtype) + 128)) {
        const auto base = reinterpret_cast<uintptr_t>(bytes.data());
        offset = static_cast<int64_t>((64 - base % 64) % 64) + shift * esize(dtype);
    }
    void* ptr() { return bytes.data() + offset; }
};

void fill(std::mt19937& rng, Buffer& b, int64_t n, int32_t dtype) {
    std::uniform_real_distribution<float> d(-4.0f, 4.0f);
    std::vector<float> f(static_cast<size_t>(n));
    for (auto& v : f) v = d(rng);
    reel_convert(REEL_DEVICE_CPU, nullptr, b.ptr(), dtype, f.data(), REEL_F32, n);
}

bool same(const void* a, const void* b, int64_t bytes) { return std::memcmp(a, b, static_cast<size_t>(bytes)) == 0; }

float value(const void* t, int32_t dtype, int64_t k) {
    float f;
    reel_convert(REEL_DEVICE_CPU, nullptr, &f, REEL_F32, static_cast<const uint8_t*>(t) + k * esize(dtype), dtype, 1);
    return f;
}

struct Case {
    reel_step_params p;
    bool uncond, prev, aux, in_place;
    int64_t misalign;
    unsigned max_grid;
};

void run(std::mt19937& rng, const Case& c) {
    const reel_step_params& p = c.p;
    const int64_t n = p.count, sb = esize(p.state_dtype);
    Buffer x(n, p.state_dtype, c.misalign), cond(n, p.model_dtype, c.misalign), uncond(n, p.model_dtype, c.misalign),
        prev(n, p.state_dtype, c.misalign);
    fill(rng, x, n, p.state_dtype);
    fill(rng, cond, n, p.model_dtype);
    fill(rng, uncond, n, p.model_dtype);
    fill(rng, prev, n, p.state_dtype);
    Buffer x2 = x, prev2 = prev;  // the emulated kernel's own copies (in place overwrites them)
    x2.offset = x.offset;
    prev2.offset = prev.offset;
    Buffer out(n, p.state_dtype, c.misalign), aux(n, p.state_dtype, c.misalign);
    Buffer out2(n, p.state_dtype, c.misalign), aux2(n, p.state_dtype, c.misalign);
    CHECK(reel_scheduler_step(REEL_DEVICE_CPU, nullptr, &p, x.ptr(), cond.ptr(), c.uncond ? uncond.ptr() : nullptr,
                              c.prev ? prev.ptr() : nullptr, c.in_place ? x.ptr() : out.ptr(),
                              c.aux ? (c.in_place ? prev.ptr() : aux.ptr()) : nullptr) == REEL_OK);
    emulated_step(p, x2.ptr(), cond.ptr(), c.uncond ? uncond.ptr() : nullptr, c.prev ? prev2.ptr() : nullptr,
                  c.in_place ? x2.ptr() : out2.ptr(), c.aux ? (c.in_place ? prev2.ptr() : aux2.ptr()) : nullptr, c.max_grid);
    void* want_out = c.in_place ? x.ptr() : out.ptr();
    void* got_out = c.in_place ? x2.ptr() : out2.ptr();
    void* want_aux = c.in_place ? prev.ptr() : aux.ptr();
    void* got_aux = c.in_place ? prev2.ptr() : aux2.ptr();
    if (p.rescale_phi == 0.0) {
        const bool ok = same(want_out, got_out, n * sb) && (!c.aux || same(want_aux, got_aux, n * sb));
        if (!ok) std::printf("  mismatch: n=%lld sd=%d md=%d offset=%llu misalign=%lld in_place=%d\n",
                             static_cast<long long>(n), p.state_dtype, p.model_dtype,
                             static_cast<unsigned long long>(p.noise_offset), static_cast<long long>(c.misalign), c.in_place);
        CHECK(ok);
        return;
    }
    int64_t bad = 0;
    for (int64_t k = 0; k < n; ++k) {
        const float a = value(got_out, p.state_dtype, k), b = value(want_out, p.state_dtype, k);
        const float tol = 4.0f * 1.2e-7f * 64.0f + (p.state_dtype == REEL_F32 ? 0.0f : std::fabs(b) * 0.008f);
        if (!(std::fabs(a - b) <= tol)) ++bad;
    }
    CHECK(bad == 0);
}

}  // namespace

int main() {
    std::mt19937 rng(11);
    const int64_t sizes[] = {1, 7, 1024, 4099, 65541};
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
                    c.aux = variant % 3 == 0 || variant == 5;
                    c.in_place = variant == 5;
                    c.misalign = variant == 4 ? 1 : 0;
                    c.max_grid = variant % 2 ? 3 : 1u << 20;
                    run(rng, c);
                    ++cases;
                }
            }
            if (sd != md) continue;  // an emulated barrier wakes 256 host threads: keep these few
            Case c{};  // guidance rescale over a batch of samples, two statistics blocks each
            c.p.count = 3 * 2049;
            c.p.batch = 3;
            c.p.state_dtype = sd;
            c.p.model_dtype = md;
            c.p.guidance_scale = 7.0;
            c.p.rescale_phi = 0.7;
            c.p.c_x = 1.0;
            c.p.c_m = 0.25;
            c.uncond = true;
            c.max_grid = 5;
            run(rng, c);
            ++cases;
        }
    }
    std::printf("%d cases\n", cases);
    return reel_test::finish();
}
