// kernels/nn/*.cuh built as host C++: each launch of native/src/cuda/nn.cu is
// replayed on the host with every block's kNnThreads threads run as fibers that
// meet at __syncthreads (kernels/common/host_emulation.h: a barrier that some
// thread never reaches aborts the test), blocks spread over two host threads,
// and __shared__ memory shared by the fibers of a block. The cases of
// nn_cases.h then compare every call, fp32 and bf16, with the CPU backend.
// Grids are capped at a few blocks in the bf16 pass so that the grid-stride
// loops run more than once per block; the fp32 pass uses the launcher's caps.
// REEL_NN_LARGE=1 adds the model-sized shapes of the device test to the first
// pass (about a minute here); REEL_TEST_SEED=n changes the random inputs.
// Also checks that a deliberately wrong launch (every row modulated by the
// first group's table row) is caught by the comparison.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../../kernels/common/host_emulation.h"

// ---- the CUDA names the kernels use, on the host --------------------------
#define __global__
#define __device__
#define __forceinline__ inline
// The fibers of one block run on one host thread; other blocks run on others.
#define __shared__ static thread_local
#define threadIdx (::reel::emu::dim3{::reel::emu::thread_x(), 0u, 0u})
#define blockIdx (::reel::emu::this_block()->block_idx)
#define blockDim (::reel::emu::dim3{::reel::emu::this_block()->threads, 1u, 1u})
#define gridDim (::reel::emu::this_block()->grid)
#define __syncthreads() ::reel::emu::syncthreads()

#include "../../../kernels/nn/activation.cuh"
#include "../../../kernels/nn/embedding.cuh"
#include "../../../kernels/nn/norm.cuh"
#include "../../../kernels/nn/patch.cuh"
#include "../../../kernels/nn/residual.cuh"
#include "nn_cases.h"

namespace {

using namespace reel::nn;

template <class Body>
void launch(unsigned grid, const char* name, Body body) {
    reel::emu::dim3 g;
    g.x = grid;
    reel::emu::launch(g, kNnThreads, 0, [&] { body(); }, name, 2);
}

// The host's memory in place of the device's, and nn.cu's launches in place of
// the reel_* device calls (the same grids, capped at max_blocks).
struct Emulated : nn_cases::Target {
    int64_t max_blocks = kNnMaxBlocks;

    unsigned rows(int64_t n) const { return nn_grid(n, 1, max_blocks); }
    unsigned flat(int64_t n) const { return nn_grid(n, kNnThreads, max_blocks); }

    void* put(const void* host, int64_t bytes) override {
        void* p = std::malloc(static_cast<size_t>(bytes > 0 ? bytes : 1));
        if (bytes > 0) std::memcpy(p, host, static_cast<size_t>(bytes));
        return p;
    }
    void get(void* host, const void* buf, int64_t bytes) override { std::memcpy(host, buf, static_cast<size_t>(bytes)); }
    void drop(void* buf) override { std::free(buf); }

    reel_status layer_norm(const reel_norm_params* p, const void* x, const void* w, const void* b, const void* shift,
                           const void* scale, void* out) override {
        const LayerNormArgs a{x, w, b, shift, scale, out, p->rows, p->dim, p->x_stride, p->out_stride,
                              p->rows_per_group, p->mod_stride, p->eps};
        launch(rows(p->rows), "layer_norm_kernel", [&] {
            if (p->dtype == REEL_F32) layer_norm_kernel<0>(a);
            else layer_norm_kernel<1>(a);
        });
        return REEL_OK;
    }
    reel_status rms_norm(const reel_rms_params* p, const void* x, const void* w, void* out) override {
        const RmsArgs a{x, w, out, p->rows, p->heads, p->head_dim, p->x_stride, p->out_stride, p->eps};
        launch(rows(p->rows * p->heads), "rms_norm_kernel", [&] {
            if (p->dtype == REEL_F32) rms_norm_kernel<0>(a);
            else rms_norm_kernel<1>(a);
        });
        return REEL_OK;
    }
    template <int DT>
    static void bias_act_dt(int32_t act, const BiasActArgs& a) {
        if (act == REEL_ACT_GELU_TANH) bias_act_kernel<DT, REEL_ACT_GELU_TANH>(a);
        else if (act == REEL_ACT_SILU) bias_act_kernel<DT, REEL_ACT_SILU>(a);
        else bias_act_kernel<DT, REEL_ACT_NONE>(a);
    }
    reel_status bias_act(const reel_bias_act_params* p, const void* x, const void* bias, void* out) override {
        const BiasActArgs a{x, bias, out, p->rows, p->dim, p->bias_rows, p->x_stride, p->out_stride};
        launch(flat(p->rows * p->dim), "bias_act_kernel", [&] {
            if (p->dtype == REEL_F32) bias_act_dt<0>(p->act, a);
            else bias_act_dt<1>(p->act, a);
        });
        return REEL_OK;
    }
    reel_status residual(const reel_residual_params* p, void* x, const void* y, const void* bias,
                         const void* gate) override {
        const ResidualArgs a{x, y, bias, gate, p->rows, p->dim, p->x_stride, p->y_stride, p->rows_per_group, p->gate_stride};
        launch(flat(p->rows * p->dim), "residual_kernel", [&] {
            if (p->dtype == REEL_F32) residual_kernel<0>(a);
            else residual_kernel<1>(a);
        });
        return REEL_OK;
    }
    reel_status patch(const reel_patch_params* p, const void* src, void* dst, bool to_tokens) {
        const PatchArgs a{src, dst, p->batch, p->channels, p->frames, p->height, p->width, p->patch_t, p->patch_h, p->patch_w};
        const bool wide = p->dtype == REEL_F32;
        launch(flat(p->batch * p->channels * p->frames * p->height * p->width), "patch_kernel", [&] {
            if (to_tokens) {
                if (wide) patch_kernel<uint32_t, true>(a);
                else patch_kernel<uint16_t, true>(a);
            } else {
                if (wide) patch_kernel<uint32_t, false>(a);
                else patch_kernel<uint16_t, false>(a);
            }
        });
        return REEL_OK;
    }
    reel_status patchify(const reel_patch_params* p, const void* src, void* dst) override { return patch(p, src, dst, true); }
    reel_status unpatchify(const reel_patch_params* p, const void* src, void* dst) override {
        return patch(p, src, dst, false);
    }
    reel_status timestep_embedding(int32_t dtype, int64_t batch, int64_t dim, double scale, const float* t,
                                   void* out) override {
        const float sc = static_cast<float>(scale);
        launch(flat(batch * (dim / 2)), "timestep_embedding_kernel", [&] {
            if (dtype == REEL_F32) timestep_embedding_kernel<0>(t, out, batch, dim, sc);
            else timestep_embedding_kernel<1>(t, out, batch, dim, sc);
        });
        return REEL_OK;
    }
    reel_status embedding(const reel_embedding_params* p, const int64_t* ids, const void* table, const void* pos,
                          void* out) override {
        const EmbeddingArgs a{ids, table, pos, out, p->rows, p->dim, p->vocab, p->positions, p->scale};
        launch(flat(p->rows * p->dim), "embedding_kernel", [&] {
            if (p->dtype == REEL_F32) embedding_kernel<0>(a);
            else embedding_kernel<1>(a);
        });
        return REEL_OK;
    }
    reel_status masked_mean(int32_t dtype, int64_t batch, int64_t len, int64_t dim, const void* x,
                            const int64_t* lengths, void* out) override {
        launch(flat(batch * dim), "masked_mean_kernel", [&] {
            if (dtype == REEL_F32) masked_mean_kernel<0>(x, lengths, out, batch, len, dim);
            else masked_mean_kernel<1>(x, lengths, out, batch, len, dim);
        });
        return REEL_OK;
    }
    template <int DT>
    static void group_norm_dt(int32_t act, const GroupNormArgs& a) {
        if (act == REEL_ACT_GELU_TANH) group_norm_kernel<DT, REEL_ACT_GELU_TANH>(a);
        else if (act == REEL_ACT_SILU) group_norm_kernel<DT, REEL_ACT_SILU>(a);
        else group_norm_kernel<DT, REEL_ACT_NONE>(a);
    }
    reel_status group_norm(const reel_group_norm_params* p, const void* x, const void* w, const void* b,
                           void* out) override {
        const GroupNormArgs a{x, w, b, out, p->batch, p->channels, p->groups, p->spatial, p->x_batch_stride,
                              p->x_channel_stride, p->out_batch_stride, p->out_channel_stride, p->eps};
        launch(rows(p->batch * p->groups), "group_norm_kernel", [&] {
            if (p->dtype == REEL_F32) group_norm_dt<0>(p->act, a);
            else group_norm_dt<1>(p->act, a);
        });
        return REEL_OK;
    }
    reel_status im2col(const reel_im2col_params* p, const void* x, void* patches) override {
        const Im2colArgs a = make_im2col_args(*p, x, patches);
        launch(flat(p->channels * p->kernel * p->kernel * a.columns), "im2col_kernel", [&] {
            if (p->dtype == REEL_F32) im2col_kernel<uint32_t>(a);
            else im2col_kernel<uint16_t>(a);
        });
        return REEL_OK;
    }
    reel_status channel_affine(const reel_channel_affine_params* p, const void* x, const void* scale, const void* shift,
                               void* out) override {
        const ChannelAffineArgs a{x, scale, shift, out, p->channels, p->count, p->x_stride, p->out_stride};
        launch(flat(p->channels * p->count), "channel_affine_kernel", [&] {
            if (p->dtype == REEL_F32) channel_affine_kernel<0>(a);
            else channel_affine_kernel<1>(a);
        });
        return REEL_OK;
    }
    reel_status upsample_nearest2x(int32_t dtype, int64_t planes, int64_t h, int64_t w, const void* x,
                                   void* out) override {
        launch(flat(planes * 4 * h * w), "upsample_nearest2x_kernel", [&] {
            if (dtype == REEL_F32) upsample_nearest2x_kernel<uint32_t>(x, out, planes, h, w);
            else upsample_nearest2x_kernel<uint16_t>(x, out, planes, h, w);
        });
        return REEL_OK;
    }
};

// A launch with a wrong argument (every row reading the modulation of the
// first group) must not agree with the CPU.
struct WrongGroups : Emulated {
    reel_status layer_norm(const reel_norm_params* p, const void* x, const void* w, const void* b, const void* shift,
                           const void* scale, void* out) override {
        reel_norm_params q = *p;
        q.rows_per_group = p->rows;  // one table row for every row: in bounds, and wrong
        return Emulated::layer_norm(&q, x, w, b, shift, scale, out);
    }
};

}  // namespace

int main() {
    Emulated e;
    nn_cases::run_all(e, std::getenv("REEL_NN_LARGE") != nullptr);
    e.max_blocks = 3;
    nn_cases::run_all(e, false);
    nn_cases::report("host emulation");

    // The comparison catches a kernel that computes the wrong thing.
    WrongGroups wrong;
    const int failed_before = reel_test::failed;
    std::printf("a deliberately wrong launch follows; its FAILED lines are expected:\n");
    nn_cases::layer_norm(wrong, REEL_F32, {6, 300, 301, 303, 3, 1800, true, true, true, true, false, 0.5f});
    const bool caught = reel_test::failed > failed_before;
    reel_test::failed = failed_before;
    CHECK(caught);
    return reel_test::finish();
}
