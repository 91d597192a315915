package dev.reel.model;

import static dev.reel.model.Ops.at;

import dev.reel.ffi.ReelNative.AttentionParams;
import dev.reel.nn.Activation;
import dev.reel.nn.Linear;

/**
 * {@code blocks.{i}}, as in tools/reel/architecture.md:
 * <pre>
 * (shift_a, scale_a, gate_a, shift_m, scale_m, gate_m) = split6(ada(SiLU(c)))
 * x += gate_a ⊙ attn.proj(SelfAttn_mode(LN(x)·(1 + scale_a) + shift_a))
 * x += cross.proj(CrossAttn(LN_affine_norm_cross(x), ctx))
 * x += gate_m ⊙ mlp.fc2(GELU(mlp.fc1(LN(x)·(1 + scale_m) + shift_m)))
 * </pre>
 * The projections' biases fold into the activation or the gated residual that follows.
 */
final class DitBlock {
    /** Self-attention kinds of a block. */
    enum Mode { FULL, SPATIAL, TEMPORAL }

    private final Sizes s;
    private final Mode mode;
    private final Linear ada, qkv, proj, crossQ, crossKv, crossProj, fc1, fc2;
    private final long qNorm, kNorm, normCrossW, normCrossB, crossQNorm, crossKNorm;

    DitBlock(Weights w, Sizes s, int index) {
        this.s = s;
        this.mode = s.fullAttention ? Mode.FULL : index % 2 == 0 ? Mode.SPATIAL : Mode.TEMPORAL;
        String p = "blocks." + index + ".";
        ada = w.linear(p + "ada");
        qkv = w.linear(p + "attn.qkv");
        qNorm = w.weight(p + "attn.q_norm");
        kNorm = w.weight(p + "attn.k_norm");
        proj = w.linear(p + "attn.proj");
        normCrossW = w.weight(p + "norm_cross");
        normCrossB = w.bias(p + "norm_cross");
        crossQ = w.linear(p + "cross.q");
        crossKv = w.linear(p + "cross.kv");
        crossQNorm = w.weight(p + "cross.q_norm");
        crossKNorm = w.weight(p + "cross.k_norm");
        crossProj = w.linear(p + "cross.proj");
        fc1 = w.linear(p + "mlp.fc1");
        fc2 = w.linear(p + "mlp.fc2");
    }

    /** This block's cross-attention K and V of a prompt's text context: {@code kv [R·L, 2D]}, k normalised. */
    void crossKeysValues(Ops ops, long rows, long ctx, long kv) {
        long rl = rows * s.textLen;
        ops.linearBias(crossKv, rl, ctx, kv, Activation.NONE);
        ops.rmsNorm(rl, s.heads, s.headDim, kv, 2 * s.hidden, crossKNorm);
    }

    void forward(Ops ops, Workspace ws, long kv) {
        long r = ws.rows, rn = r * s.tokens, d = s.hidden, n = s.tokens, m = 6 * d;
        ops.linearBias(ada, r, ws.sc, ws.mod, Activation.NONE);

        ops.layerNorm(rn, d, ws.h, ws.y, 0, 0, at(ws.mod, 0), at(ws.mod, d), n, m);
        ops.linearBias(qkv, rn, ws.y, ws.qkv, Activation.NONE);
        ops.rmsNorm(rn, s.heads, s.headDim, ws.qkv, 3 * d, qNorm);
        ops.rmsNorm(rn, s.heads, s.headDim, at(ws.qkv, d), 3 * d, kNorm);
        ops.attention(selfAttention(ws), ws.qkv, at(ws.qkv, d), at(ws.qkv, 2 * d), ws.o);
        ops.linear(proj, rn, ws.o, ws.a);
        ops.residual(rn, d, ws.h, ws.a, proj.bias(), at(ws.mod, 2 * d), n, m);

        ops.layerNorm(rn, d, ws.h, ws.y, normCrossW, normCrossB, 0, 0, 1, 0);
        ops.linearBias(crossQ, rn, ws.y, ws.q, Activation.NONE);
        ops.rmsNorm(rn, s.heads, s.headDim, ws.q, d, crossQNorm);
        ops.attention(ws.cross, ws.q, kv, at(kv, d), ws.o);
        ops.linear(crossProj, rn, ws.o, ws.a);
        ops.residual(rn, d, ws.h, ws.a, crossProj.bias(), 0, 1, 0);

        ops.layerNorm(rn, d, ws.h, ws.y, 0, 0, at(ws.mod, 3 * d), at(ws.mod, 4 * d), n, m);
        ops.linearBias(fc1, rn, ws.y, ws.f, Activation.GELU_TANH);
        ops.linear(fc2, rn, ws.f, ws.a);
        ops.residual(rn, d, ws.h, ws.a, fc2.bias(), at(ws.mod, 5 * d), n, m);
    }

    private AttentionParams selfAttention(Workspace ws) {
        return switch (mode) {
            case FULL -> ws.full;
            case SPATIAL -> ws.spatial;
            case TEMPORAL -> ws.temporal;
        };
    }
}
