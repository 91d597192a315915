package dev.reel.model;

import dev.reel.Tensor;
import dev.reel.ffi.ReelNative.AttentionParams;
import dev.reel.nn.Activation;
import dev.reel.nn.Linear;

/**
 * {@code text}: token and position embeddings, {@code text_layers} pre-LN layers
 * over the valid tokens, and the word skip:
 * {@code ctx = LN_affine_norm(u) + LN_affine_word_norm(u₀)}.
 */
final class TextEncoder {
    private record Layer(long norm1W, long norm1B, Linear qkv, Linear proj, long norm2W, long norm2B, Linear fc1,
                         Linear fc2) {}

    private final Sizes s;
    private final long tokEmbed, posEmbed, vocab;
    private final long normW, normB, wordNormW, wordNormB;
    private final Layer[] layers;

    TextEncoder(Weights w, Sizes s, long vocab) {
        this.s = s;
        this.vocab = vocab;
        tokEmbed = w.address("text.tok_embed");
        posEmbed = w.address("text.pos_embed");
        normW = w.weight("text.norm");
        normB = w.bias("text.norm");
        wordNormW = w.weight("text.word_norm");
        wordNormB = w.bias("text.word_norm");
        layers = new Layer[s.textLayers];
        for (int i = 0; i < layers.length; i++) {
            String p = "text.layers." + i + ".";
            layers[i] = new Layer(w.weight(p + "norm1"), w.bias(p + "norm1"), w.linear(p + "qkv"), w.linear(p + "proj"),
                    w.weight(p + "norm2"), w.bias(p + "norm2"), w.linear(p + "mlp.fc1"), w.linear(p + "mlp.fc2"));
        }
    }

    /** Writes {@code ctx [R, L, D]} for token ids {@code [R, L]} with valid lengths {@code [R]} (int64 addresses). */
    void forward(Ops ops, long rows, long ids, long lengths, long ctx) {
        long rl = rows * s.textLen, d = s.hidden;
        Tensor u = Buffers.owned(ops.device, rl * d);
        Tensor words = Buffers.owned(ops.device, rl * d);
        Tensor y = Buffers.owned(ops.device, rl * d);
        Tensor qkv = Buffers.owned(ops.device, rl * 3 * d);
        Tensor o = Buffers.owned(ops.device, rl * d);
        Tensor f = Buffers.owned(ops.device, rl * 4 * d);
        try (u; words; y; qkv; o; f; AttentionParams attention = AttentionCalls.text(s, rows, ops.attentionDtype())) {
            attention.context_lens(lengths);
            ops.embedding(rl, d, ids, tokEmbed, vocab, posEmbed, s.textLen, (float) Math.sqrt(d), u.address());
            ops.layerNorm(rl, d, u.address(), words.address(), wordNormW, wordNormB, 0, 0, 1, 0);
            for (Layer layer : layers) {
                ops.layerNorm(rl, d, u.address(), y.address(), layer.norm1W, layer.norm1B, 0, 0, 1, 0);
                ops.linearBias(layer.qkv, rl, y.address(), qkv.address(), Activation.NONE);
                ops.attention(attention, qkv.address(), Ops.at(qkv.address(), d), Ops.at(qkv.address(), 2 * d),
                        o.address());
                ops.linear(layer.proj, rl, o.address(), y.address());
                ops.residual(rl, d, u.address(), y.address(), layer.proj.bias(), 0, 1, 0);
                ops.layerNorm(rl, d, u.address(), y.address(), layer.norm2W, layer.norm2B, 0, 0, 1, 0);
                ops.linearBias(layer.fc1, rl, y.address(), f.address(), Activation.GELU_TANH);
                ops.linear(layer.fc2, rl, f.address(), y.address());
                ops.residual(rl, d, u.address(), y.address(), layer.fc2.bias(), 0, 1, 0);
            }
            ops.layerNorm(rl, d, u.address(), ctx, normW, normB, 0, 0, 1, 0);
            ops.residual(rl, d, ctx, words.address(), 0, 0, 1, 0);
        }
    }
}
