package dev.reel.model;

/** The sizes of a reel-dit forward, read once from its config. */
final class Sizes {
    final long channels, frames, height, width;
    final long pt, ph, pw;
    final long gt, gh, gw;
    final long tokens;       // N
    final long patchDim;     // P
    final long hidden;       // D
    final long heads, headDim;
    final long mlp;          // mlp_ratio · D
    final long textHeads, textHeadDim, textLen;
    final long timestepDim;
    final int depth, textLayers;
    final int ropeT, ropeH, ropeW;
    final float ropeTheta;
    final double timestepScale;
    final boolean fullAttention;

    Sizes(ModelConfig c) {
        channels = c.channels();
        frames = c.frames();
        height = c.height();
        width = c.width();
        pt = c.patchT();
        ph = c.patchH();
        pw = c.patchW();
        gt = frames / pt;
        gh = height / ph;
        gw = width / pw;
        tokens = gt * gh * gw;
        patchDim = channels * pt * ph * pw;
        hidden = c.hidden();
        heads = c.heads();
        headDim = hidden / heads;
        mlp = (long) c.mlpRatio() * hidden;
        textHeads = c.textHeads();
        textHeadDim = hidden / textHeads;
        textLen = c.maxTokens();
        timestepDim = c.timestepDim();
        depth = c.depth();
        textLayers = c.textLayers();
        int[] rope = c.ropeSections();
        ropeT = rope[0];
        ropeH = rope[1];
        ropeW = rope[2];
        ropeTheta = (float) c.ropeTheta();
        timestepScale = c.timestepScale();
        fullAttention = c.attention() == ModelConfig.Attention.FULL;
    }

    /** Elements of one latent video {@code [C, T, H, W]}. */
    long latentSize() {
        return channels * frames * height * width;
    }
}
