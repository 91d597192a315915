// The CUDA backend of libreel's device, memory and elementwise entry points.
#include <cstdio>
#include <cstring>

#include "../../../kernels/elementwise/elementwise.cuh"
#include "cuda_backend.h"
#include "cuda_check.h"

namespace reel {
namespace cuda {

bool built() { return true; }

reel_status device_count(int32_t* count) {
    *count = 0;
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error state of this thread
        return fail(REEL_ERR_NO_DEVICE, "no CUDA device: cudaGetDeviceCount: %s (%s, error %d)",
                    cudaGetErrorString(err), cudaGetErrorName(err), static_cast<int>(err));
    }
    if (n == 0) return fail(REEL_ERR_NO_DEVICE, "no CUDA device: the driver reports 0 devices");
    *count = n;
    return REEL_OK;
}

reel_status check_device(int32_t device, const char* call) {
    int32_t n = 0;
    if (device_count(&n) != REEL_OK) {
        return fail(REEL_ERR_NO_DEVICE, "%s: %s", call, reel_last_error());
    }
    if (device >= n) {
        return fail(REEL_ERR_NO_DEVICE, "%s: CUDA device %d does not exist (%d present)", call, device, n);
    }
    return REEL_OK;
}

reel_status device_query(int32_t ordinal, reel_device_info* out) {
    if (reel_status s = check_device(ordinal, "reel_cuda_device_query")) return s;
    cudaDeviceProp prop;
    REEL_CUDA_TRY(cudaGetDeviceProperties(&prop, ordinal));
    std::memset(out, 0, sizeof *out);
    std::snprintf(out->name, sizeof out->name, "%s", prop.name);
    out->ordinal = ordinal;
    out->cc_major = prop.major;
    out->cc_minor = prop.minor;
    out->multiprocessors = prop.multiProcessorCount;
    DeviceScope scope(ordinal);
    if (reel_status s = scope.enter()) return s;
    size_t free_bytes = 0, total_bytes = 0;
    REEL_CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes));
    out->total_memory = static_cast<int64_t>(total_bytes);
    out->free_memory = static_cast<int64_t>(free_bytes);
    return REEL_OK;
}

reel_status malloc_device(int32_t device, int64_t bytes, void** out) {
    if (reel_status s = check_device(device, "reel_malloc")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    const cudaError_t err = cudaMalloc(out, static_cast<size_t>(bytes));
    if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        return fail(REEL_ERR_OUT_OF_MEMORY, "reel_malloc: cudaMalloc of %lld bytes on device %d: out of device memory",
                    static_cast<long long>(bytes), device);
    }
    REEL_CUDA_TRY(err);
    return REEL_OK;
}

reel_status free_device(int32_t device, void* ptr) {
    if (reel_status s = check_device(device, "reel_free")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    REEL_CUDA_TRY(cudaFree(ptr));
    return REEL_OK;
}

reel_status memcpy_any(void* dst, const void* src, int64_t bytes, int32_t kind, int32_t device,
                       void* stream) {
    if (reel_status s = check_device(device, "reel_memcpy")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    static const cudaMemcpyKind kinds[] = {cudaMemcpyHostToHost, cudaMemcpyHostToDevice,
                                           cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice};
    auto st = static_cast<cudaStream_t>(stream);
    REEL_CUDA_TRY(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), kinds[kind], st));
    // Host memory handed in may be released as soon as this returns (Java arrays),
    // so copies that touch the host complete before returning.
    if (kind != REEL_COPY_DEVICE_TO_DEVICE) REEL_CUDA_TRY(cudaStreamSynchronize(st));
    return REEL_OK;
}

reel_status memset_device(int32_t device, void* ptr, int32_t value, int64_t bytes, void* stream) {
    if (reel_status s = check_device(device, "reel_memset")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    REEL_CUDA_TRY(cudaMemsetAsync(ptr, value, static_cast<size_t>(bytes), static_cast<cudaStream_t>(stream)));
    return REEL_OK;
}

reel_status synchronize(int32_t device, void* stream) {
    if (reel_status s = check_device(device, "reel_synchronize")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    REEL_CUDA_TRY(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
    return REEL_OK;
}

namespace {
constexpr int kThreads = 256;

unsigned grid_for(uint64_t items) {
    const uint64_t blocks = (items + kThreads - 1) / kThreads;
    return static_cast<unsigned>(blocks < 65535ull * 16 ? blocks : 65535ull * 16);
}
}  // namespace

reel_status noise_normal(int32_t device, void* stream, void* out, int32_t dtype, int64_t count,
                         uint64_t seed, uint64_t stream_id, uint64_t offset) {
    if (reel_status s = check_device(device, "reel_noise_normal")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    const uint64_t groups = ((offset + static_cast<uint64_t>(count - 1)) >> 2) - (offset >> 2) + 1;
    auto st = static_cast<cudaStream_t>(stream);
    const unsigned grid = grid_for(groups);
    switch (dtype) {
        case REEL_F32: noise_normal_kernel<0><<<grid, kThreads, 0, st>>>(out, count, seed, stream_id, offset); break;
        case REEL_BF16: noise_normal_kernel<1><<<grid, kThreads, 0, st>>>(out, count, seed, stream_id, offset); break;
        default: noise_normal_kernel<2><<<grid, kThreads, 0, st>>>(out, count, seed, stream_id, offset); break;
    }
    return check_launch("noise_normal_kernel");
}

namespace {
template <int SRC>
void launch_convert(unsigned grid, cudaStream_t st, void* dst, int32_t dst_dtype, const void* src, int64_t count) {
    switch (dst_dtype) {
        case REEL_F32: convert_kernel<SRC, 0><<<grid, kThreads, 0, st>>>(dst, src, count); break;
        case REEL_BF16: convert_kernel<SRC, 1><<<grid, kThreads, 0, st>>>(dst, src, count); break;
        default: convert_kernel<SRC, 2><<<grid, kThreads, 0, st>>>(dst, src, count); break;
    }
}
}  // namespace

reel_status convert(int32_t device, void* stream, void* dst, int32_t dst_dtype, const void* src,
                    int32_t src_dtype, int64_t count) {
    if (reel_status s = check_device(device, "reel_convert")) return s;
    DeviceScope scope(device);
    if (reel_status s = scope.enter()) return s;
    auto st = static_cast<cudaStream_t>(stream);
    const unsigned grid = grid_for(static_cast<uint64_t>(count));
    switch (src_dtype) {
        case REEL_F32: launch_convert<0>(grid, st, dst, dst_dtype, src, count); break;
        case REEL_BF16: launch_convert<1>(grid, st, dst, dst_dtype, src, count); break;
        default: launch_convert<2>(grid, st, dst, dst_dtype, src, count); break;
    }
    return check_launch("convert_kernel");
}

}  // namespace cuda
}  // namespace reel
