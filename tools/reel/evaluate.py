"""Measures what a video shows: the main object's colour (nearest named colour), shape class
(best template overlap), motion direction (centroid track) and the background's colour
(nearest named background).

Input frames: float array [T, H, W, 3] in [0, 1]. The background is the per-channel median
of each frame (the object covers well under half of it); object pixels differ from it by more
than THRESHOLD in some channel.

Two shape rules:
- `shape` (the rule of the embedded model's card): the template (data.inside) with the best
  IoU against the mask, summed over frames;
- `shape_fill` (the strict rule): the mean over frames of the mask's fill of its bounding box:
  square above FILL_SQUARE, circle from FILL_CIRCLE to FILL_SQUARE; below, the triangle and the
  diamond both fill half their box (data.inside draws both as straight-sided figures whose box
  they half cover), so they are told apart by symmetry: the triangle's area centroid lies
  TRIANGLE_OFFSET or more of the box height off the box's middle (its base is the widest row;
  the ideal figure's offset is 1/6), the diamond's on it. Rendered ground truth: mean fill
  0.96-1.00 (square), 0.73-0.85 (circle), 0.50-0.65 (triangle, diamond); offset 0.12-0.16
  (triangle), within 0.04 (the others).

The background checks: `background` is the named background nearest the frames' median colour,
and `background_mad` how clean it is — the mean absolute deviation, over channels and over every
pixel farther than BACKGROUND_MARGIN of the frame's width from the object's mask, from that frame's
median colour (in [0, 1] units; the target of the latent model is at most 3/255)."""
import math

import numpy as np

from .data import inside

THRESHOLD = 0.25
STATIC_FRACTION = 0.11  # a track shorter than this fraction of the frame width, start to end, is "static"
FILL_SQUARE = 0.88
FILL_CIRCLE = 0.65
TRIANGLE_OFFSET = 1.0 / 12
BACKGROUND_MARGIN = 3.0 / 128  # 3 pixels at 128 x 128: the object's anti-aliased edge is not background
DIRECTION_NAMES = ["right", "down-right", "down", "down-left", "left", "up-left", "up", "up-right"]


def object_mask(frame):
    bg = np.median(frame.reshape(-1, 3), axis=0)
    diff = np.abs(frame - bg[None, None]).max(axis=-1)
    mask = diff > THRESHOLD
    return _largest_component(mask), bg


def _largest_component(mask):
    h, w = mask.shape
    seen = np.zeros_like(mask)
    best = None
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        stack, comp = [(y0, x0)], []
        seen[y0, x0] = True
        while stack:
            y, x = stack.pop()
            comp.append((y, x))
            for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not seen[yy, xx]:
                    seen[yy, xx] = True
                    stack.append((yy, xx))
        if best is None or len(comp) > len(best):
            best = comp
    out = np.zeros_like(mask)
    if best:
        ys, xs = zip(*best)
        out[list(ys), list(xs)] = True
    return out


_OFFSETS = {}


def _centroid_offset(shape):
    """(dx, dy) of the shape's area centroid from its drawing centre, per unit size."""
    if shape not in _OFFSETS:
        g = (np.arange(400) + 0.5) / 100.0 - 2.0
        m = inside(shape, g[None, :], g[:, None], 1.0)
        ys, xs = np.nonzero(m)
        _OFFSETS[shape] = (g[xs].mean(), g[ys].mean())
    return _OFFSETS[shape]


def shape_scores(mask, shapes):
    """Best IoU of each shape template against the mask, templates centred on the mask's centroid
    and sized to its area."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 4:
        return {s: 0.0 for s in shapes}
    cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
    h, w = mask.shape
    gx = (np.arange(w) + 0.5)[None, :]
    gy = (np.arange(h) + 0.5)[:, None]
    area = len(xs)
    out = {}
    for s in shapes:
        unit = inside(s, (np.arange(400)[None, :] + 0.5) / 100 - 2, (np.arange(400)[:, None] + 0.5) / 100 - 2, 1.0).sum() / 1e4
        r0 = math.sqrt(area / unit)
        ox, oy = _centroid_offset(s)
        best = 0.0
        for r in r0 * np.array([0.85, 0.92, 1.0, 1.08, 1.15]):
            t = inside(s, gx - (cx - ox * r), gy - (cy - oy * r), r)
            inter = (t & mask).sum()
            union = (t | mask).sum()
            best = max(best, inter / union)
        out[s] = best
    return out


def dilate(mask, r):
    """The pixels within Chebyshev distance r of the mask."""
    out = mask.copy()
    for _ in range(r):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def background_deviation(frame, mask, bg):
    """Mean absolute deviation from bg of the pixels away from the mask (None if there are none)."""
    far = ~dilate(mask, max(1, int(math.ceil(BACKGROUND_MARGIN * frame.shape[1]))))
    if not far.any():
        return None
    return float(np.abs(frame[far] - bg[None]).mean())


def box_fill(mask):
    """(fill, offset): the mask's share of its bounding box, and how far its centroid lies below
    the box's middle, as a fraction of the box height."""
    ys, xs = np.nonzero(mask)
    bw = xs.max() - xs.min() + 1
    bh = ys.max() - ys.min() + 1
    return len(xs) / float(bw * bh), (ys.mean() + 0.5 - (ys.min() + ys.max() + 1) / 2.0) / bh


def fill_shape(fill, offset):
    """The strict rule's shape for a video's mean fill and mean centroid offset."""
    if fill > FILL_SQUARE:
        return "square"
    if fill >= FILL_CIRCLE:
        return "circle"
    return "triangle" if abs(offset) >= TRIANGLE_OFFSET else "diamond"


def analyse(frames, vocab):
    """Returns dict(colour, shape, shape_fill, direction, background, found) for frames
    [T, H, W, 3] in [0, 1]."""
    frames = np.clip(np.asarray(frames, np.float64), 0, 1)
    colours = np.array([vocab.data["colours"][c] for c in vocab.colours])
    backgrounds = np.array([vocab.data["backgrounds"][b] for b in vocab.backgrounds])
    track, votes, pix, fills, bgs, devs = [], {s: 0.0 for s in vocab.shapes}, [], [], [], []
    for f in frames:
        mask, bg = object_mask(f)
        bgs.append(bg)
        dev = background_deviation(f, mask, bg)
        if dev is not None:
            devs.append(dev)
        if mask.sum() < 4:
            continue
        fills.append(box_fill(mask))
        ys, xs = np.nonzero(mask)
        track.append((xs.mean(), ys.mean()))
        # colour from the object's interior: pixels far from the background
        p = f[mask]
        d = np.abs(p - bg[None]).max(axis=1)
        pix.append(p[d >= np.quantile(d, 0.5)])
        for s, v in shape_scores(mask, vocab.shapes).items():
            votes[s] += v
    bg_rgb = np.median(np.array(bgs), axis=0)
    background = vocab.backgrounds[int(np.argmin(((backgrounds - bg_rgb[None]) ** 2).sum(axis=1)))]
    background_mad = float(np.mean(devs)) if devs else None
    if not track:
        return dict(colour=None, shape=None, shape_fill=None, direction=None, background=background,
                    background_mad=background_mad, found=False)
    rgb = np.median(np.concatenate(pix), axis=0)
    colour = vocab.colours[int(np.argmin(((colours - rgb[None]) ** 2).sum(axis=1)))]
    shape = max(votes, key=votes.get)
    fill, offset = np.mean(np.array(fills), axis=0)
    track = np.array(track)
    t = np.arange(len(track), dtype=np.float64)
    if len(track) >= 2:
        vx = np.polyfit(t, track[:, 0], 1)[0]
        vy = np.polyfit(t, track[:, 1], 1)[0]
        dist = math.hypot(vx, vy) * (len(frames) - 1)
    else:
        vx = vy = dist = 0.0
    if dist < STATIC_FRACTION * frames.shape[2]:
        direction = "static"
    else:
        ang = math.degrees(math.atan2(vy, vx)) % 360
        direction = DIRECTION_NAMES[int(((ang + 22.5) % 360) // 45)]
    return dict(colour=colour, shape=shape, shape_fill=fill_shape(fill, offset), direction=direction,
                background=background, background_mad=background_mad, found=True, rgb=rgb.tolist(), velocity=(vx, vy),
                votes=votes, fill=fill, offset=offset, background_rgb=bg_rgb.tolist())


def video_to_frames(video):
    """[3, T, H, W] in [-1, 1] (the model's layout) -> [T, H, W, 3] in [0, 1]."""
    v = np.asarray(video, np.float64)
    return np.clip((v.transpose(1, 2, 3, 0) + 1) / 2, 0, 1)
