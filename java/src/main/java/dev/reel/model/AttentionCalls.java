package dev.reel.model;

import dev.reel.DType;
import dev.reel.ffi.ReelNative;
import dev.reel.ffi.ReelNative.AttentionParams;

/**
 * The attention calls of a reel-dit forward as libreel parameter structs, made once
 * per (model, batch) and reused at every step. Q, K and V are read in place from the
 * packed projections ({@code qkv [rows, 3, heads, d]}, {@code kv [rows, 2, heads, d]})
 * through strides: no permute copies. The dtype is the storage the kernel is told of:
 * fp32 on the CPU, bf16 on CUDA ({@link Ops#attention} converts into it).
 */
final class AttentionCalls {
    private AttentionCalls() {}

    /** Video self-attention with 3D RoPE; q, k, v in one {@code [R, N, 3, heads, d]} buffer. */
    static AttentionParams self(Sizes s, long batch, int mode, DType dtype) {
        AttentionParams p = base(mode, dtype, batch, s.gt, s.gh, s.gw, s.heads, s.headDim);
        long d3 = 3 * s.hidden;
        strides(p, s.tokens * d3, d3, s.headDim, s.tokens * d3, d3, s.headDim, s.tokens * d3, d3, s.headDim,
                s.tokens * s.hidden, s.hidden, s.headDim);
        p.rope(1).rope_dt(s.ropeT).rope_dh(s.ropeH).rope_dw(s.ropeW).rope_theta(s.ropeTheta);
        return p;
    }

    /** Video tokens to the text context: q {@code [R, N, heads, d]}, k and v in {@code [R, L, 2, heads, d]}. */
    static AttentionParams cross(Sizes s, long batch, DType dtype) {
        AttentionParams p = base(ReelNative.REEL_ATTENTION_CROSS, dtype, batch, s.gt, s.gh, s.gw, s.heads, s.headDim);
        long d2 = 2 * s.hidden;
        strides(p, s.tokens * s.hidden, s.hidden, s.headDim, s.textLen * d2, d2, s.headDim, s.textLen * d2, d2,
                s.headDim, s.tokens * s.hidden, s.hidden, s.headDim);
        p.context_len(s.textLen);
        return p;
    }

    /** The text encoder's self-attention over the valid prompt tokens, as CROSS over a 1×1×L "video". */
    static AttentionParams text(Sizes s, long batch, DType dtype) {
        AttentionParams p = base(ReelNative.REEL_ATTENTION_CROSS, dtype, batch, 1, 1, s.textLen, s.textHeads, s.textHeadDim);
        long d3 = 3 * s.hidden;
        strides(p, s.textLen * d3, d3, s.textHeadDim, s.textLen * d3, d3, s.textHeadDim, s.textLen * d3, d3,
                s.textHeadDim, s.textLen * s.hidden, s.hidden, s.textHeadDim);
        p.context_len(s.textLen);
        return p;
    }

    private static AttentionParams base(int mode, DType dtype, long batch, long t, long h, long w, long heads, long d) {
        AttentionParams p = new AttentionParams();
        p.mode(mode).dtype(dtype.code()).batch(batch).frames(t).height(h).width(w).heads(heads).head_dim(d);
        p.tile_t(1).tile_h(1).tile_w(1).scale(0f);
        return p;
    }

    private static void strides(AttentionParams p, long qb, long qn, long qh, long kb, long kn, long kh, long vb, long vn,
                                long vh, long ob, long on, long oh) {
        p.q_stride_b(qb).q_stride_n(qn).q_stride_h(qh);
        p.k_stride_b(kb).k_stride_n(kn).k_stride_h(kh);
        p.v_stride_b(vb).v_stride_n(vn).v_stride_h(vh);
        p.o_stride_b(ob).o_stride_n(on).o_stride_h(oh);
    }
}
