// The CUDA launchers of the model-layer and image-layer calls (reel.h, "model
// layers" and "image layers"): dtype and activation dispatch onto the kernels
// of kernels/nn/, on the caller's stream, with every launch checked. Arguments
// arrive validated by api.cpp; nothing here allocates or synchronises.
//
// Storage: REEL_F32 and REEL_BF16 for the computing calls; the copies
// (patchify, unpatchify) take every dtype, im2col and upsampling REEL_F32 and
// REEL_BF16 as the others. REEL_F16 elsewhere is REEL_ERR_UNSUPPORTED.
#include <cstdint>

#include "../../../kernels/nn/activation.cuh"
#include "../../../kernels/nn/embedding.cuh"
#include "../../../kernels/nn/norm.cuh"
#include "../../../kernels/nn/patch.cuh"
#include "../../../kernels/nn/residual.cuh"
#include "cuda_backend.h"
#include "cuda_check.h"

namespace reel {
namespace cuda {
namespace {

using namespace ::reel::nn;

// The device and stream of one call: the device made current for the call's
// scope (and the caller's restored after), the caller's stream.
struct Call {
    DeviceScope scope;
    cudaStream_t stream;
    Call(int32_t device, void* st) : scope(device), stream(static_cast<cudaStream_t>(st)) {}
};

// check_device (REEL_ERR_NO_DEVICE with the reason), then `call` in scope.
#define REEL_NN_ENTER(call_name, device, stream)                     \
    if (reel_status s_ = check_device(device, call_name)) return s_; \
    Call call(device, stream);                                       \
    if (reel_status s_ = call.scope.enter()) return s_

reel_status need_f32_bf16(const char* call, int32_t dtype) {
    if (dtype == REEL_F32 || dtype == REEL_BF16) return REEL_OK;
    return fail(REEL_ERR_UNSUPPORTED, "%s: the CUDA backend runs REEL_F32 and REEL_BF16 storage, not dtype %d", call,
                dtype);
}

// Blocks for a row kernel (one block per row, striding) and an elementwise one.
unsigned row_grid(int64_t rows) { return nn_grid(rows, 1, kNnMaxBlocks); }
unsigned flat_grid(int64_t elements) { return nn_grid(elements, kNnThreads, kNnMaxBlocks); }

}  // namespace

reel_status layer_norm(int32_t device, void* stream, const reel_norm_params& p, const void* x, const void* weight,
                       const void* bias, const void* shift, const void* scale, void* out) {
    if (reel_status s = need_f32_bf16("reel_layer_norm", p.dtype)) return s;
    REEL_NN_ENTER("reel_layer_norm", device, stream);
    const LayerNormArgs a{x, weight, bias, shift, scale, out, p.rows, p.dim, p.x_stride, p.out_stride,
                          p.rows_per_group, p.mod_stride, p.eps};
    if (p.dtype == REEL_F32) {
        layer_norm_kernel<0><<<row_grid(p.rows), kNnThreads, 0, call.stream>>>(a);
    } else {
        layer_norm_kernel<1><<<row_grid(p.rows), kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("layer_norm_kernel");
}

reel_status rms_norm(int32_t device, void* stream, const reel_rms_params& p, const void* x, const void* weight,
                     void* out) {
    if (reel_status s = need_f32_bf16("reel_rms_norm", p.dtype)) return s;
    REEL_NN_ENTER("reel_rms_norm", device, stream);
    const RmsArgs a{x, weight, out, p.rows, p.heads, p.head_dim, p.x_stride, p.out_stride, p.eps};
    const unsigned grid = row_grid(p.rows * p.heads);
    if (p.dtype == REEL_F32) {
        rms_norm_kernel<0><<<grid, kNnThreads, 0, call.stream>>>(a);
    } else {
        rms_norm_kernel<1><<<grid, kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("rms_norm_kernel");
}

namespace {
template <int DT>
void launch_bias_act(int32_t act, unsigned grid, cudaStream_t st, const BiasActArgs& a) {
    switch (act) {
        case REEL_ACT_GELU_TANH: bias_act_kernel<DT, REEL_ACT_GELU_TANH><<<grid, kNnThreads, 0, st>>>(a); break;
        case REEL_ACT_SILU: bias_act_kernel<DT, REEL_ACT_SILU><<<grid, kNnThreads, 0, st>>>(a); break;
        default: bias_act_kernel<DT, REEL_ACT_NONE><<<grid, kNnThreads, 0, st>>>(a); break;
    }
}

template <int DT>
void launch_group_norm(int32_t act, unsigned grid, cudaStream_t st, const GroupNormArgs& a) {
    switch (act) {
        case REEL_ACT_GELU_TANH: group_norm_kernel<DT, REEL_ACT_GELU_TANH><<<grid, kNnThreads, 0, st>>>(a); break;
        case REEL_ACT_SILU: group_norm_kernel<DT, REEL_ACT_SILU><<<grid, kNnThreads, 0, st>>>(a); break;
        default: group_norm_kernel<DT, REEL_ACT_NONE><<<grid, kNnThreads, 0, st>>>(a); break;
    }
}
}  // namespace

reel_status bias_act(int32_t device, void* stream, const reel_bias_act_params& p, const void* x, const void* bias,
                     void* out) {
    if (reel_status s = need_f32_bf16("reel_bias_act", p.dtype)) return s;
    REEL_NN_ENTER("reel_bias_act", device, stream);
    const BiasActArgs a{x, bias, out, p.rows, p.dim, p.bias_rows, p.x_stride, p.out_stride};
    const unsigned grid = flat_grid(p.rows * p.dim);
    if (p.dtype == REEL_F32) {
        launch_bias_act<0>(p.act, grid, call.stream, a);
    } else {
        launch_bias_act<1>(p.act, grid, call.stream, a);
    }
    return check_launch("bias_act_kernel");
}

reel_status residual(int32_t device, void* stream, const reel_residual_params& p, void* x, const void* y,
                     const void* bias, const void* gate) {
    if (reel_status s = need_f32_bf16("reel_residual", p.dtype)) return s;
    REEL_NN_ENTER("reel_residual", device, stream);
    const ResidualArgs a{x, y, bias, gate, p.rows, p.dim, p.x_stride, p.y_stride, p.rows_per_group, p.gate_stride};
    const unsigned grid = flat_grid(p.rows * p.dim);
    if (p.dtype == REEL_F32) {
        residual_kernel<0><<<grid, kNnThreads, 0, call.stream>>>(a);
    } else {
        residual_kernel<1><<<grid, kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("residual_kernel");
}

namespace {
reel_status patch_copy(const char* name, int32_t device, void* stream, const reel_patch_params& p, const void* src,
                       void* dst, bool to_tokens) {
    REEL_NN_ENTER(name, device, stream);
    const PatchArgs a{src, dst, p.batch, p.channels, p.frames, p.height, p.width, p.patch_t, p.patch_h, p.patch_w};
    const unsigned grid = flat_grid(p.batch * p.channels * p.frames * p.height * p.width);
    const bool wide = p.dtype == REEL_F32;
    if (to_tokens) {
        if (wide) patch_kernel<uint32_t, true><<<grid, kNnThreads, 0, call.stream>>>(a);
        else patch_kernel<uint16_t, true><<<grid, kNnThreads, 0, call.stream>>>(a);
    } else {
        if (wide) patch_kernel<uint32_t, false><<<grid, kNnThreads, 0, call.stream>>>(a);
        else patch_kernel<uint16_t, false><<<grid, kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("patch_kernel");
}
}  // namespace

reel_status patchify(int32_t device, void* stream, const reel_patch_params& p, const void* src, void* dst) {
    return patch_copy("reel_patchify", device, stream, p, src, dst, true);
}

reel_status unpatchify(int32_t device, void* stream, const reel_patch_params& p, const void* src, void* dst) {
    return patch_copy("reel_unpatchify", device, stream, p, src, dst, false);
}

reel_status timestep_embedding(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t dim, double scale,
                               const float* t, void* out) {
    if (reel_status s = need_f32_bf16("reel_timestep_embedding", dtype)) return s;
    REEL_NN_ENTER("reel_timestep_embedding", device, stream);
    const unsigned grid = flat_grid(batch * (dim / 2));
    const float sc = static_cast<float>(scale);
    if (dtype == REEL_F32) {
        timestep_embedding_kernel<0><<<grid, kNnThreads, 0, call.stream>>>(t, out, batch, dim, sc);
    } else {
        timestep_embedding_kernel<1><<<grid, kNnThreads, 0, call.stream>>>(t, out, batch, dim, sc);
    }
    return check_launch("timestep_embedding_kernel");
}

reel_status embedding(int32_t device, void* stream, const reel_embedding_params& p, const int64_t* ids,
                      const void* table, const void* pos, void* out) {
    if (reel_status s = need_f32_bf16("reel_embedding", p.dtype)) return s;
    REEL_NN_ENTER("reel_embedding", device, stream);
    const EmbeddingArgs a{ids, table, pos, out, p.rows, p.dim, p.vocab, p.positions, p.scale};
    const unsigned grid = flat_grid(p.rows * p.dim);
    if (p.dtype == REEL_F32) {
        embedding_kernel<0><<<grid, kNnThreads, 0, call.stream>>>(a);
    } else {
        embedding_kernel<1><<<grid, kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("embedding_kernel");
}

reel_status masked_mean(int32_t device, void* stream, int32_t dtype, int64_t batch, int64_t len, int64_t dim,
                        const void* x, const int64_t* lengths, void* out) {
    if (reel_status s = need_f32_bf16("reel_masked_mean", dtype)) return s;
    REEL_NN_ENTER("reel_masked_mean", device, stream);
    const unsigned grid = flat_grid(batch * dim);
    if (dtype == REEL_F32) {
        masked_mean_kernel<0><<<grid, kNnThreads, 0, call.stream>>>(x, lengths, out, batch, len, dim);
    } else {
        masked_mean_kernel<1><<<grid, kNnThreads, 0, call.stream>>>(x, lengths, out, batch, len, dim);
    }
    return check_launch("masked_mean_kernel");
}

reel_status group_norm(int32_t device, void* stream, const reel_group_norm_params& p, const void* x,
                       const void* weight, const void* bias, void* out) {
    if (reel_status s = need_f32_bf16("reel_group_norm", p.dtype)) return s;
    REEL_NN_ENTER("reel_group_norm", device, stream);
    const GroupNormArgs a{x, weight, bias, out, p.batch, p.channels, p.groups, p.spatial, p.x_batch_stride,
                          p.x_channel_stride, p.out_batch_stride, p.out_channel_stride, p.eps};
    const unsigned grid = row_grid(p.batch * p.groups);
    if (p.dtype == REEL_F32) {
        launch_group_norm<0>(p.act, grid, call.stream, a);
    } else {
        launch_group_norm<1>(p.act, grid, call.stream, a);
    }
    return check_launch("group_norm_kernel");
}

reel_status im2col(int32_t device, void* stream, const reel_im2col_params& p, const void* x, void* patches) {
    if (reel_status s = need_f32_bf16("reel_im2col", p.dtype)) return s;
    REEL_NN_ENTER("reel_im2col", device, stream);
    const Im2colArgs a = make_im2col_args(p, x, patches);
    const unsigned grid = flat_grid(p.channels * p.kernel * p.kernel * a.columns);
    if (p.dtype == REEL_F32) {
        im2col_kernel<uint32_t><<<grid, kNnThreads, 0, call.stream>>>(a);
    } else {
        im2col_kernel<uint16_t><<<grid, kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("im2col_kernel");
}

reel_status channel_affine(int32_t device, void* stream, const reel_channel_affine_params& p, const void* x,
                           const void* scale, const void* shift, void* out) {
    if (reel_status s = need_f32_bf16("reel_channel_affine", p.dtype)) return s;
    REEL_NN_ENTER("reel_channel_affine", device, stream);
    const ChannelAffineArgs a{x, scale, shift, out, p.channels, p.count, p.x_stride, p.out_stride};
    const unsigned grid = flat_grid(p.channels * p.count);
    if (p.dtype == REEL_F32) {
        channel_affine_kernel<0><<<grid, kNnThreads, 0, call.stream>>>(a);
    } else {
        channel_affine_kernel<1><<<grid, kNnThreads, 0, call.stream>>>(a);
    }
    return check_launch("channel_affine_kernel");
}

reel_status upsample_nearest2x(int32_t device, void* stream, int32_t dtype, int64_t planes, int64_t height,
                               int64_t width, const void* x, void* out) {
    if (reel_status s = need_f32_bf16("reel_upsample_nearest2x", dtype)) return s;
    REEL_NN_ENTER("reel_upsample_nearest2x", device, stream);
    const unsigned grid = flat_grid(planes * 4 * height * width);
    if (dtype == REEL_F32) {
        upsample_nearest2x_kernel<uint32_t><<<grid, kNnThreads, 0, call.stream>>>(x, out, planes, height, width);
    } else {
        upsample_nearest2x_kernel<uint16_t><<<grid, kNnThreads, 0, call.stream>>>(x, out, planes, height, width);
    }
    return check_launch("upsample_nearest2x_kernel");
}

}  // namespace cuda
}  // namespace reel
