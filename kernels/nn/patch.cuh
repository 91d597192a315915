// patch.cuh — the copies on the device: reel_patchify / reel_unpatchify
// (video [B, C, T, H, W] <-> tokens [B, N, P]), reel_im2col (the patch matrix
// of a 1x1 or 3x3 convolution at stride 1 or 2) and reel_upsample_nearest2x.
// Contract: reel.h, "model layers" and "image layers".
//
// Pure copies, bit exact: templates over the element's bits (uint32_t for
// REEL_F32, uint16_t for the 16-bit dtypes), one thread per destination
// element through a flat grid-stride index, so that the writes are coalesced
// and every destination element is written exactly once (im2col writes its
// zero padding too). Source and destination never overlap (api.cpp checks).
#pragma once

#include <stdint.h>

#include "common.cuh"

namespace reel {
namespace nn {

struct PatchArgs {
    const void* src;
    void* dst;
    int64_t batch, channels, frames, height, width;
    int64_t patch_t, patch_h, patch_w;
};

// The token-side index of video element v = (((b*C + c)*T + t)*H + h)*W + w:
// token (b, t/pt, h/ph, w/pw), entry ((c*pt + t%pt)*ph + h%ph)*pw + w%pw.
__device__ __forceinline__ int64_t patch_token_index(const PatchArgs& a, int64_t v) {
    const int64_t w = v % a.width;
    v /= a.width;
    const int64_t h = v % a.height;
    v /= a.height;
    const int64_t t = v % a.frames;
    v /= a.frames;
    const int64_t c = v % a.channels, b = v / a.channels;
    const int64_t hg = a.height / a.patch_h, wg = a.width / a.patch_w;
    const int64_t n = a.frames / a.patch_t * hg * wg, per_token = a.channels * a.patch_t * a.patch_h * a.patch_w;
    const int64_t token = b * n + (t / a.patch_t * hg + h / a.patch_h) * wg + w / a.patch_w;
    const int64_t entry = ((c * a.patch_t + t % a.patch_t) * a.patch_h + h % a.patch_h) * a.patch_w + w % a.patch_w;
    return token * per_token + entry;
}

// TO_TOKENS: patchify (video -> tokens), else unpatchify. The flat index walks
// the video, so the video side is coalesced and the token side moves in runs
// of patch_w elements.
template <class T, bool TO_TOKENS>
__global__ void patch_kernel(PatchArgs a) {
    const int64_t n = a.batch * a.channels * a.frames * a.height * a.width;
    const T* src = static_cast<const T*>(a.src);
    T* dst = static_cast<T*>(a.dst);
    for (int64_t v = nn_first(); v < n; v += nn_step()) {
        const int64_t k = patch_token_index(a, v);
        if (TO_TOKENS) {
            dst[k] = src[v];
        } else {
            dst[v] = src[k];
        }
    }
}

struct Im2colArgs {
    const void* x;
    void* patches;
    int32_t kernel, stride;
    int64_t channels, height, width, channel_stride, frame_stride;
    int64_t row_begin, columns;  // columns = (row_end - row_begin) * wo
    int64_t ho, wo, patches_stride;
};

// The launcher's reading of the parameters (shared with native/tests/nn_host).
inline Im2colArgs make_im2col_args(const reel_im2col_params& p, const void* x, void* patches) {
    Im2colArgs a;
    a.x = x;
    a.patches = patches;
    a.kernel = p.kernel;
    a.stride = p.stride;
    a.channels = p.channels;
    a.height = p.height;
    a.width = p.width;
    a.channel_stride = p.channel_stride;
    a.frame_stride = p.frame_stride;
    a.row_begin = p.row_begin;
    a.ho = conv_output_size(p.height, p.stride);
    a.wo = conv_output_size(p.width, p.stride);
    a.columns = (p.row_end - p.row_begin) * a.wo;
    a.patches_stride = p.patches_stride;
    return a;
}

// Element (tap, col) of the patch matrix, tap = (c*k + u)*k + v, col =
// (r - row_begin)*wo + j with output row r = f*ho + i.
template <class T>
__global__ void im2col_kernel(Im2colArgs a) {
    const int64_t k = a.kernel, pad = (k - 1) / 2, s = a.stride;
    const int64_t n = a.channels * k * k * a.columns;
    const T* x = static_cast<const T*>(a.x);
    T* patches = static_cast<T*>(a.patches);
    for (int64_t e = nn_first(); e < n; e += nn_step()) {
        const int64_t tap = e / a.columns, col = e - tap * a.columns;
        const int64_t c = tap / (k * k), u = tap / k % k, v = tap % k;
        const int64_t rc = col / a.wo, j = col - rc * a.wo;
        const int64_t r = a.row_begin + rc, f = r / a.ho, i = r - f * a.ho;
        const int64_t y = s * i + u - pad, xx = s * j + v - pad;
        T value = 0;
        if (y >= 0 && y < a.height && xx >= 0 && xx < a.width) {
            value = x[c * a.channel_stride + f * a.frame_stride + y * a.width + xx];
        }
        patches[tap * a.patches_stride + col] = value;
    }
}

// out [planes, 2H, 2W] from x [planes, H, W]: out[p, i, j] = x[p, i/2, j/2].
template <class T>
__global__ void upsample_nearest2x_kernel(const void* x_, void* out_, int64_t planes, int64_t height, int64_t width) {
    const int64_t ow = 2 * width, n = planes * 2 * height * ow;
    const T* x = static_cast<const T*>(x_);
    T* out = static_cast<T*>(out_);
    for (int64_t e = nn_first(); e < n; e += nn_step()) {
        const int64_t row = e / ow, j = e - row * ow;  // row = p*2H + i
        const int64_t p = row / (2 * height), i = row - p * 2 * height;
        out[e] = x[(p * height + i / 2) * width + j / 2];
    }
}

}  // namespace nn
}  // namespace reel
