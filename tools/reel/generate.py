"""Text to video with the twin, exactly as the Java runtime does it: Philox initial noise
(seed, stream 0, row-major over [C, T, H, W]), batched cond + uncond forward, flow Euler."""
import numpy as np
import torch

from . import philox
from .flow import sample_euler


def initial_noise(cfg, seed):
    return torch.from_numpy(philox.noise((cfg.channels, cfg.frames, cfg.height, cfg.width), seed, 0))


def generate(model, vocab, prompts, seeds, steps=None, guidance=None, negative="", trace=None, interval=None):
    """Returns videos [B, C, T, H, W] in [-1, 1]-ish for each (prompt, seed); steps, guidance and
    the guidance interval default to the model's."""
    cfg = model.cfg
    steps = cfg.steps if steps is None else steps
    guidance = cfg.guidance if guidance is None else guidance
    interval = tuple(cfg.guidance_interval) if interval is None else tuple(interval)
    enc = [vocab.encode(p) for p in prompts]
    ids = torch.tensor([e[0] for e in enc])
    lens = torch.tensor([e[1] for e in enc])
    u_ids, u_len = vocab.encode(negative)
    u_ids = torch.tensor([u_ids] * len(prompts))
    u_len = torch.tensor([u_len] * len(prompts))
    noise = torch.stack([initial_noise(cfg, s) for s in seeds])
    return sample_euler(model, noise, ids, lens, u_ids, u_len, steps, guidance, cfg.shift, trace, interval)
