"""Procedural captioned videos: one coloured shape moving over a plain background.

Pixels are in [0, 1] here; the model sees them mapped to [-1, 1]. A video is [3, T, H, W]
(channels, frames, rows, columns); y grows downwards, so "up" is -y."""
import math
import random

import numpy as np

from .vocab import Caption, Vocabulary

RADIUS = (4.5, 6.5)     # shape size, pixels
SPEED = (1.2, 1.8)      # pixels per frame along each moving axis
SUPERSAMPLE = 3         # edge anti-aliasing


def inside(shape, dx, dy, r):
    """Boolean mask of points (dx, dy) relative to the shape's centre, size r."""
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) <= 0.85 * r
    if shape == "triangle":  # apex up, base below the centre
        return (dy <= 0.7 * r) & (np.abs(dx) <= (dy + r) * 0.6)
    if shape == "diamond":
        return np.abs(dx) + np.abs(dy) <= 1.15 * r
    raise ValueError("unknown shape " + shape)


def coverage(shape, cx, cy, r, size):
    """Anti-aliased coverage in [0,1] of a shape centred at (cx, cy) on a size x size grid."""
    s = SUPERSAMPLE
    offs = (np.arange(s) + 0.5) / s
    ys = (np.arange(size)[:, None] + offs[None, :]).reshape(-1)
    xs = ys
    m = inside(shape, xs[None, :] - cx, ys[:, None] - cy, r).astype(np.float32)
    return m.reshape(size, s, size, s).mean(axis=(1, 3))


def render(caption, vocab, frames, size, rng, background=None, params=None):
    """Returns (video [3, T, size, size] float32 in [0,1], params dict)."""
    bg_name = background or caption.background
    if params is None:
        r = rng.uniform(*RADIUS)
        speed = rng.uniform(*SPEED)
        dx, dy = vocab.data["directions"][caption.direction]
        travel = speed * (frames - 1)
        lo, hi = r + 1.0, size - r - 1.0

        def start(d):
            if d > 0:
                return rng.uniform(lo, hi - travel)
            if d < 0:
                return rng.uniform(lo + travel, hi)
            return rng.uniform(lo, hi)
        params = dict(r=r, x0=start(dx), y0=start(dy), vx=dx * speed, vy=dy * speed)
    colour = np.array(vocab.data["colours"][caption.colour], np.float32)
    bg = np.array(vocab.data["backgrounds"][bg_name], np.float32)
    video = np.empty((3, frames, size, size), np.float32)
    for t in range(frames):
        cov = coverage(caption.shape, params["x0"] + params["vx"] * t,
                       params["y0"] + params["vy"] * t, params["r"], size)
        video[:, t] = bg[:, None, None] * (1 - cov)[None] + colour[:, None, None] * cov[None]
    return video, params


def random_caption(vocab, rng, split="train"):
    """split 'train' never draws a held-out colour-shape pair; 'held_out' draws only those."""
    while True:
        if split == "held_out":
            colour, shape = sorted(vocab.held_out)[rng.randrange(len(vocab.held_out))]
        else:
            colour = vocab.colours[rng.randrange(len(vocab.colours))]
            shape = vocab.shapes[rng.randrange(len(vocab.shapes))]
            if split == "train" and (colour, shape) in vocab.held_out:
                continue
        direction = vocab.directions[rng.randrange(len(vocab.directions))]
        background = vocab.backgrounds[rng.randrange(len(vocab.backgrounds))]
        return Caption(colour, shape, direction, background)


def batch(vocab, n, frames, size, rng, split="train"):
    """A training batch: videos [n, 3, T, S, S] in [-1, 1], token ids [n, L], lengths [n], captions.
    Half the captions leave the background unstated (it is still drawn at random)."""
    vids, ids, lens, caps = [], [], [], []
    for _ in range(n):
        c = random_caption(vocab, rng, split)
        v, _ = render(c, vocab, frames, size, rng)
        stated = c if rng.random() < 0.5 else Caption(c.colour, c.shape, c.direction, None)
        text = Vocabulary.caption_text(stated, "static" if rng.random() < 0.5 else "standing still")
        i, l = vocab.encode(text)
        vids.append(v * 2 - 1)
        ids.append(i)
        lens.append(l)
        caps.append(text)
    return np.stack(vids), np.array(ids, np.int64), np.array(lens, np.int64), caps
