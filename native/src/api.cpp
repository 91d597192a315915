// The C entry points of reel.h: validation (defence in depth behind the Java
// checks), then dispatch to the CPU or the CUDA backend.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

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

// Bytes from a strided [B, tokens, heads, d] tensor's first element to one past
// its last; 0 when it does not fit 63 bits.
int64_t strided_extent(int64_t batch, int64_t tokens, int64_t heads, int64_t d, int64_t sb, int64_t sn,
                       int64_t sh, int64_t elem) {
    __int128 last = static_cast<__int128>(batch - 1) * sb + static_cast<__int128>(tokens - 1) * sn +
                    static_cast<__int128>(heads - 1) * sh + d;
    last *= elem;
    return last > INT64_MAX ? 0 : static_cast<int64_t>(last);
}

// Whether the strides give every output element its own address: sorted by
// stride, each axis must step over everything the smaller axes span.
bool distinct_elements(int64_t batch, int64_t tokens, int64_t heads, int64_t d, int64_t sb, int64_t sn, int64_t sh) {
    struct Axis {
        int64_t stride, size;
    } axes[3] = {{sb, batch}, {sn, tokens}, {sh, heads}};
    for (int i = 0; i < 3; ++i)
        for (int j = i + 1; j < 3; ++j)
            if (axes[j].stride < axes[i].stride) std::swap(axes[i], axes[j]);
    __int128 span = d;  // the contiguous head_dim axis
    for (const Axis& a : axes) {
        if (a.size == 1) continue;
        if (a.stride < span) return false;
        span = static_cast<__int128>(a.stride) * (a.size - 1) + span;
    }
    return true;
}

reel_status check_attention(int32_t device, const reel_attention_params* p, const void* q, const void* k,
                            const void* v, const void* o, const float* lse) {
    const char* call = "reel_attention_forward";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (p->mode < REEL_ATTENTION_FULL || p->mode > REEL_ATTENTION_CROSS) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown mode %d", call, p->mode);
    }
    if (!valid_dtype(p->dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown dtype %d", call, p->dtype);
    const struct {
        const char* name;
        int64_t value;
    } sizes[] = {{"batch", p->batch}, {"frames", p->frames}, {"height", p->height}, {"width", p->width},
                 {"heads", p->heads}, {"head_dim", p->head_dim}};
    for (const auto& s : sizes) {
        if (s.value < 1 || s.value > (int64_t{1} << 31)) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s must be in [1, 2^31], got %lld", call, s.name,
                        static_cast<long long>(s.value));
        }
    }
    const __int128 n128 = static_cast<__int128>(p->frames) * p->height * p->width;
    if (n128 > (int64_t{1} << 40)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: frames*height*width exceeds 2^40", call);
    const int64_t n = static_cast<int64_t>(n128);
    const bool cross = p->mode == REEL_ATTENTION_CROSS;
    if (cross && (p->context_len < 1 || p->context_len > (int64_t{1} << 40))) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: CROSS needs context_len in [1, 2^40], got %lld", call,
                    static_cast<long long>(p->context_len));
    }
    const int64_t m = cross ? p->context_len : n;
    const int64_t strides[] = {p->q_stride_b, p->q_stride_n, p->q_stride_h, p->k_stride_b, p->k_stride_n, p->k_stride_h,
                               p->v_stride_b, p->v_stride_n, p->v_stride_h, p->o_stride_b, p->o_stride_n, p->o_stride_h};
    for (int64_t st : strides) {
        if (st < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: strides must be >= 0, got %lld", call, static_cast<long long>(st));
    }
    if (q == nullptr || k == nullptr || v == nullptr || o == nullptr) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s is NULL", call, q == nullptr ? "q" : k == nullptr ? "k" : v == nullptr ? "v" : "o");
    }
    if (!distinct_elements(p->batch, n, p->heads, p->head_dim, p->o_stride_b, p->o_stride_n, p->o_stride_h)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the output strides map two elements to one address", call);
    }
    const int64_t elem = dtype_size(p->dtype);
    const int64_t o_bytes = strided_extent(p->batch, n, p->heads, p->head_dim, p->o_stride_b, p->o_stride_n, p->o_stride_h, elem);
    const struct {
        const char* name;
        const void* ptr;
        int64_t bytes;
    } inputs[] = {
        {"q", q, strided_extent(p->batch, n, p->heads, p->head_dim, p->q_stride_b, p->q_stride_n, p->q_stride_h, elem)},
        {"k", k, strided_extent(p->batch, m, p->heads, p->head_dim, p->k_stride_b, p->k_stride_n, p->k_stride_h, elem)},
        {"v", v, strided_extent(p->batch, m, p->heads, p->head_dim, p->v_stride_b, p->v_stride_n, p->v_stride_h, elem)},
    };
    if (o_bytes == 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the extent of o exceeds 2^63 bytes", call);
    for (const auto& in : inputs) {
        if (in.bytes == 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the extent of %s exceeds 2^63 bytes", call, in.name);
        if (overlaps(o, o_bytes, in.ptr, in.bytes)) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the output o overlaps the input %s", call, in.name);
        }
    }
    if (lse != nullptr) {
        const int64_t lse_bytes = p->batch * p->heads * n * 4;
        if (overlaps(lse, lse_bytes, o, o_bytes)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: lse overlaps the output o", call);
        for (const auto& in : inputs) {
            if (overlaps(lse, lse_bytes, in.ptr, in.bytes)) {
                return fail(REEL_ERR_INVALID_ARGUMENT, "%s: lse overlaps the input %s", call, in.name);
            }
        }
    }
    if (p->mode == REEL_ATTENTION_WINDOW) {
        const struct {
            char axis;
            int64_t dim, tile, window;
        } axes[] = {{'t', p->frames, p->tile_t, p->window_t}, {'h', p->height, p->tile_h, p->window_h},
                    {'w', p->width, p->tile_w, p->window_w}};
        for (const auto& a : axes) {
            if (a.tile < 1 || a.tile > a.dim) {
                return fail(REEL_ERR_INVALID_ARGUMENT, "%s: tile_%c must be in [1, %lld], got %lld", call, a.axis,
                            static_cast<long long>(a.dim), static_cast<long long>(a.tile));
            }
            const int64_t tiles = (a.dim + a.tile - 1) / a.tile;
            if (a.window < 0 || a.window >= tiles) {
                return fail(REEL_ERR_INVALID_ARGUMENT,
                            "%s: window_%c must be in [0, %lld] (the video has %lld tiles along %c), got %lld", call,
                            a.axis, static_cast<long long>(tiles - 1), static_cast<long long>(tiles), a.axis,
                            static_cast<long long>(a.window));
            }
        }
    }
    if (cross && p->context_lens != nullptr && device < 0) {
        for (int64_t b = 0; b < p->batch; ++b) {
            if (p->context_lens[b] < 0 || p->context_lens[b] > m) {
                return fail(REEL_ERR_INVALID_ARGUMENT, "%s: context_lens[%lld] = %lld is outside [0, %lld]", call,
                            static_cast<long long>(b), static_cast<long long>(p->context_lens[b]),
                            static_cast<long long>(m));
            }
        }
    }
    if (p->rope != 0 && p->rope != 1) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rope must be 0 or 1, got %d", call, p->rope);
    if (p->rope) {
        if (cross) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rotary embedding does not apply to CROSS (context tokens have no video position)", call);
        if (p->rope_dt < 0 || p->rope_dh < 0 || p->rope_dw < 0 || p->rope_dt % 2 || p->rope_dh % 2 || p->rope_dw % 2 ||
            static_cast<int64_t>(p->rope_dt) + p->rope_dh + p->rope_dw > p->head_dim) {
            return fail(REEL_ERR_INVALID_ARGUMENT,
                        "%s: rope sections (%d, %d, %d) must be even, >= 0 and sum to at most head_dim %lld", call,
                        p->rope_dt, p->rope_dh, p->rope_dw, static_cast<long long>(p->head_dim));
        }
        if (!(p->rope_theta > 1.0f) || !std::isfinite(p->rope_theta)) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rope_theta must be finite and > 1, got %g", call, static_cast<double>(p->rope_theta));
        }
        if (!std::isfinite(p->rope_t0) || !std::isfinite(p->rope_h0) || !std::isfinite(p->rope_w0)) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rope position offsets must be finite", call);
        }
    }
    if (!(p->scale >= 0.0f) || !std::isfinite(p->scale)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: scale must be finite and >= 0 (0: 1/sqrt(head_dim)), got %g", call,
                    static_cast<double>(p->scale));
    }
    return REEL_OK;
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

// ---- model layers: shared checks ----

// A set of rows in memory: `rows` rows of `width` elements, `stride` elements
// apart, of `elem` bytes each.
struct Rows {
    const char* name;
    const void* ptr;
    int64_t rows, width, stride;
    const char* stride_name;  // for messages
};

// Bytes from the first element of r to one past its last; 0 when that exceeds
// 2^62 (so that sums of extents cannot overflow either).
int64_t rows_extent(const Rows& r, int64_t elem) {
    if (r.rows == 0) return 0;
    const __int128 bytes = (static_cast<__int128>(r.rows - 1) * r.stride + r.width) * elem;
    return bytes > (int64_t{1} << 62) ? 0 : static_cast<int64_t>(bytes);
}

// Whether two row sets share a byte. Exact when they step alike (equal
// strides, or one row against rows whose stride the row fits in), so that
// interleaved column slices of one buffer are told apart; otherwise whether
// their spans meet.
bool rows_meet(const Rows& a, const Rows& b, int64_t elem) {
    const __int128 pa = static_cast<__int128>(reinterpret_cast<uintptr_t>(a.ptr));
    const __int128 pb = static_cast<__int128>(reinterpret_cast<uintptr_t>(b.ptr));
    const __int128 ea = pa + rows_extent(a, elem), eb = pb + rows_extent(b, elem);
    if (!(pa < eb && pb < ea)) return false;
    if (a.rows == 1 && b.rows == 1) return true;
    const int64_t stride = a.rows == 1 ? b.stride : a.stride;
    if ((a.rows > 1 && a.stride != stride) || (b.rows > 1 && b.stride != stride) || a.width > stride ||
        b.width > stride) {
        return true;
    }
    // Bytes of a: i*S + [0, A), of b: delta + j*S + [0, Bw). With delta = q*S + m
    // (0 <= m < S) they meet iff (m < A and some i - j = q) or (S - m < Bw and
    // some i - j = q + 1), i in [0, a.rows), j in [0, b.rows).
    const __int128 S = static_cast<__int128>(stride) * elem, A = static_cast<__int128>(a.width) * elem,
                   Bw = static_cast<__int128>(b.width) * elem;
    const __int128 delta = pb - pa;
    __int128 q = delta / S, m = delta % S;
    if (m < 0) {
        m += S;
        q -= 1;
    }
    const auto rows_reach = [&](__int128 diff) { return diff <= a.rows - 1 && diff >= -(b.rows - 1); };
    return (m < A && rows_reach(q)) || (S - m < Bw && rows_reach(q + 1));
}

// A row set's pointer and layout: not NULL, stride >= width, extent <= 2^62.
reel_status check_rows(const char* call, const Rows& r, int64_t elem) {
    if (r.ptr == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s is NULL", call, r.name);
    if (r.stride < r.width) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s must be >= %lld, got %lld", call, r.stride_name,
                    static_cast<long long>(r.width), static_cast<long long>(r.stride));
    }
    if (r.rows > 0 && rows_extent(r, elem) == 0) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the extent of %s exceeds 2^62 bytes", call, r.name);
    }
    return REEL_OK;
}

// An output against an input: the same rows (in place, where allowed) or no
// shared element.
reel_status check_output(const char* call, const Rows& out, const Rows& in, bool in_place_ok, int64_t elem) {
    if (in.ptr == nullptr || out.rows == 0 || in.rows == 0) return REEL_OK;
    if (in_place_ok && out.ptr == in.ptr && out.stride == in.stride && out.rows == in.rows && out.width == in.width) {
        return REEL_OK;
    }
    if (rows_meet(out, in, elem)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s and %s overlap%s", call, out.name, in.name,
                    in_place_ok ? " partially (in place needs the same address and stride)" : "");
    }
    return REEL_OK;
}

reel_status check_optional_rows(const char* call, const Rows& r, int64_t elem) {
    return r.ptr == nullptr ? REEL_OK : check_rows(call, r, elem);
}

reel_status check_size(const char* call, const char* name, int64_t value, int64_t min) {
    if (value < min || value > (int64_t{1} << 40)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s must be in [%lld, 2^40], got %lld", call, name,
                    static_cast<long long>(min), static_cast<long long>(value));
    }
    return REEL_OK;
}

// rows_per_group (or bias_rows, positions) >= 1 and dividing rows.
reel_status check_divides(const char* call, const char* name, int64_t value, int64_t rows) {
    if (value < 1 || (rows > 0 && rows % value != 0)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s must be >= 1 and divide rows %lld, got %lld", call, name,
                    static_cast<long long>(rows), static_cast<long long>(value));
    }
    return REEL_OK;
}

reel_status check_eps(const char* call, float eps) {
    if (!(eps >= 0.0f) || !std::isfinite(eps)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: eps must be finite and >= 0, got %g", call, static_cast<double>(eps));
    }
    return REEL_OK;
}

reel_status check_layer_dtype(const char* call, int32_t dtype) {
    if (!valid_dtype(dtype)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown dtype %d", call, dtype);
    return REEL_OK;
}

reel_status check_patch(const char* call, int32_t device, const reel_patch_params* p, const void* src, const void* dst) {
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    const struct {
        const char* name;
        int64_t value;
    } sizes[] = {{"batch", p->batch},   {"channels", p->channels}, {"frames", p->frames},   {"height", p->height},
                 {"width", p->width},   {"patch_t", p->patch_t},   {"patch_h", p->patch_h}, {"patch_w", p->patch_w}};
    for (const auto& sz : sizes) {
        if (reel_status s = check_size(call, sz.name, sz.value, 1)) return s;
    }
    const struct {
        char axis;
        int64_t size, patch;
    } axes[] = {{'t', p->frames, p->patch_t}, {'h', p->height, p->patch_h}, {'w', p->width, p->patch_w}};
    for (const auto& a : axes) {
        if (a.size % a.patch != 0) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: patch_%c %lld does not divide the video's %lld", call, a.axis,
                        static_cast<long long>(a.patch), static_cast<long long>(a.size));
        }
    }
    const __int128 bytes = static_cast<__int128>(p->batch) * p->channels * p->frames * p->height * p->width *
                           dtype_size(p->dtype);
    if (bytes > (int64_t{1} << 62)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the video exceeds 2^62 bytes", call);
    if (src == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: src is NULL", call);
    if (dst == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: dst is NULL", call);
    if (overlaps(src, static_cast<int64_t>(bytes), dst, static_cast<int64_t>(bytes))) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: src and dst overlap", call);
    }
    return REEL_OK;
}


// ---- image layers: shared checks ----

// Strides that must be >= 0, by name.
struct Stride {
    const char* name;
    int64_t value;
};

template <size_t N>
reel_status check_strides(const char* call, const Stride (&strides)[N]) {
    for (const Stride& st : strides) {
        if (st.value < 0 || st.value > (int64_t{1} << 40)) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: %s must be in [0, 2^40], got %lld", call, st.name,
                        static_cast<long long>(st.value));
        }
    }
    return REEL_OK;
}

// a*b when it is at most 2^40, else -1.
int64_t product_40(int64_t a, int64_t b) {
    const __int128 v = static_cast<__int128>(a) * b;
    return v > (int64_t{1} << 40) ? -1 : static_cast<int64_t>(v);
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

reel_status reel_attention_forward(int32_t device, void* stream, const reel_attention_params* p, const void* q,
                                   const void* k, const void* v, void* o, float* lse) {
    if (reel_status s = check_attention(device, p, q, k, v, o, lse)) return s;
    return guarded("reel_attention_forward", [&] {
        reel_attention_params resolved = *p;
        if (resolved.scale == 0.0f) resolved.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(p->head_dim)));
        if (device >= 0) return cuda::attention_forward(device, stream, resolved, q, k, v, o, lse);
        return cpu::attention_forward(resolved, q, k, v, o, lse);
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

reel_status reel_layer_norm(int32_t device, void* stream, const reel_norm_params* p, const void* x,
                            const void* weight, const void* bias, const void* shift, const void* scale, void* out) {
    const char* call = "reel_layer_norm";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (reel_status s = check_size(call, "rows", p->rows, 0)) return s;
    if (reel_status s = check_size(call, "dim", p->dim, 1)) return s;
    if (reel_status s = check_eps(call, p->eps)) return s;
    const bool modulated = shift != nullptr || scale != nullptr;
    if (modulated) {
        if (reel_status s = check_divides(call, "rows_per_group", p->rows_per_group, p->rows)) return s;
    }
    if (p->rows == 0) return REEL_OK;
    const int64_t elem = dtype_size(p->dtype);
    const int64_t groups = modulated ? p->rows / p->rows_per_group : 1;
    const Rows o{"out", out, p->rows, p->dim, p->out_stride, "out_stride"};
    const Rows xs{"x", x, p->rows, p->dim, p->x_stride, "x_stride"};
    const Rows tables[] = {{"weight", weight, 1, p->dim, p->dim, "dim"},
                           {"bias", bias, 1, p->dim, p->dim, "dim"},
                           {"shift", shift, groups, p->dim, p->mod_stride, "mod_stride"},
                           {"scale", scale, groups, p->dim, p->mod_stride, "mod_stride"}};
    if (reel_status s = check_rows(call, o, elem)) return s;
    if (reel_status s = check_rows(call, xs, elem)) return s;
    if (reel_status s = check_output(call, o, xs, true, elem)) return s;
    for (const Rows& t : tables) {
        if (reel_status s = check_optional_rows(call, t, elem)) return s;
        if (reel_status s = check_output(call, o, t, false, elem)) return s;
    }
    return guarded(call, [&] {
        if (device >= 0) return cuda::layer_norm(device, stream, *p, x, weight, bias, shift, scale, out);
        return cpu::layer_norm(*p, x, weight, bias, shift, scale, out);
    });
}

reel_status reel_rms_norm(int32_t device, void* stream, const reel_rms_params* p, const void* x, const void* weight,
                          void* out) {
    const char* call = "reel_rms_norm";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (reel_status s = check_size(call, "rows", p->rows, 0)) return s;
    if (reel_status s = check_size(call, "heads", p->heads, 1)) return s;
    if (reel_status s = check_size(call, "head_dim", p->head_dim, 1)) return s;
    if (static_cast<__int128>(p->heads) * p->head_dim > (int64_t{1} << 40)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: heads*head_dim exceeds 2^40", call);
    }
    if (reel_status s = check_eps(call, p->eps)) return s;
    if (p->rows == 0) return REEL_OK;
    const int64_t elem = dtype_size(p->dtype), width = p->heads * p->head_dim;
    const Rows o{"out", out, p->rows, width, p->out_stride, "out_stride"};
    const Rows xs{"x", x, p->rows, width, p->x_stride, "x_stride"};
    const Rows ws{"weight", weight, 1, p->head_dim, p->head_dim, "head_dim"};
    if (reel_status s = check_rows(call, o, elem)) return s;
    if (reel_status s = check_rows(call, xs, elem)) return s;
    if (reel_status s = check_optional_rows(call, ws, elem)) return s;
    if (reel_status s = check_output(call, o, xs, true, elem)) return s;
    if (reel_status s = check_output(call, o, ws, false, elem)) return s;
    return guarded(call, [&] {
        if (device >= 0) return cuda::rms_norm(device, stream, *p, x, weight, out);
        return cpu::rms_norm(*p, x, weight, out);
    });
}

reel_status reel_bias_act(int32_t device, void* stream, const reel_bias_act_params* p, const void* x,
                          const void* bias, void* out) {
    const char* call = "reel_bias_act";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (p->act < REEL_ACT_NONE || p->act > REEL_ACT_SILU) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown activation %d", call, p->act);
    }
    if (reel_status s = check_size(call, "rows", p->rows, 0)) return s;
    if (reel_status s = check_size(call, "dim", p->dim, 1)) return s;
    if (bias != nullptr) {
        if (reel_status s = check_divides(call, "bias_rows", p->bias_rows, p->rows)) return s;
    }
    if (p->rows == 0) return REEL_OK;
    const int64_t elem = dtype_size(p->dtype);
    const Rows o{"out", out, p->rows, p->dim, p->out_stride, "out_stride"};
    const Rows xs{"x", x, p->rows, p->dim, p->x_stride, "x_stride"};
    const Rows bs{"bias", bias, bias != nullptr ? p->bias_rows : 1, p->dim, p->dim, "dim"};
    if (reel_status s = check_rows(call, o, elem)) return s;
    if (reel_status s = check_rows(call, xs, elem)) return s;
    if (reel_status s = check_optional_rows(call, bs, elem)) return s;
    if (reel_status s = check_output(call, o, xs, true, elem)) return s;
    if (reel_status s = check_output(call, o, bs, false, elem)) return s;
    return guarded(call, [&] {
        if (device >= 0) return cuda::bias_act(device, stream, *p, x, bias, out);
        return cpu::bias_act(*p, x, bias, out);
    });
}

reel_status reel_residual(int32_t device, void* stream, const reel_residual_params* p, void* x, const void* y,
                          const void* bias, const void* gate) {
    const char* call = "reel_residual";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (reel_status s = check_size(call, "rows", p->rows, 0)) return s;
    if (reel_status s = check_size(call, "dim", p->dim, 1)) return s;
    if (gate != nullptr) {
        if (reel_status s = check_divides(call, "rows_per_group", p->rows_per_group, p->rows)) return s;
    }
    if (p->rows == 0) return REEL_OK;
    const int64_t elem = dtype_size(p->dtype);
    const Rows xs{"x", x, p->rows, p->dim, p->x_stride, "x_stride"};
    const Rows ys{"y", y, p->rows, p->dim, p->y_stride, "y_stride"};
    const Rows bs{"bias", bias, 1, p->dim, p->dim, "dim"};
    const Rows gs{"gate", gate, gate != nullptr ? p->rows / p->rows_per_group : 1, p->dim, p->gate_stride, "gate_stride"};
    if (reel_status s = check_rows(call, xs, elem)) return s;
    if (reel_status s = check_rows(call, ys, elem)) return s;
    if (reel_status s = check_optional_rows(call, bs, elem)) return s;
    if (reel_status s = check_optional_rows(call, gs, elem)) return s;
    if (reel_status s = check_output(call, xs, ys, true, elem)) return s;
    if (reel_status s = check_output(call, xs, bs, false, elem)) return s;
    if (reel_status s = check_output(call, xs, gs, false, elem)) return s;
    return guarded(call, [&] {
        if (device >= 0) return cuda::residual(device, stream, *p, x, y, bias, gate);
        return cpu::residual(*p, x, y, bias, gate);
    });
}

reel_status reel_patchify(int32_t device, void* stream, const reel_patch_params* p, const void* src, void* dst) {
    if (reel_status s = check_patch("reel_patchify", device, p, src, dst)) return s;
    return guarded("reel_patchify", [&] {
        if (device >= 0) return cuda::patchify(device, stream, *p, src, dst);
        return cpu::patchify(*p, src, dst);
    });
}

reel_status reel_unpatchify(int32_t device, void* stream, const reel_patch_params* p, const void* src, void* dst) {
    if (reel_status s = check_patch("reel_unpatchify", device, p, src, dst)) return s;
    return guarded("reel_unpatchify", [&] {
        if (device >= 0) return cuda::unpatchify(device, stream, *p, src, dst);
        return cpu::unpatchify(*p, src, dst);
    });
}

reel_status reel_timestep_embedding(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t dim,
                                    double scale, const float* t, void* out) {
    const char* call = "reel_timestep_embedding";
    if (reel_status s = check_target(device, call)) return s;
    if (reel_status s = check_layer_dtype(call, dtype)) return s;
    if (reel_status s = check_size(call, "batch", batch, 1)) return s;
    if (reel_status s = check_size(call, "dim", dim, 2)) return s;
    if (dim % 2 != 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: dim must be even, got %lld", call, static_cast<long long>(dim));
    if (!std::isfinite(scale) || !std::isfinite(static_cast<float>(scale))) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: scale is not a finite fp32 value (%g)", call, scale);
    }
    const Rows o{"out", out, batch, dim, dim, "dim"};
    if (reel_status s = check_rows(call, o, dtype_size(dtype))) return s;
    if (t == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: t is NULL", call);
    if (overlaps(out, rows_extent(o, dtype_size(dtype)), t, batch * 4)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and t overlap", call);
    }
    return guarded(call, [&] {
        if (device >= 0) return cuda::timestep_embedding(device, stream, dtype, batch, dim, scale, t, out);
        return cpu::timestep_embedding(dtype, batch, dim, scale, t, out);
    });
}

reel_status reel_embedding(int32_t device, void* stream, const reel_embedding_params* p, const int64_t* ids,
                           const void* table, const void* pos, void* out) {
    const char* call = "reel_embedding";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (reel_status s = check_size(call, "rows", p->rows, 0)) return s;
    if (reel_status s = check_size(call, "dim", p->dim, 1)) return s;
    if (reel_status s = check_size(call, "vocab", p->vocab, 1)) return s;
    if (pos != nullptr) {
        if (reel_status s = check_divides(call, "positions", p->positions, p->rows)) return s;
    }
    if (!std::isfinite(p->scale)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: scale must be finite, got %g", call, static_cast<double>(p->scale));
    }
    if (p->rows == 0) return REEL_OK;
    const int64_t elem = dtype_size(p->dtype);
    const Rows o{"out", out, p->rows, p->dim, p->dim, "dim"};
    const Rows tb{"table", table, p->vocab, p->dim, p->dim, "dim"};
    const Rows ps{"pos", pos, pos != nullptr ? p->positions : 1, p->dim, p->dim, "dim"};
    if (reel_status s = check_rows(call, o, elem)) return s;
    if (reel_status s = check_rows(call, tb, elem)) return s;
    if (reel_status s = check_optional_rows(call, ps, elem)) return s;
    if (ids == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: ids is NULL", call);
    if (p->rows > (int64_t{1} << 40)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rows exceeds 2^40", call);
    if (reel_status s = check_output(call, o, tb, false, elem)) return s;
    if (reel_status s = check_output(call, o, ps, false, elem)) return s;
    if (overlaps(out, rows_extent(o, elem), ids, p->rows * 8)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and ids overlap", call);
    // ids are device memory there: the kernel writes NaN to a row with a bad id.
    if (device >= 0) return guarded(call, [&] { return cuda::embedding(device, stream, *p, ids, table, pos, out); });
    for (int64_t r = 0; r < p->rows; ++r) {
        if (ids[r] < 0 || ids[r] >= p->vocab) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: ids[%lld] = %lld is outside [0, %lld)", call,
                        static_cast<long long>(r), static_cast<long long>(ids[r]), static_cast<long long>(p->vocab));
        }
    }
    return guarded(call, [&] { return cpu::embedding(*p, ids, table, pos, out); });
}

reel_status reel_masked_mean(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t len, int64_t dim,
                             const void* x, const int64_t* lengths, void* out) {
    const char* call = "reel_masked_mean";
    if (reel_status s = check_target(device, call)) return s;
    if (reel_status s = check_layer_dtype(call, dtype)) return s;
    if (reel_status s = check_size(call, "batch", batch, 1)) return s;
    if (reel_status s = check_size(call, "len", len, 1)) return s;
    if (reel_status s = check_size(call, "dim", dim, 1)) return s;
    const int64_t elem = dtype_size(dtype);
    if (static_cast<__int128>(batch) * len > (int64_t{1} << 40)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: batch*len exceeds 2^40", call);
    }
    const Rows xs{"x", x, batch * len, dim, dim, "dim"};
    const Rows o{"out", out, batch, dim, dim, "dim"};
    if (reel_status s = check_rows(call, xs, elem)) return s;
    if (reel_status s = check_rows(call, o, elem)) return s;
    if (lengths == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: lengths is NULL", call);
    if (reel_status s = check_output(call, o, xs, false, elem)) return s;
    if (overlaps(out, rows_extent(o, elem), lengths, batch * 8)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and lengths overlap", call);
    }
    // lengths are device memory there: the kernel writes NaN to a sample with a bad length.
    if (device >= 0) {
        return guarded(call, [&] { return cuda::masked_mean(device, stream, dtype, batch, len, dim, x, lengths, out); });
    }
    for (int64_t b = 0; b < batch; ++b) {
        if (lengths[b] < 1 || lengths[b] > len) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: lengths[%lld] = %lld is outside [1, %lld]", call,
                        static_cast<long long>(b), static_cast<long long>(lengths[b]), static_cast<long long>(len));
        }
    }
    return guarded(call, [&] { return cpu::masked_mean(dtype, batch, len, dim, x, lengths, out); });
}


reel_status reel_group_norm(int32_t device, void* stream, const reel_group_norm_params* p, const void* x,
                            const void* weight, const void* bias, void* out) {
    const char* call = "reel_group_norm";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (p->act < REEL_ACT_NONE || p->act > REEL_ACT_SILU) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: unknown activation %d", call, p->act);
    }
    if (reel_status s = check_size(call, "batch", p->batch, 0)) return s;
    if (reel_status s = check_size(call, "channels", p->channels, 1)) return s;
    if (reel_status s = check_size(call, "groups", p->groups, 1)) return s;
    if (reel_status s = check_size(call, "spatial", p->spatial, 1)) return s;
    if (p->channels % p->groups != 0) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: groups %lld does not divide channels %lld", call,
                    static_cast<long long>(p->groups), static_cast<long long>(p->channels));
    }
    const Stride strides[] = {{"x_batch_stride", p->x_batch_stride},
                              {"x_channel_stride", p->x_channel_stride},
                              {"out_batch_stride", p->out_batch_stride},
                              {"out_channel_stride", p->out_channel_stride}};
    if (reel_status s = check_strides(call, strides)) return s;
    if (reel_status s = check_eps(call, p->eps)) return s;
    if (p->batch == 0) return REEL_OK;
    if (x == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: x is NULL", call);
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out is NULL", call);
    const int64_t elem = dtype_size(p->dtype);
    const int64_t x_bytes = strided_extent(p->batch, p->channels, 1, p->spatial, p->x_batch_stride,
                                           p->x_channel_stride, 0, elem);
    const int64_t out_bytes = strided_extent(p->batch, p->channels, 1, p->spatial, p->out_batch_stride,
                                             p->out_channel_stride, 0, elem);
    if (x_bytes == 0 || x_bytes > (int64_t{1} << 62)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the extent of x exceeds 2^62 bytes", call);
    if (out_bytes == 0 || out_bytes > (int64_t{1} << 62)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the extent of out exceeds 2^62 bytes", call);
    if (!distinct_elements(p->batch, p->channels, 1, p->spatial, p->out_batch_stride, p->out_channel_stride, 0)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the output strides map two elements to one address", call);
    }
    const bool in_place = out == x && p->out_batch_stride == p->x_batch_stride &&
                          p->out_channel_stride == p->x_channel_stride;
    if (!in_place && overlaps(out, out_bytes, x, x_bytes)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and x overlap (in place needs the same address and strides)", call);
    }
    const struct {
        const char* name;
        const void* ptr;
    } tables[] = {{"weight", weight}, {"bias", bias}};
    for (const auto& t : tables) {
        if (t.ptr != nullptr && overlaps(out, out_bytes, t.ptr, p->channels * elem)) {
            return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and %s overlap", call, t.name);
        }
    }
    return guarded(call, [&] {
        if (device >= 0) return cuda::group_norm(device, stream, *p, x, weight, bias, out);
        return cpu::group_norm(*p, x, weight, bias, out);
    });
}

reel_status reel_im2col(int32_t device, void* stream, const reel_im2col_params* p, const void* x, void* patches) {
    const char* call = "reel_im2col";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (p->kernel != 1 && p->kernel != 3) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: kernel must be 1 or 3, got %d", call, p->kernel);
    }
    if (p->stride != 1 && p->stride != 2) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: stride must be 1 or 2, got %d", call, p->stride);
    }
    const struct {
        const char* name;
        int64_t value;
    } sizes[] = {{"channels", p->channels}, {"frames", p->frames}, {"height", p->height}, {"width", p->width}};
    for (const auto& sz : sizes) {
        if (reel_status s = check_size(call, sz.name, sz.value, 1)) return s;
    }
    const Stride strides[] = {{"channel_stride", p->channel_stride}, {"frame_stride", p->frame_stride}};
    if (reel_status s = check_strides(call, strides)) return s;
    const int64_t plane = product_40(p->height, p->width);
    if (plane < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: height*width exceeds 2^40", call);
    const int64_t ho = (p->height - 1) / p->stride + 1, wo = (p->width - 1) / p->stride + 1;
    const int64_t rows = product_40(p->frames, ho);
    if (rows < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: frames*output height exceeds 2^40", call);
    if (p->row_begin < 0 || p->row_begin > p->row_end || p->row_end > rows) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: rows [%lld, %lld) are not within the %lld output rows", call,
                    static_cast<long long>(p->row_begin), static_cast<long long>(p->row_end),
                    static_cast<long long>(rows));
    }
    if (p->row_begin == p->row_end) return REEL_OK;
    const int64_t columns = product_40(p->row_end - p->row_begin, wo);
    if (columns < 0) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the patch matrix has more than 2^40 columns", call);
    if (x == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: x is NULL", call);
    const int64_t elem = dtype_size(p->dtype);
    const int64_t x_bytes = strided_extent(p->channels, p->frames, 1, plane, p->channel_stride, p->frame_stride, 0, elem);
    if (x_bytes == 0 || x_bytes > (int64_t{1} << 62)) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the extent of x exceeds 2^62 bytes", call);
    }
    const int64_t taps = p->channels * p->kernel * p->kernel;
    const Rows ps{"patches", patches, taps, columns, p->patches_stride, "patches_stride"};
    if (reel_status s = check_rows(call, ps, elem)) return s;
    const Rows xs{"x", x, 1, x_bytes / elem, x_bytes / elem, "x"};
    if (rows_meet(ps, xs, elem)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: patches and x overlap", call);
    return guarded(call, [&] {
        if (device >= 0) return cuda::im2col(device, stream, *p, x, patches);
        return cpu::im2col(*p, x, patches);
    });
}

reel_status reel_channel_affine(int32_t device, void* stream, const reel_channel_affine_params* p, const void* x,
                                const void* scale, const void* shift, void* out) {
    const char* call = "reel_channel_affine";
    if (reel_status s = check_target(device, call)) return s;
    if (p == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: params is NULL", call);
    if (reel_status s = check_layer_dtype(call, p->dtype)) return s;
    if (reel_status s = check_size(call, "channels", p->channels, 0)) return s;
    if (reel_status s = check_size(call, "count", p->count, 1)) return s;
    if (p->channels == 0) return REEL_OK;
    const int64_t elem = dtype_size(p->dtype);
    const Rows o{"out", out, p->channels, p->count, p->out_stride, "out_stride"};
    const Rows xs{"x", x, p->channels, p->count, x != nullptr ? p->x_stride : p->count, "x_stride"};
    const Rows tables[] = {{"scale", scale, 1, p->channels, p->channels, "channels"},
                           {"shift", shift, 1, p->channels, p->channels, "channels"}};
    if (reel_status s = check_rows(call, o, elem)) return s;
    if (reel_status s = check_optional_rows(call, xs, elem)) return s;
    if (reel_status s = check_output(call, o, xs, true, elem)) return s;
    for (const Rows& t : tables) {
        if (reel_status s = check_output(call, o, t, false, elem)) return s;
    }
    return guarded(call, [&] {
        if (device >= 0) return cuda::channel_affine(device, stream, *p, x, scale, shift, out);
        return cpu::channel_affine(*p, x, scale, shift, out);
    });
}

reel_status reel_upsample_nearest2x(int32_t device, void* stream, int32_t dtype, int64_t planes, int64_t height,
                                    int64_t width, const void* x, void* out) {
    const char* call = "reel_upsample_nearest2x";
    if (reel_status s = check_target(device, call)) return s;
    if (reel_status s = check_layer_dtype(call, dtype)) return s;
    if (reel_status s = check_size(call, "planes", planes, 1)) return s;
    if (reel_status s = check_size(call, "height", height, 1)) return s;
    if (reel_status s = check_size(call, "width", width, 1)) return s;
    const __int128 in_bytes = static_cast<__int128>(planes) * height * width * dtype_size(dtype);
    if (4 * in_bytes > (int64_t{1} << 62)) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: the output exceeds 2^62 bytes", call);
    if (x == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: x is NULL", call);
    if (out == nullptr) return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out is NULL", call);
    if (overlaps(out, static_cast<int64_t>(4 * in_bytes), x, static_cast<int64_t>(in_bytes))) {
        return fail(REEL_ERR_INVALID_ARGUMENT, "%s: out and x overlap", call);
    }
    return guarded(call, [&] {
        if (device >= 0) return cuda::upsample_nearest2x(device, stream, dtype, planes, height, width, x, out);
        return cpu::upsample_nearest2x(dtype, planes, height, width, x, out);
    });
}

}  // extern "C"
