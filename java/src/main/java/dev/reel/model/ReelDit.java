package dev.reel.model;

import static dev.reel.model.Ops.at;

import dev.reel.Tensor;
import dev.reel.nn.Activation;
import dev.reel.nn.Layers;
import dev.reel.nn.Linear;
import java.util.List;
import org.bytedeco.javacpp.LongPointer;

/**
 * The reel-dit forward on libreel's kernels and OpenBLAS, line for line with
 * tools/reel/architecture.md: patch embedding, timestep and pooled-text
 * conditioning, the blocks, the final layer, unpatchify.
 */
final class ReelDit implements AutoCloseable {
    /** Receives intermediate results (for the parity tests against the twin's traces). */
    interface Probe {
        Probe NONE = (name, address, elements) -> {};

        void at(String name, long address, long elements);
    }

    final Sizes s;
    private final long vocab;
    private final Linear patchEmbed, tFc1, tFc2, pool, finalAda, finalLinear;
    private final Tensor posBias;       // pos_embed + patch_embed.bias, [N, D]
    private final Tensor promptBias;    // pool.bias + t_embed.fc2.bias, [D]
    private final TextEncoder text;
    private final DitBlock[] blocks;
    private final String[] blockNames;

    ReelDit(Ops ops, Weights w, Sizes s, long vocab) {
        this.s = s;
        this.vocab = vocab;
        patchEmbed = w.linear("patch_embed");
        tFc1 = w.linear("t_embed.fc1");
        tFc2 = w.linear("t_embed.fc2");
        pool = w.linear("pool");
        finalAda = w.linear("final.ada");
        finalLinear = w.linear("final.linear");
        text = new TextEncoder(w, s, vocab);
        blocks = new DitBlock[s.depth];
        blockNames = new String[s.depth];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new DitBlock(w, s, i);
            blockNames[i] = "block" + i;
        }
        posBias = Buffers.owned(ops.device, s.tokens * s.hidden);
        promptBias = Buffers.owned(ops.device, s.hidden);
        try {
            Layers.biasAct(ops.device, ops.stream, s.tokens, s.hidden, w.address("pos_embed"), s.hidden,
                    posBias.address(), s.hidden, patchEmbed.bias(), 1, Activation.NONE);
            Layers.biasAct(ops.device, ops.stream, 1, s.hidden, pool.bias(), s.hidden, promptBias.address(), s.hidden,
                    tFc2.bias(), 1, Activation.NONE);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Everything that depends only on the prompts, once per generation. */
    PromptContext encode(Ops ops, VideoModel owner, List<Prompt> prompts, Probe probe) {
        int rows = prompts.size();
        long l = s.textLen, d = s.hidden;
        LongPointer ids = new LongPointer(rows * l);
        LongPointer lengths = new LongPointer(rows);
        for (int r = 0; r < rows; r++) {
            Prompt p = prompts.get(r);
            int[] tokens = p.ids();
            for (int j = 0; j < l; j++) {
                ids.put(r * l + j, tokens[j]);
            }
            lengths.put(r, p.length());
        }
        PromptContext context;
        Tensor idsOnDevice = null, lengthsOnDevice = null, ctx = null, bias = null;
        Tensor[] kv = new Tensor[blocks.length];
        try {
            if (ops.device.isCuda()) {   // the kernels read ids and lengths where they run
                idsOnDevice = Buffers.int64(ops.device, ids.address(), rows * l, ops.stream);
                lengthsOnDevice = Buffers.int64(ops.device, lengths.address(), rows, ops.stream);
            }
            ctx = Buffers.owned(ops.device, rows * l * d);
            bias = Buffers.owned(ops.device, rows * d);
        } catch (RuntimeException e) {
            for (Tensor t : new Tensor[] {idsOnDevice, lengthsOnDevice, ctx, bias}) {
                if (t != null) {
                    t.close();
                }
            }
            ids.close();
            lengths.close();
            throw e;
        }
        context = new PromptContext(owner, prompts, ids, lengths, idsOnDevice, lengthsOnDevice, ctx, bias, kv);
        try (Tensor pooled = Buffers.owned(ops.device, rows * d)) {
            text.forward(ops, rows, context.idsAt, context.lengthsAt, ctx.address());
            probe.at("text", ctx.address(), rows * l * d);
            ops.maskedMean(rows, l, d, ctx.address(), context.lengthsAt, pooled.address());
            ops.linear(pool, rows, pooled.address(), bias.address());
            ops.bias(rows, d, bias.address(), promptBias.address(), Activation.NONE);
            for (int i = 0; i < blocks.length; i++) {
                kv[i] = Buffers.owned(ops.device, rows * l * 2 * d);
                blocks[i].crossKeysValues(ops, rows, ctx.address(), kv[i].address());
            }
            return context;
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    /** {@code out [R, C, T, H, W] = model(x [R, C, T, H, W], t from ws.t)}; x and out may not overlap. */
    void forward(Ops ops, Workspace ws, PromptContext p, long x, long out, Probe probe) {
        long r = ws.rows, rn = r * s.tokens, d = s.hidden;
        ops.patchify(s, r, x, ws.tokens);
        ops.linear(patchEmbed, rn, ws.tokens, ws.h);
        ops.biasAct(rn, d, ws.h, ws.h, posBias.address(), s.tokens, Activation.NONE);
        probe.at("embed", ws.h, rn * d);

        ops.timestepEmbedding(r, s.timestepDim, s.timestepScale, ws.times, ws.e);
        ops.linearBias(tFc1, r, ws.e, ws.c1, Activation.SILU);
        ops.linear(tFc2, r, ws.c1, ws.c);
        ops.residual(r, d, ws.c, p.promptBias.address(), 0, 0, 1, 0);
        probe.at("conditioning", ws.c, r * d);
        ops.biasAct(r, d, ws.c, ws.sc, 0, 1, Activation.SILU);

        ws.cross.context_lens(p.lengthsAt);   // padding keys of the text get weight 0
        for (int i = 0; i < blocks.length; i++) {
            blocks[i].forward(ops, ws, p.kv[i].address());
            probe.at(blockNames[i], ws.h, rn * d);
        }

        ops.linearBias(finalAda, r, ws.sc, ws.fmod, Activation.NONE);
        ops.layerNorm(rn, d, ws.h, ws.y, 0, 0, at(ws.fmod, 0), at(ws.fmod, d), s.tokens, 2 * d);
        ops.linearBias(finalLinear, rn, ws.y, ws.tokens, Activation.NONE);
        probe.at("final", ws.tokens, rn * s.patchDim);
        ops.unpatchify(s, r, ws.tokens, out);
    }

    long vocabularySize() {
        return vocab;
    }

    @Override
    public void close() {
        posBias.close();
        promptBias.close();
    }
}
