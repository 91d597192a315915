"""reel-dit: the diffusion transformer of Reel's model folders, written layer by layer so that
the Java runtime can follow it line for line. Every formula is restated in tools/README.md.

Conventions: a Linear is y = x W^T + b with W [out, in]; LayerNorm and RMSNorm use eps 1e-6;
a video latent is [C, T, H, W]; its patches (pt, ph, pw) give tokens in t-major order
n = (t*Hp + h)*Wp + w, and a token's vector is the patch in (c, dt, dh, dw) row-major order."""
import math
from dataclasses import dataclass, asdict, field

import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-6


@dataclass
class Config:
    architecture: str = "reel-dit"
    channels: int = 3
    frames: int = 8
    height: int = 32
    width: int = 32
    patch: tuple = (2, 4, 4)
    hidden: int = 128
    depth: int = 6
    heads: int = 4
    mlp_ratio: int = 4
    attention: str = "factorised"   # or "full"
    rope_theta: float = 10000.0
    rope_sections: tuple = (8, 12, 12)  # (dt, dh, dw), sums to head_dim
    text_layers: int = 2
    text_heads: int = 4
    vocab_size: int = 35
    max_tokens: int = 16
    timestep_dim: int = 256
    timestep_scale: float = 1000.0
    prediction: str = "flow_velocity"   # or "flow_sample": the output is x0 (reel/flow.py)
    sampler: str = "flow_euler"
    steps: int = 25
    guidance: float = 4.0
    guidance_interval: tuple = (0.0, 1.0)   # guidance applies at flow times t in [from, to], else cond alone
    shift: float = 5.0

    @property
    def grid(self):
        pt, ph, pw = self.patch
        return self.frames // pt, self.height // ph, self.width // pw

    @property
    def tokens(self):
        t, h, w = self.grid
        return t * h * w

    @property
    def patch_dim(self):
        pt, ph, pw = self.patch
        return self.channels * pt * ph * pw

    @property
    def head_dim(self):
        return self.hidden // self.heads

    def to_json(self):
        d = asdict(self)
        d["patch"] = list(self.patch)
        d["rope_sections"] = list(self.rope_sections)
        d["guidance_interval"] = list(self.guidance_interval)
        return d

    @staticmethod
    def from_json(d):
        d = dict(d)
        d["patch"] = tuple(d["patch"])
        d["rope_sections"] = tuple(d["rope_sections"])
        if "guidance_interval" in d:
            d["guidance_interval"] = tuple(float(v) for v in d["guidance_interval"])
        known = set(Config.__dataclass_fields__)
        return Config(**{k: v for k, v in d.items() if k in known})


def patchify(x, patch):
    """[B, C, T, H, W] -> [B, N, C*pt*ph*pw]."""
    b, c, t, h, w = x.shape
    pt, ph, pw = patch
    x = x.reshape(b, c, t // pt, pt, h // ph, ph, w // pw, pw)
    x = x.permute(0, 2, 4, 6, 1, 3, 5, 7)
    return x.reshape(b, (t // pt) * (h // ph) * (w // pw), c * pt * ph * pw)


def unpatchify(x, patch, channels, grid):
    b = x.shape[0]
    pt, ph, pw = patch
    tg, hg, wg = grid
    x = x.reshape(b, tg, hg, wg, channels, pt, ph, pw)
    x = x.permute(0, 4, 1, 5, 2, 6, 3, 7)
    return x.reshape(b, channels, tg * pt, hg * ph, wg * pw)


def timestep_embedding(t, dim, scale):
    """Sinusoidal: args_j = scale*t * exp(-ln(10000) * j / (dim/2)); out = [cos(args), sin(args)]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = (t.float() * scale)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope_tables(cfg):
    """cos, sin [N, head_dim/2]: pair i of the head dim (elements 2i, 2i+1) rotates by
    pos_axis * theta^(-2j/d_axis), j the pair's index inside its axis section, sections (dt, dh, dw)
    in that order, pos_axis the token's patch index along t, h or w."""
    tg, hg, wg = cfg.grid
    tt, hh, ww = torch.meshgrid(torch.arange(tg), torch.arange(hg), torch.arange(wg), indexing="ij")
    pos = [tt.reshape(-1).double(), hh.reshape(-1).double(), ww.reshape(-1).double()]
    angles = []
    for p, d in zip(pos, cfg.rope_sections):
        j = torch.arange(d // 2, dtype=torch.float64)
        inv = cfg.rope_theta ** (-2.0 * j / d)
        angles.append(p[:, None] * inv[None])
    a = torch.cat(angles, dim=1)
    return torch.cos(a).float(), torch.sin(a).float()


def apply_rope(x, cos, sin):
    """x [B, N, heads, d]; (x0, x1) of each pair -> (x0*cos - x1*sin, x0*sin + x1*cos)."""
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    out = torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1)
    return out.flatten(-2)


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x^2) + eps) * weight, over the last dim."""
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def attend(q, k, v, key_mask=None):
    """q, k, v [B, heads, N, d]; q is scaled by 1/sqrt(d) before the product; key_mask [B, M] bool
    (True = valid key)."""
    q = q * (q.shape[-1] ** -0.5)
    s = q @ k.transpose(-1, -2)
    if key_mask is not None:
        s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    return torch.softmax(s, dim=-1) @ v


class SelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.qkv = nn.Linear(cfg.hidden, 3 * cfg.hidden)
        self.q_norm = RMSNorm(cfg.head_dim)
        self.k_norm = RMSNorm(cfg.head_dim)
        self.proj = nn.Linear(cfg.hidden, cfg.hidden)

    def forward(self, x, mode, cos, sin):
        """mode: 'full' (all N tokens), 'spatial' (tokens of one latent frame), 'temporal' (tokens at
        one (h, w) position across latent frames). RoPE is applied in every mode."""
        b, n, dm = x.shape
        h, d = self.cfg.heads, self.cfg.head_dim
        q, k, v = self.qkv(x).reshape(b, n, 3, h, d).unbind(2)
        q = apply_rope(self.q_norm(q), cos, sin)
        k = apply_rope(self.k_norm(k), cos, sin)
        tg, hg, wg = self.cfg.grid
        if mode == "full":
            groups = lambda z: z.permute(0, 2, 1, 3)                                   # [B,h,N,d]
            o = attend(groups(q), groups(k), groups(v)).permute(0, 2, 1, 3)
        elif mode == "spatial":
            groups = lambda z: z.reshape(b * tg, hg * wg, h, d).permute(0, 2, 1, 3)
            o = attend(groups(q), groups(k), groups(v)).permute(0, 2, 1, 3)
        elif mode == "temporal":
            groups = lambda z: (z.reshape(b, tg, hg * wg, h, d).permute(0, 2, 3, 1, 4)
                                .reshape(b * hg * wg, h, tg, d))
            o = attend(groups(q), groups(k), groups(v))                                # [B*HW,h,T,d]
            o = o.reshape(b, hg * wg, h, tg, d).permute(0, 3, 1, 2, 4)
        else:
            raise ValueError(mode)
        return self.proj(o.reshape(b, n, dm))


class CrossAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.q = nn.Linear(cfg.hidden, cfg.hidden)
        self.kv = nn.Linear(cfg.hidden, 2 * cfg.hidden)
        self.q_norm = RMSNorm(cfg.head_dim)
        self.k_norm = RMSNorm(cfg.head_dim)
        self.proj = nn.Linear(cfg.hidden, cfg.hidden)

    def forward(self, x, ctx, ctx_mask):
        b, n, dm = x.shape
        m = ctx.shape[1]
        h, d = self.cfg.heads, self.cfg.head_dim
        q = self.q_norm(self.q(x).reshape(b, n, h, d)).permute(0, 2, 1, 3)
        k, v = self.kv(ctx).reshape(b, m, 2, h, d).unbind(2)
        k = self.k_norm(k).permute(0, 2, 1, 3)
        v = v.permute(0, 2, 1, 3)
        o = attend(q, k, v, ctx_mask).permute(0, 2, 1, 3)
        return self.proj(o.reshape(b, n, dm))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def layer_norm(x):
    return F.layer_norm(x, x.shape[-1:], eps=EPS)


class Block(nn.Module):
    """x += gate_a * SelfAttn(LN(x)*(1+scale_a)+shift_a)
       x += CrossAttn(LN_affine(x), text)
       x += gate_m * Mlp(LN(x)*(1+scale_m)+shift_m)
    with (shift_a, scale_a, gate_a, shift_m, scale_m, gate_m) = chunk6(ada(SiLU(c)))."""
    def __init__(self, cfg):
        super().__init__()
        self.ada = nn.Linear(cfg.hidden, 6 * cfg.hidden)
        self.attn = SelfAttention(cfg)
        self.norm_cross = nn.LayerNorm(cfg.hidden, eps=EPS)
        self.cross = CrossAttention(cfg)
        self.mlp = Mlp(cfg.hidden, cfg.mlp_ratio * cfg.hidden)

    def forward(self, x, c, ctx, ctx_mask, mode, cos, sin):
        sa, ca, ga, sm, cm, gm = self.ada(F.silu(c))[:, None, :].chunk(6, dim=-1)
        x = x + ga * self.attn(layer_norm(x) * (1 + ca) + sa, mode, cos, sin)
        x = x + self.cross(self.norm_cross(x), ctx, ctx_mask)
        x = x + gm * self.mlp(layer_norm(x) * (1 + cm) + sm)
        return x


class TextLayer(nn.Module):
    """Pre-LN transformer layer: x += Attn(LN(x)) over valid tokens; x += Mlp(LN(x)). No RoPE,
    no QK norm (positions come from text.pos_embed)."""
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=EPS)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=EPS)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x, mask):
        b, n, dm = x.shape
        h = self.heads
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, h, dm // h).permute(2, 0, 3, 1, 4)
        o = attend(q, k, v, mask).permute(0, 2, 1, 3).reshape(b, n, dm)
        x = x + self.proj(o)
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_embed = nn.Parameter(torch.randn(cfg.vocab_size, cfg.hidden) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(cfg.max_tokens, cfg.hidden) * 0.02)
        self.layers = nn.ModuleList([TextLayer(cfg.hidden, cfg.text_heads) for _ in range(cfg.text_layers)])
        self.norm = nn.LayerNorm(cfg.hidden, eps=EPS)
        # a skip around the layers: each word's own embedding, normalised, added to the output.
        # Without it the layers' common component (norms in the hundreds) drowned the words that
        # change few pixels (shape, direction) after the final LayerNorm. Its gain starts at 0.5:
        # from zero it grew too slowly (norm 0.07 after 500 steps) to be used.
        self.word_norm = nn.LayerNorm(cfg.hidden, eps=EPS)
        nn.init.constant_(self.word_norm.weight, 0.5)

    def forward(self, ids, lengths):
        mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
        # token embeddings scaled by sqrt(D) (as in the original Transformer) so that the words,
        # not the positions or the layers' biases, dominate the residual stream
        x = self.tok_embed[ids] * math.sqrt(self.tok_embed.shape[1]) + self.pos_embed[None, : ids.shape[1]]
        words = self.word_norm(x)
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x) + words, mask


class TimestepEmbedder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.fc1 = nn.Linear(cfg.timestep_dim, cfg.hidden)
        self.fc2 = nn.Linear(cfg.hidden, cfg.hidden)

    def forward(self, t):
        e = timestep_embedding(t, self.cfg.timestep_dim, self.cfg.timestep_scale)
        return self.fc2(F.silu(self.fc1(e)))


class FinalLayer(nn.Module):
    """out = linear(LN(x)*(1+scale)+shift), (shift, scale) = chunk2(ada(SiLU(c)))."""
    def __init__(self, cfg):
        super().__init__()
        self.ada = nn.Linear(cfg.hidden, 2 * cfg.hidden)
        self.linear = nn.Linear(cfg.hidden, cfg.patch_dim)

    def forward(self, x, c):
        shift, scale = self.ada(F.silu(c))[:, None, :].chunk(2, dim=-1)
        return self.linear(layer_norm(x) * (1 + scale) + shift)


class ReelDiT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = nn.Linear(cfg.patch_dim, cfg.hidden)
        self.pos_embed = nn.Parameter(torch.randn(cfg.tokens, cfg.hidden) * 0.02)
        self.t_embed = TimestepEmbedder(cfg)
        self.text = TextEncoder(cfg)
        self.pool = nn.Linear(cfg.hidden, cfg.hidden)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.final = FinalLayer(cfg)
        cos, sin = rope_tables(cfg)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self._init()

    def _init(self):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.t_embed.fc1.weight, std=0.02)
        nn.init.normal_(self.t_embed.fc2.weight, std=0.02)
        for blk in self.blocks:  # adaLN-Zero: every block starts as the identity
            nn.init.zeros_(blk.ada.weight)
            nn.init.zeros_(blk.ada.bias)
        nn.init.zeros_(self.pool.weight)  # starts as timestep-only conditioning
        nn.init.zeros_(self.final.ada.weight)
        nn.init.zeros_(self.final.ada.bias)
        nn.init.zeros_(self.final.linear.weight)
        nn.init.zeros_(self.final.linear.bias)

    def block_mode(self, i):
        """factorised: even blocks attend spatially, odd blocks temporally; full: every block 3D."""
        if self.cfg.attention == "full":
            return "full"
        if self.cfg.attention == "factorised":
            return "spatial" if i % 2 == 0 else "temporal"
        raise ValueError("unknown attention kind " + self.cfg.attention)

    def forward(self, x, t, ids, lengths, trace=None):
        """x [B, C, T, H, W] noisy latent, t [B] in [0, 1] (1 = pure noise), ids [B, L], lengths [B].
        Returns the predicted flow velocity (noise - data), same shape as x. If trace is a list,
        appends (name, tensor) after the embedding, after every block and at the end."""
        cfg = self.cfg
        h = self.patch_embed(patchify(x, cfg.patch)) + self.pos_embed[None]
        ctx, mask = self.text(ids, lengths)
        pooled = (ctx * mask[..., None]).sum(1) / lengths[:, None].to(ctx.dtype)
        c = self.t_embed(t) + self.pool(pooled)
        if trace is not None:
            trace += [("embed", h), ("conditioning", c), ("text", ctx)]
        for i, blk in enumerate(self.blocks):
            h = blk(h, c, ctx, mask, self.block_mode(i), self.rope_cos, self.rope_sin)
            if trace is not None:
                trace.append(("block%d" % i, h))
        out = self.final(h, c)
        if trace is not None:
            trace.append(("final", out))
        return unpatchify(out, cfg.patch, cfg.channels, cfg.grid)
