// The C entry points of reel.h: validation (defence in depth behind the Java
// checks), then dispatch to the CPU or the CUDA backend.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cpu/cpu_backend.h"
#include "cuda/cuda_backend.h"
#include "error.h"
#include "parallel.h"

using namespace reel;

namespace {

bool valid_dtype(int32_t dtype) { return dtype == REEL_F32 || dtype == REEL_BF16 || dtype == REEL_F16; }

int64_t dtype_size(int32_t dtype) { return dtype == REEL_F32 ? 4 : 2; }

reel_status check_target(int32_t device, const char* call) {
    if (device < REEL_DEVICE_CPU) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: device %d is neither the CPU (-1) nor a CUDA ordinal", call, device);
    }
    return REEL_OK;
}

bool overlaps(const void* a, int64_t a_bytes, const void* b, int64_t b_bytes) {
    const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
    return pa < pb + static_cast<uintptr_t>(b_bytes) && pb < pa + static_cast<uintptr_t>(a_bytes);
}

struct Buffer {
    const char* name;
    const void* ptr;
    int64_t element_size;
};

// An output may alias an input exactly (same address and element size: each
// element is read before it is written) or be disjoint from it.
reel_status check_aliasing(const char* call, const Buffer& output, const Buffer& input, int64_t count) {
    if (output.ptr == nullptr || input.ptr == nullptr) return REEL_OK;
    if (output.ptr == input.ptr && output.element_size == input.element_size) return REEL_OK;
    if (overlaps(output.ptr, count * output.element_size, input.ptr, count * input.element_size)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s and %s overlap partially", call, output.name, input.name);
    }
    return REEL_OK;
}

}  // namespace

extern "C" {

int32_t reel_version(void) {
    return REEL_VERSION_MAJOR * 10000 + REEL_VERSION_MINOR * 100 + REEL_VERSION_PATCH;
}

const char* reel_version_string(void) { return "0.1.0"; }

uint32_t reel_build_features(void) {
    uint32_t f = REEL_FEATURE_CPU_AVX2 | REEL_FEATURE_CPU_AVX512;
    if (cuda::built()) f |= REEL_FEATURE_CUDA;
    return f;
}

reel_status reel_cpu_query(reel_cpu_info* out) {
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_cpu_query: out is NULL");
    return guarded("reel_cpu_query", [&] {
        const auto& f = cpu::features();
        out->logical_cores = static_cast<int32_t>(std::thread::hardware_concurrency());
        out->threads = cpu_threads();
        out->avx2 = f.avx2;
        out->avx512f = f.avx512f;
        out->avx512_bf16 = f.avx512_bf16;
        return REEL_OK;
    });
}

reel_status reel_cpu_set_threads(int32_t threads) {
    if (threads < 0 || threads > 4096) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "reel_cpu_set_threads: threads must be in [0, 4096], got %d", threads);
    }
    return guarded("reel_cpu_set_threads", [&] {
        set_cpu_threads(threads);
        return REEL_OK;
    });
}

reel_status reel_cuda_device_count(int32_t* count) {
    if (count == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_cuda_device_count: count is NULL");
    return guarded("reel_cuda_device_count", [&] { return cuda::device_count(count); });
}

reel_status reel_cuda_device_query(int32_t ordinal, reel_device_info* out) {
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_cuda_device_query: out is NULL");
    if (ordinal < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_cuda_device_query: ordinal %d < 0", ordinal);
    return guarded("reel_cuda_device_query", [&] { return cuda::device_query(ordinal, out); });
}

reel_status reel_malloc(int32_t device, int64_t bytes, void** out) {
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_malloc: out is NULL");
    *out = nullptr;
    if (reel_status s = check_target(device, "reel_malloc")) return s;
    if (bytes <= 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_malloc: bytes must be > 0, got %lld", static_cast<long long>(bytes));
    return guarded("reel_malloc", [&] {
        if (device >= 0) return cuda::malloc_device(device, bytes, out);
        const int64_t rounded = (bytes + 63) / 64 * 64;
        *out = std::aligned_alloc(64, static_cast<size_t>(rounded));
        if (*out == nullptr) {
            return fail(REEL_ERR_OUT_OF_MEMORY, "reel_malloc: %lld bytes of host memory not available",
                        static_cast<long long>(bytes));
        }
        return REEL_OK;
    });
}

reel_status reel_free(int32_t device, void* ptr) {
    if (reel_status s = check_target(device, "reel_free")) return s;
    if (ptr == nullptr) return REEL_OK;
    return guarded("reel_free", [&] {
        if (device >= 0) return cuda::free_device(device, ptr);
        std::free(ptr);
        return REEL_OK;
    });
}

reel_status reel_memcpy(void* dst, const void* src, int64_t bytes, int32_t kind, int32_t device, void* stream) {
    if (bytes < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_memcpy: bytes < 0 (%lld)", static_cast<long long>(bytes));
    if (bytes == 0) return REEL_OK;
    if (dst == nullptr || src == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_memcpy: %s is NULL", dst ? "src" : "dst");
    if (kind < REEL_COPY_HOST_TO_HOST || kind > REEL_COPY_DEVICE_TO_DEVICE) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "reel_memcpy: unknown copy kind %d", kind);
    }
    if (reel_status s = check_target(device, "reel_memcpy")) return s;
    return guarded("reel_memcpy", [&] {
        if (kind == REEL_COPY_HOST_TO_HOST) {
            std::memmove(dst, src, static_cast<size_t>(bytes));
            return REEL_OK;
        }
        if (device < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_memcpy: a copy to or from device memory needs a CUDA device ordinal");
        return cuda::memcpy_any(dst, src, bytes, kind, device, stream);
    });
}

reel_status reel_memset(int32_t device, void* ptr, int32_t value, int64_t bytes, void* stream) {
    if (bytes < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_memset: bytes < 0 (%lld)", static_cast<long long>(bytes));
    if (bytes == 0) return REEL_OK;
    if (ptr == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_memset: ptr is NULL");
    if (reel_status s = check_target(device, "reel_memset")) return s;
    return guarded("reel_memset", [&] {
        if (device >= 0) return cuda::memset_device(device, ptr, value, bytes, stream);
        std::memset(ptr, value, static_cast<size_t>(bytes));
        return REEL_OK;
    });
}

reel_status reel_synchronize(int32_t device, void* stream) {
    if (reel_status s = check_target(device, "reel_synchronize")) return s;
    if (device < 0) return REEL_OK;  // CPU calls complete before returning
    return guarded("reel_synchronize", [&] { return cuda::synchronize(device, stream); });
}

reel_status reel_noise_normal(int32_t device, void* stream, void* out, int32_t dtype, int64_t count,
                              uint64_t seed, uint64_t stream_id, uint64_t offset) {
    if (reel_status s = check_target(device, "reel_noise_normal")) return s;
    if (!valid_dtype(dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_noise_normal: unknown dtype %d", dtype);
    if (count < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_noise_normal: count < 0 (%lld)", static_cast<long long>(count));
    if (count == 0) return REEL_OK;
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_noise_normal: out is NULL");
    if (offset > UINT64_MAX - static_cast<uint64_t>(count - 1)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "reel_noise_normal: offset + count - 1 overflows 64 bits");
    }
    return guarded("reel_noise_normal", [&] {
        if (device >= 0) return cuda::noise_normal(device, stream, out, dtype, count, seed, stream_id, offset);
        return cpu::noise_normal(out, dtype, count, seed, stream_id, offset);
    });
}

reel_status reel_convert(int32_t device, void* stream, void* dst, int32_t dst_dtype, const void* src,
                         int32_t src_dtype, int64_t count) {
    if (reel_status s = check_target(device, "reel_convert")) return s;
    if (!valid_dtype(dst_dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_convert: unknown dst dtype %d", dst_dtype);
    if (!valid_dtype(src_dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_convert: unknown src dtype %d", src_dtype);
    if (count < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_convert: count < 0 (%lld)", static_cast<long long>(count));
    if (count == 0) return REEL_OK;
    if (dst == nullptr || src == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "reel_convert: %s is NULL", dst ? "src" : "dst");
    if (dst != src && overlaps(dst, count * dtype_size(dst_dtype), src, count * dtype_size(src_dtype))) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "reel_convert: dst and src overlap partially");
    }
    if (dst == src && dtype_size(dst_dtype) != dtype_size(src_dtype)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "reel_convert: in-place conversion needs equal element sizes");
    }
    return guarded("reel_convert", [&] {
        if (device >= 0) return cuda::convert(device, stream, dst, dst_dtype, src, src_dtype, count);
        return cpu::convert(dst, dst_dtype, src, src_dtype, count);
    });
}

reel_status reel_scheduler_step(int32_t device, void* stream, const reel_step_params* p, const void* x,
                                const void* cond, const void* uncond, const void* prev, void* out, void* aux) {
    const char* call = "reel_scheduler_step";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (!valid_dtype(p->state_dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown state dtype %d", call, p->state_dtype);
    if (!valid_dtype(p->model_dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown model dtype %d", call, p->model_dtype);
    if (p->count < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: count < 0 (%lld)", call, static_cast<long long>(p->count));
    if (p->batch < 1) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: batch must be >= 1, got %lld", call, static_cast<long long>(p->batch));
    if (p->count % p->batch != 0) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: count %lld is not a multiple of batch %lld", call,
                    static_cast<long long>(p->count), static_cast<long long>(p->batch));
    }
    const struct {
        const char* name;
        double value;
    } coefficients[] = {{"guidance_scale", p->guidance_scale}, {"c_x", p->c_x}, {"c_m", p->c_m}, {"c_p", p->c_p},
                        {"c_z", p->c_z}, {"a_x", p->a_x}, {"a_m", p->a_m}};
    for (const auto& c : coefficients) {
        // Also as floats: the kernel rounds each coefficient once to fp32.
        if (!std::isfinite(c.value) || !std::isfinite(static_cast<float>(c.value))) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s is not a finite fp32 value (%g)", call, c.name, c.value);
        }
    }
    if (!(p->rescale_phi >= 0.0 && p->rescale_phi <= 1.0)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rescale_phi must be in [0, 1], got %g", call, p->rescale_phi);
    }
    if (p->count == 0) return REEL_OK;
    if (x == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: x is NULL", call);
    if (cond == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: cond is NULL", call);
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out is NULL", call);
    if (p->c_p != 0.0 && prev == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: c_p is %g but prev is NULL", call, p->c_p);
    if (p->c_z != 0.0 && p->noise_offset > UINT64_MAX - static_cast<uint64_t>(p->count - 1)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: noise_offset + count - 1 overflows 64 bits", call);
    }
    const int64_t ss = dtype_size(p->state_dtype), ms = dtype_size(p->model_dtype);
    const Buffer outputs[] = {{"out", out, ss}, {"aux", aux, ss}};
    const Buffer inputs[] = {{"x", x, ss}, {"cond", cond, ms}, {"uncond", uncond, ms}, {"prev", prev, ss}};
    for (const Buffer& o : outputs) {
        for (const Buffer& i : inputs) {
            if (reel_status s = check_aliasing(call, o, i, p->count)) return s;
        }
    }
    if (aux != nullptr && overlaps(out, p->count * ss, aux, p->count * ss)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and aux overlap", call);
    }
    return guarded(call, [&] {
        if (device >= 0) return cuda::scheduler_step(device, stream, *p, x, cond, uncond, prev, out, aux);
        return cpu::scheduler_step(*p, x, cond, uncond, prev, out, aux);
    });
}

}  // extern "C"
