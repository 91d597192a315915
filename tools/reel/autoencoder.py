"""reel-vae-2d: the per-frame convolutional autoencoder whose latent space the next reel-dit
denoises. Written layer by layer so that the Java runtime can follow it; reel/autoencoder.md
states every formula and tensor name.

A frame x [3, H, W] with pixels mapped to [-1, 1] encodes to a latent z [C, H/f, W/f],
f = 2^(len(widths) - 1); a video [3, T, H, W] is encoded frame by frame into [C, T, H/f, W/f].
The only layers: 3x3 convolution (padding 1, stride 1, or stride 2 in the encoder's
downsampling), GroupNorm, SiLU, nearest 2x upsampling, residual addition. The encoder outputs a
diagonal Gaussian (mean, log-variance); the latent the transformer sees is the mean, normalised
per channel by the stored latent_mean / latent_std."""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

LOGVAR_RANGE = (-30.0, 20.0)


@dataclass
class AEConfig:
    architecture: str = "reel-vae-2d"
    image_channels: int = 3
    latent_channels: int = 4
    widths: tuple = (16, 32, 64, 96)    # channels at each resolution level, level 0 = full resolution
    encoder_blocks: int = 1             # residual blocks per level in the encoder
    decoder_blocks: int = 2             # and in the decoder
    groups: int = 8                     # GroupNorm groups (every width is a multiple)
    eps: float = 1e-6                   # GroupNorm epsilon
    latent_mean: tuple = None           # per latent channel: u = (z - latent_mean) / latent_std
    latent_std: tuple = None

    @property
    def factor(self):
        return 2 ** (len(self.widths) - 1)

    def to_json(self):
        d = asdict(self)
        d["widths"] = list(self.widths)
        for k in ("latent_mean", "latent_std"):
            if d[k] is not None:
                d[k] = [float(v) for v in d[k]]
        d["downsample"] = self.factor
        return d

    @staticmethod
    def from_json(d):
        d = dict(d)
        d["widths"] = tuple(d["widths"])
        for k in ("latent_mean", "latent_std"):
            if d.get(k) is not None:
                d[k] = tuple(float(v) for v in d[k])
        known = set(AEConfig.__dataclass_fields__)
        return AEConfig(**{k: v for k, v in d.items() if k in known})


class GroupNorm(nn.GroupNorm):
    """GroupNorm computed in float32 whatever the input (under bf16 CPU autocast the convolutions
    hand it bfloat16, which torch's CPU group_norm does not take with float32 weights)."""
    def forward(self, x):
        return F.group_norm(x.float(), self.num_groups, self.weight, self.bias, self.eps)


def conv3(cin, cout, stride=1):
    """3x3 convolution, zero padding 1 on every side; stride 2 halves an even size."""
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    """x + conv2(SiLU(norm2(conv1(SiLU(norm1(x)))))), the same channel count in and out."""
    def __init__(self, c, cfg):
        super().__init__()
        self.norm1 = GroupNorm(cfg.groups, c, eps=cfg.eps)
        self.conv1 = conv3(c, c)
        self.norm2 = GroupNorm(cfg.groups, c, eps=cfg.eps)
        self.conv2 = conv3(c, c)
        nn.init.zeros_(self.conv2.weight)   # a fresh block is the identity
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class EncoderLevel(nn.Module):
    def __init__(self, cfg, i):
        super().__init__()
        w = cfg.widths
        self.blocks = nn.ModuleList([ResBlock(w[i], cfg) for _ in range(cfg.encoder_blocks)])
        self.down = conv3(w[i], w[i + 1], stride=2) if i + 1 < len(w) else None

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.down(x) if self.down is not None else x


class DecoderLevel(nn.Module):
    def __init__(self, cfg, i):
        super().__init__()
        w = cfg.widths
        self.blocks = nn.ModuleList([ResBlock(w[i], cfg) for _ in range(cfg.decoder_blocks)])
        self.up = conv3(w[i], w[i - 1]) if i > 0 else None

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        if self.up is not None:
            x = self.up(F.interpolate(x, scale_factor=2, mode="nearest"))
        return x


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w = cfg.widths
        self.conv_in = conv3(cfg.image_channels, w[0])
        self.levels = nn.ModuleList([EncoderLevel(cfg, i) for i in range(len(w))])
        self.norm_out = GroupNorm(cfg.groups, w[-1], eps=cfg.eps)
        self.conv_out = conv3(w[-1], 2 * cfg.latent_channels)

    def forward(self, x):
        """x [B, 3, H, W] in [-1, 1] -> (mean, logvar) each [B, C, H/f, W/f]."""
        h = self.conv_in(x)
        for lv in self.levels:
            h = lv(h)
        m = self.conv_out(F.silu(self.norm_out(h)))
        mean, logvar = m.chunk(2, dim=1)
        return mean, logvar.clamp(*LOGVAR_RANGE)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w = cfg.widths
        self.conv_in = conv3(cfg.latent_channels, w[-1])
        self.levels = nn.ModuleList([DecoderLevel(cfg, i) for i in range(len(w))])
        self.norm_out = GroupNorm(cfg.groups, w[0], eps=cfg.eps)
        self.conv_out = conv3(w[0], cfg.image_channels)

    def forward(self, z):
        """z [B, C, h, w] (unnormalised latent) -> frames [B, 3, h*f, w*f], [-1, 1] nominal."""
        h = self.conv_in(z)
        for lv in reversed(self.levels):   # the lowest resolution first
            h = lv(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Autoencoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    # --- frames ---------------------------------------------------------------------------
    def forward(self, x, gen=None, sample=True):
        """Training pass: (reconstruction, mean, logvar); the decoder sees a posterior sample
        z = mean + exp(logvar / 2) * noise (the mean when sample is False)."""
        mean, logvar = self.encoder(x)
        z = mean
        if sample:
            z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen, dtype=mean.dtype)
        return self.decoder(z), mean, logvar

    # --- normalised latents of videos, what the transformer sees ----------------------------
    def _stats(self, like):
        c = self.cfg.latent_channels
        m = torch.zeros(c) if self.cfg.latent_mean is None else torch.tensor(self.cfg.latent_mean)
        s = torch.ones(c) if self.cfg.latent_std is None else torch.tensor(self.cfg.latent_std)
        return m.to(like.dtype).reshape(1, c, 1, 1, 1), s.to(like.dtype).reshape(1, c, 1, 1, 1)

    @torch.no_grad()
    def encode_video(self, video, chunk=32):
        """video [B, 3, T, H, W] in [-1, 1] -> normalised latent [B, C, T, H/f, W/f] (posterior
        mean, minus latent_mean, over latent_std)."""
        b, c, t, h, w = video.shape
        frames = video.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        z = torch.cat([self.encoder(frames[i:i + chunk])[0] for i in range(0, b * t, chunk)])
        z = z.reshape(b, t, *z.shape[1:]).permute(0, 2, 1, 3, 4)
        m, s = self._stats(z)
        return (z - m) / s

    @torch.no_grad()
    def decode_video(self, u, chunk=32):
        """normalised latent [B, C, T, h, w] -> video [B, 3, T, h*f, w*f] (not clamped)."""
        m, s = self._stats(u)
        z = u * s + m
        b, c, t, h, w = z.shape
        frames = z.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        x = torch.cat([self.decoder(frames[i:i + chunk]) for i in range(0, b * t, chunk)])
        return x.reshape(b, t, *x.shape[1:]).permute(0, 2, 1, 3, 4)


@torch.no_grad()
def latent_statistics(model, frames, chunk=32):
    """Per-channel (mean, std) of the posterior mean over frames [n, 3, H, W] in [-1, 1] (std with
    the biased variance): the latent_mean / latent_std that make the latent the transformer sees
    zero-mean and unit-variance on this data."""
    z = torch.cat([model.encoder(frames[i:i + chunk])[0] for i in range(0, len(frames), chunk)]).double()
    z = z.transpose(0, 1).reshape(z.shape[1], -1)
    return tuple(z.mean(dim=1).tolist()), tuple(z.std(dim=1, unbiased=False).tolist())


def kl_divergence(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, 1)), averaged over every latent element."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


def conv_flops(cfg, size):
    """Multiply-adds x 2 of one frame's encoder and decoder convolutions at size x size."""
    w, L = cfg.widths, len(cfg.widths)
    def c(cin, cout, s):
        return 2 * 9 * cin * cout * s * s
    s = [size // 2 ** i for i in range(L)]
    enc = c(cfg.image_channels, w[0], s[0]) + c(w[-1], 2 * cfg.latent_channels, s[-1])
    dec = c(cfg.latent_channels, w[-1], s[-1]) + c(w[0], cfg.image_channels, s[0])
    for i in range(L):
        enc += cfg.encoder_blocks * 2 * c(w[i], w[i], s[i])
        dec += cfg.decoder_blocks * 2 * c(w[i], w[i], s[i])
        if i + 1 < L:
            enc += c(w[i], w[i + 1], s[i + 1])
            dec += c(w[i + 1], w[i], s[i])
    return enc, dec
