// CPU twins of kernels/elementwise/elementwise.cuh. This file is compiled with
// -ffp-contract=off (see CMakeLists.txt): the noise is defined by separately
// rounded double operations, which is what makes it bit-identical to CUDA.
#include <cstring>

#include "../../../kernels/common/dtype.h"
#include "../../../kernels/common/philox.h"
#include "../parallel.h"
#include "cpu_backend.h"

namespace reel {
namespace cpu {
namespace {

inline void store(void* out, int32_t dtype, int64_t k, float v) {
    switch (dtype) {
        case REEL_F32: static_cast<float*>(out)[k] = v; break;
        case REEL_BF16: static_cast<uint16_t*>(out)[k] = f32_to_bf16(v); break;
        default: static_cast<uint16_t*>(out)[k] = f32_to_f16(v); break;
    }
}

inline float load(const void* in, int32_t dtype, int64_t k) {
    switch (dtype) {
        case REEL_F32: return static_cast<const float*>(in)[k];
        case REEL_BF16: return bf16_to_f32(static_cast<const uint16_t*>(in)[k]);
        default: return f16_to_f32(static_cast<const uint16_t*>(in)[k]);
    }
}

}  // namespace

reel_status noise_normal(void* out, int32_t dtype, int64_t count, uint64_t seed, uint64_t stream_id,
                         uint64_t offset) {
    const uint64_t last = offset + static_cast<uint64_t>(count - 1);  // cannot overflow: checked by the caller
    const uint64_t first_group = offset >> 2;
    const int64_t groups = static_cast<int64_t>((last >> 2) - first_group + 1);
    parallel_for(groups, 4096, [&](int64_t begin, int64_t stop) {
        for (int64_t t = begin; t < stop; ++t) {
            const uint64_t g = first_group + static_cast<uint64_t>(t);
            float v[4];
            philox_normal4(seed, stream_id, g, v);
            for (int j = 0; j < 4; ++j) {
                const uint64_t i = 4 * g + j;
                if (i >= offset && i <= last) store(out, dtype, static_cast<int64_t>(i - offset), v[j]);
            }
        }
    });
    return REEL_OK;
}

reel_status convert(void* dst, int32_t dst_dtype, const void* src, int32_t src_dtype, int64_t count) {
    if (dst_dtype == src_dtype) {
        const int64_t size = dst_dtype == REEL_F32 ? 4 : 2;
        std::memmove(dst, src, static_cast<size_t>(count * size));
        return REEL_OK;
    }
    parallel_for(count, 1 << 16, [&](int64_t begin, int64_t stop) {
        for (int64_t k = begin; k < stop; ++k) store(dst, dst_dtype, k, load(src, src_dtype, k));
    });
    return REEL_OK;
}

}  // namespace cpu
}  // namespace reel
