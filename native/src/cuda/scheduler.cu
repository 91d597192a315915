// The CUDA launcher of reel_scheduler_step: dtype and alignment dispatch, the
// rescale statistics pass, and the checking of every CUDA call. The kernels are
// in kernels/scheduler/scheduler.cuh.
#include <cstdint>

#include "../../../kernels/scheduler/scheduler.cuh"
#include "cuda_backend.h"
#include "cuda_check.h"

namespace reel {
namespace cuda {
namespace {

constexpr int kThreads = kStepThreads;

unsigned grid_for(uint64_t items) {
    const uint64_t blocks = (items + kThreads - 1) / kThreads;
    return static_cast<unsigned>(blocks < 65535ull * 16 ? blocks : 65535ull * 16);
}

template <int SD, int MD>
void launch_step(unsigned grid, cudaStream_t st, const StepArgs& a, bool vec) {
    if (vec) {
        scheduler_step_kernel<SD, MD, true><<<grid, kThreads, 0, st>>>(a);
    } else {
        scheduler_step_kernel<SD, MD, false><<<grid, kThreads, 0, st>>>(a);
    }
}

template <int SD>
void launch_step_model(int32_t model_dtype, unsigned grid, cudaStream_t st, const StepArgs& a, bool vec) {
    switch (model_dtype) {
        case REEL_F32: launch_step<SD, 0>(grid, st, a, vec); break;
        case REEL_BF16: launch_step<SD, 1>(grid, st, a, vec); break;
        default: launch_step<SD, 2>(grid, st, a, vec); break;
    }
}

// Fills factors[0 .. batch) on the stream; partials is batch * blocks * 4 doubles.
reel_status launch_rescale(cudaStream_t st, const reel_step_params& p, const void* cond, const void* uncond,
                           int blocks, double* partials, float* factors) {
    const int64_t per = p.count / p.batch;
    const dim3 grid(static_cast<unsigned>(blocks), static_cast<unsigned>(p.batch < 65535 ? p.batch : 65535));
    const float g = static_cast<float>(p.guidance_scale);
    switch (p.model_dtype) {
        case REEL_F32: rescale_partials_kernel<0><<<grid, kRescaleThreads, 0, st>>>(cond, uncond, g, p.batch, per, partials); break;
        case REEL_BF16: rescale_partials_kernel<1><<<grid, kRescaleThreads, 0, st>>>(cond, uncond, g, p.batch, per, partials); break;
        default: rescale_partials_kernel<2><<<grid, kRescaleThreads, 0, st>>>(cond, uncond, g, p.batch, per, partials); break;
    }
    if (reel_status s = check_launch("rescale_partials_kernel")) return s;
    rescale_factor_kernel<<<grid_for(static_cast<uint64_t>(p.batch)), kThreads, 0, st>>>(partials, blocks, p.batch, per,
                                                                                      p.rescale_phi, factors);
    return check_launch("rescale_factor_kernel");
}

}  // namespace

reel_status scheduler_step(int32_t device, void* stream, const reel_step_params& p, const void* x, const void* cond,
                           const void* uncond, const void* prev, void* out, void* aux) {
    if (reel_status s = check_device(device, "reel_scheduler_step")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    auto st = static_cast<cudaStream_t>(stream);

    StepArgs a = make_step_args(p, x, cond, uncond, prev, out, aux);

    // A few kilobytes of stream-ordered workspace for the rescale statistics.
    void* workspace = nullptr;
    if (p.rescale_phi > 0.0 && uncond != nullptr) {
        const int blocks = rescale_blocks(a.per_sample);
        const size_t partial_bytes = static_cast<size_t>(p.batch) * blocks * 4 * sizeof(double);
        REEL_CUDA_TRY(cudaMallocAsync(&workspace, partial_bytes + static_cast<size_t>(p.batch) * sizeof(float), st));
        auto* partials = static_cast<double*>(workspace);
        auto* factors = reinterpret_cast<float*>(static_cast<char*>(workspace) + partial_bytes);
        if (reel_status s = launch_rescale(st, p, cond, uncond, blocks, partials, factors)) {
            cudaFreeAsync(workspace, st);
            return s;
        }
        a.factors = factors;
    }

    const bool vec = step_vectorizable(p, a);
    const uint64_t groups = step_groups(p);
    const unsigned grid = grid_for(groups);
    switch (p.state_dtype) {
        case REEL_F32: launch_step_model<0>(p.model_dtype, grid, st, a, vec); break;
        case REEL_BF16: launch_step_model<1>(p.model_dtype, grid, st, a, vec); break;
        default: launch_step_model<2>(p.model_dtype, grid, st, a, vec); break;
    }
    reel_status s = check_launch("scheduler_step_kernel");
    if (workspace != nullptr) {
        const cudaError_t err = cudaFreeAsync(workspace, st);
        if (s == REEL_OK && err != cudaSuccess) REEL_CUDA_TRY(err);
    }
    return s;
}

}  // namespace cuda
}  // namespace reel
