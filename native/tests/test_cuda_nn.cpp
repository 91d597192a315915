// The model-layer and image-layer calls on CUDA device 0 against the CPU
// backend: the cases of nn_cases.h (every call, REEL_F32 and REEL_BF16 storage,
// patchify also REEL_F16; odd sizes, strides, groups, absent optional inputs,
// in place, bad ids and lengths giving NaN rows) with device buffers, plus
// model-sized shapes. The element-wise calls and copies must give the CPU's
// bits; the norms agree up to the order of their double sums. With
// REEL_SANITIZE=1 (bench/gpu/run under compute-sanitizer) only the small
// shapes run. Skipped (exit 77) with the reason where no CUDA device is present.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "nn_cases.h"

namespace {

struct Device : nn_cases::Target {
    void* put(const void* host, int64_t bytes) override {
        void* p = nullptr;
        const int64_t n = bytes > 0 ? bytes : 1;
        if (reel_malloc(0, n, &p) != REEL_OK ||
            (bytes > 0 && reel_memcpy(p, host, bytes, REEL_COPY_HOST_TO_DEVICE, 0, nullptr) != REEL_OK)) {
            std::printf("device setup failed: %s\n", reel_last_error());
            ++reel_test::failed;
        }
        return p;
    }
    void get(void* host, const void* buf, int64_t bytes) override {
        if (reel_memcpy(host, buf, bytes, REEL_COPY_DEVICE_TO_HOST, 0, nullptr) != REEL_OK) {
            std::printf("device read failed: %s\n", reel_last_error());
            ++reel_test::failed;
        }
    }
    void drop(void* buf) override { reel_free(0, buf); }
    void sync() override {
        if (reel_synchronize(0, nullptr) != REEL_OK) {
            std::printf("reel_synchronize failed: %s\n", reel_last_error());
            ++reel_test::failed;
        }
    }
    reel_status layer_norm(const reel_norm_params* p, const void* x, const void* w, const void* b, const void* shift,
                           const void* scale, void* out) override {
        return reel_layer_norm(0, nullptr, p, x, w, b, shift, scale, out);
    }
    reel_status rms_norm(const reel_rms_params* p, const void* x, const void* w, void* out) override {
        return reel_rms_norm(0, nullptr, p, x, w, out);
    }
    reel_status bias_act(const reel_bias_act_params* p, const void* x, const void* bias, void* out) override {
        return reel_bias_act(0, nullptr, p, x, bias, out);
    }
    reel_status residual(const reel_residual_params* p, void* x, const void* y, const void* bias,
                         const void* gate) override {
        return reel_residual(0, nullptr, p, x, y, bias, gate);
    }
    reel_status patchify(const reel_patch_params* p, const void* src, void* dst) override {
        return reel_patchify(0, nullptr, p, src, dst);
    }
    reel_status unpatchify(const reel_patch_params* p, const void* src, void* dst) override {
        return reel_unpatchify(0, nullptr, p, src, dst);
    }
    reel_status timestep_embedding(int32_t dtype, int64_t batch, int64_t dim, double scale, const float* t,
                                   void* out) override {
        return reel_timestep_embedding(0, nullptr, dtype, batch, dim, scale, t, out);
    }
    reel_status embedding(const reel_embedding_params* p, const int64_t* ids, const void* table, const void* pos,
                          void* out) override {
        return reel_embedding(0, nullptr, p, ids, table, pos, out);
    }
    reel_status masked_mean(int32_t dtype, int64_t batch, int64_t len, int64_t dim, const void* x,
                            const int64_t* lengths, void* out) override {
        return reel_masked_mean(0, nullptr, dtype, batch, len, dim, x, lengths, out);
    }
    reel_status group_norm(const reel_group_norm_params* p, const void* x, const void* w, const void* b,
                           void* out) override {
        return reel_group_norm(0, nullptr, p, x, w, b, out);
    }
    reel_status im2col(const reel_im2col_params* p, const void* x, void* patches) override {
        return reel_im2col(0, nullptr, p, x, patches);
    }
    reel_status channel_affine(const reel_channel_affine_params* p, const void* x, const void* scale, const void* shift,
                               void* out) override {
        return reel_channel_affine(0, nullptr, p, x, scale, shift, out);
    }
    reel_status upsample_nearest2x(int32_t dtype, int64_t planes, int64_t h, int64_t w, const void* x,
                                   void* out) override {
        return reel_upsample_nearest2x(0, nullptr, dtype, planes, h, w, x, out);
    }
};

}  // namespace

int main() {
    int32_t devices = 0;
    if (reel_cuda_device_count(&devices) != REEL_OK) {
        std::printf("SKIPPED: %s\n", reel_last_error());
        return 77;
    }
    const bool small = std::getenv("REEL_SANITIZE") != nullptr;
    Device d;
    nn_cases::run_all(d, !small);
    nn_cases::report("CUDA device 0");

    // fp16 is not a storage of these calls on CUDA (patchify aside).
    reel_bias_act_params p{};
    p.dtype = REEL_F16;
    p.rows = 1;
    p.dim = 4;
    p.bias_rows = 1;
    p.x_stride = p.out_stride = 4;
    void* big = nullptr;
    CHECK(reel_malloc(0, 64, &big) == REEL_OK);
    CHECK_FAILS(reel_bias_act(0, nullptr, &p, big, nullptr, static_cast<char*>(big) + 32), REEL_ERR_UNSUPPORTED, "REEL_BF16");
    reel_free(0, big);
    return reel_test::finish();
}
