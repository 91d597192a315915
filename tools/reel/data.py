"""Procedural captioned videos: one coloured shape moving over a plain background.

Pixels are in [0, 1] here; the model sees them mapped to [-1, 1]. A video is [3, T, H, W]
(channels, frames, rows, columns); y grows downwards, so "up" is -y. Pixel (row i, column j)
covers the unit square [j, j+1] x [i, i+1], its centre at (j + 0.5, i + 0.5).

Two geometries:
- legacy (`scaled=False`, the default, what the 8x32x32 pixel model was trained on): sizes and
  speeds in pixels as RADIUS and SPEED say, whatever the frame size; edges from a 3x3
  supersample.
- scaled (`scaled=True`, any size and frame count): RADIUS, SPEED and the 1-pixel margin are in
  units of size/32, and the per-frame speed is divided by (frames - 1)/7, so a video of any
  length travels as far across the frame as an 8-frame one; edges have exact coverage (the area
  of each pixel the shape covers: in closed form for the square, by a 1D integral across the
  boundary pixels for the others, within 0.2%; see exact_coverage).
At 32x32 and 8 frames the two draw the same sizes, positions and speeds from the same rng; only
the edges differ, by the 3x3 supersample's error."""
import math
import random

import numpy as np

from .vocab import Caption, Vocabulary

RADIUS = (4.5, 6.5)     # shape size, pixels
SPEED = (1.2, 1.8)      # pixels per frame along each moving axis
SUPERSAMPLE = 3         # edge anti-aliasing (legacy geometry)
REFERENCE_SIZE = 32     # scaled geometry: RADIUS, SPEED and the margin are in units of size / 32
REFERENCE_FRAMES = 8    # scaled geometry: a video travels as far as an 8-frame one
INTEGRATION = 32        # scaled geometry: midpoint-rule points across a boundary pixel


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


def level(shape, dx, dy, r):
    """A 1-Lipschitz function of (dx, dy) that is <= 0 exactly where `inside` is true (the signed
    distance for the circle, a max of signed distances to half-planes for the polygons, the
    Chebyshev distance for the square), so a pixel whose centre has |level| > sqrt(1/2) lies wholly
    on one side of the boundary."""
    if shape == "circle":
        return np.sqrt(dx * dx + dy * dy) - r
    if shape == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) - 0.85 * r
    if shape == "triangle":
        return np.maximum(dy - 0.7 * r, (np.abs(dx) - 0.6 * (dy + r)) / math.sqrt(1.36))
    if shape == "diamond":
        return (np.abs(dx) + np.abs(dy) - 1.15 * r) / math.sqrt(2.0)
    raise ValueError("unknown shape " + shape)


def _span(shape, u, r, axis):
    """Where the line at offset u from the centre along `axis` (0: a column x = cx + u, 1: a row
    y = cy + u) crosses the convex shape: (lo, hi) offsets along the other axis, lo > hi if it
    misses. The shapes are convex, so each crossing is one interval."""
    if shape == "circle":
        h = np.sqrt(np.maximum(r * r - u * u, 0.0))
        return np.where(np.abs(u) <= r, -h, 1.0), np.where(np.abs(u) <= r, h, -1.0)
    if shape == "diamond":
        h = 1.15 * r - np.abs(u)
        return -h, h
    if shape == "triangle":
        if axis == 0:
            return np.abs(u) / 0.6 - r, np.full_like(u, 0.7 * r)
        h = np.where(u <= 0.7 * r, 0.6 * (u + r), -1.0)
        return -h, h
    if shape == "square":
        a = 0.85 * r
        return np.where(np.abs(u) <= a, -a, 1.0), np.where(np.abs(u) <= a, a, -1.0)
    raise ValueError("unknown shape " + shape)


def exact_coverage(shape, cx, cy, r, size):
    """The fraction of each pixel of a size x size grid that the shape covers, float32 [size, size].
    The square's is exact (a product of interval overlaps). For the other shapes a pixel whose
    centre is more than sqrt(1/2) from the boundary (by `level`) is 0 or 1; a boundary pixel's
    coverage is the integral, over the pixel's width along one axis, of the length of the shape's
    crossing inside the pixel along the other, by the midpoint rule at INTEGRATION points; the
    axis integrated along is the one the boundary is closer to parallel with, so the crossing
    moves at most one pixel per pixel and the rule's error stays under 0.2%."""
    edges = np.arange(size + 1, dtype=np.float64)
    if shape == "square":
        a = 0.85 * r
        ox = np.clip(np.minimum(edges[1:], cx + a) - np.maximum(edges[:-1], cx - a), 0, 1)
        oy = np.clip(np.minimum(edges[1:], cy + a) - np.maximum(edges[:-1], cy - a), 0, 1)
        return (oy[:, None] * ox[None, :]).astype(np.float32)
    c = edges[:-1] + 0.5
    lv = level(shape, c[None, :] - cx, c[:, None] - cy, r)
    cov = (lv <= 0).astype(np.float64)
    rows, cols = np.nonzero(np.abs(lv) <= 0.7072)
    if len(rows):
        x, y = cols + 0.5 - cx, rows + 0.5 - cy
        e = 1e-3
        gx = level(shape, x + e, y, r) - level(shape, x - e, y, r)
        gy = level(shape, x, y + e, r) - level(shape, x, y - e, r)
        m = (np.arange(INTEGRATION) + 0.5) / INTEGRATION
        out = np.empty(len(rows))
        for axis, sel in ((0, np.abs(gx) <= np.abs(gy)), (1, np.abs(gx) > np.abs(gy))):
            if not sel.any():
                continue
            if axis == 0:   # integrate over x inside the pixel; crossings along y
                u = cols[sel, None] + m[None, :] - cx
                p0, centre = rows[sel, None].astype(np.float64), cy
            else:
                u = rows[sel, None] + m[None, :] - cy
                p0, centre = cols[sel, None].astype(np.float64), cx
            lo, hi = _span(shape, u, r, axis)
            length = np.minimum(p0 + 1, centre + hi) - np.maximum(p0, centre + lo)
            out[sel] = np.clip(length, 0, 1).mean(axis=1)
        cov[rows, cols] = out
    return cov.astype(np.float32)


def motion(caption, vocab, frames, size, rng, scaled=False):
    """The random size, start and velocity of a video's shape (pixels, pixels per frame)."""
    k = size / REFERENCE_SIZE if scaled else 1.0
    pace = k * (REFERENCE_FRAMES - 1) / max(frames - 1, 1) if scaled else 1.0
    r = rng.uniform(*RADIUS)
    speed = rng.uniform(*SPEED)
    if scaled:
        r, speed = r * k, speed * pace
    dx, dy = vocab.data["directions"][caption.direction]
    travel = speed * (frames - 1)
    lo, hi = r + 1.0 * k, size - r - 1.0 * k

    def start(d):
        if d > 0:
            return rng.uniform(lo, hi - travel)
        if d < 0:
            return rng.uniform(lo + travel, hi)
        return rng.uniform(lo, hi)
    return dict(r=r, x0=start(dx), y0=start(dy), vx=dx * speed, vy=dy * speed)


def coverage(shape, cx, cy, r, size):
    """Anti-aliased coverage in [0,1] of a shape centred at (cx, cy) on a size x size grid."""
    s = SUPERSAMPLE
    offs = (np.arange(s) + 0.5) / s
    ys = (np.arange(size)[:, None] + offs[None, :]).reshape(-1)
    xs = ys
    m = inside(shape, xs[None, :] - cx, ys[:, None] - cy, r).astype(np.float32)
    return m.reshape(size, s, size, s).mean(axis=(1, 3))


def render(caption, vocab, frames, size, rng, background=None, params=None, scaled=False):
    """Returns (video [3, T, size, size] float32 in [0,1], params dict). `scaled`: the geometry
    scales with the frame and edges have exact coverage (see the module's doc)."""
    bg_name = background or caption.background
    if params is None:
        params = motion(caption, vocab, frames, size, rng, scaled)
    colour = np.array(vocab.data["colours"][caption.colour], np.float32)
    bg = np.array(vocab.data["backgrounds"][bg_name], np.float32)
    video = np.empty((3, frames, size, size), np.float32)
    cover = exact_coverage if scaled else coverage
    for t in range(frames):
        cov = cover(caption.shape, params["x0"] + params["vx"] * t,
                    params["y0"] + params["vy"] * t, params["r"], size)
        video[:, t] = bg[:, None, None] * (1 - cov)[None] + colour[:, None, None] * cov[None]
    return video, params


def render_frame(caption, vocab, frames, size, rng, t=None, params=None):
    """One frame of a scaled-geometry video (frame t, or a random one): (frame [3, size, size]
    float32 in [0, 1], coverage [size, size], params with the frame index "t")."""
    if params is None:
        params = motion(caption, vocab, frames, size, rng, True)
    if t is None:
        t = rng.randrange(frames)
    params = dict(params, t=t)
    cov = exact_coverage(caption.shape, params["x0"] + params["vx"] * t, params["y0"] + params["vy"] * t,
                         params["r"], size)
    colour = np.array(vocab.data["colours"][caption.colour], np.float32)
    bg = np.array(vocab.data["backgrounds"][caption.background], np.float32)
    frame = bg[:, None, None] * (1 - cov)[None] + colour[:, None, None] * cov[None]
    return frame, cov, params


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


def batch(vocab, n, frames, size, rng, split="train", scaled=False):
    """A training batch: videos [n, 3, T, S, S] in [-1, 1], token ids [n, L], lengths [n], captions.
    Half the captions leave the background unstated (it is still drawn at random)."""
    vids, ids, lens, caps = [], [], [], []
    for _ in range(n):
        c = random_caption(vocab, rng, split)
        v, _ = render(c, vocab, frames, size, rng, scaled=scaled)
        stated = c if rng.random() < 0.5 else Caption(c.colour, c.shape, c.direction, None)
        text = Vocabulary.caption_text(stated, "static" if rng.random() < 0.5 else "standing still")
        i, l = vocab.encode(text)
        vids.append(v * 2 - 1)
        ids.append(i)
        lens.append(l)
        caps.append(text)
    return np.stack(vids), np.array(ids, np.int64), np.array(lens, np.int64), caps


def frame_batch(vocab, n, size, rng, frames=16, split="train"):
    """Autoencoder training data: n frames [n, 3, size, size] in [-1, 1], each a random frame of
    its own random scaled-geometry video of `frames` frames (captions from `split`)."""
    out = np.empty((n, 3, size, size), np.float32)
    for i in range(n):
        f, _, _ = render_frame(random_caption(vocab, rng, split), vocab, frames, size, rng)
        out[i] = f * 2 - 1
    return out
