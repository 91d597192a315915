"""How well the autoencoder reconstructs frames: PSNR, edge sharpness and flat-region error on a
fixed held-out set of renders.

Pixels are in [0, 1] here (a reconstruction is clamped first). For one frame whose ground truth
is bg * (1 - a) + fg * a, with a the shape's exact coverage:

- psnr: 10 log10(1 / MSE) over every pixel and channel; the set's figure is the mean over frames
  (`psnr_min` the worst frame).
- edge width (10-90% rise width, pixels): the reconstruction's coverage is read back by projecting
  each pixel on the background-to-object colour line, a^ = (x^ - bg).(fg - bg) / |fg - bg|^2;
  the pixels of the edge band (within BAND pixels of the boundary) with 0.1 < a^ < 0.9, divided
  by the shape's perimeter, are the mean width over which the edge rises from 10% to 90%.
  A sharp straight edge (exact box-filter coverage) gives 0.8 px when it is axis-aligned, 1.13 px
  at 45 degrees; blurring it by a ramp w pixels wide adds about 0.8 w. `edge_width_gt` is the same
  measure of the ground truth, so blur shows as edge_width - edge_width_gt.
- gradient energy ratio: sum over the edge band of |grad x^|^2 / the same of the ground truth
  (forward differences, all channels); 1 for a perfect edge, below 1 when blurred (a ramp of
  width w keeps the contrast but spreads it, so its gradient energy falls like 1/w), above 1 for
  ringing.
- flat rmse: root mean squared error over the pixels further than BAND from the boundary (the
  background and the shape's interior), which should be flat."""
import math
import random

import numpy as np

from . import data

BAND = 3.0            # pixels either side of the boundary that count as the edge band
HELD_OUT_SEED = 20261201


def psnr(x, y):
    """10 log10(1 / MSE) of pixels in [0, 1] (numpy arrays or tensors, any shape)."""
    mse = float(((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2).mean())
    return 10 * math.log10(1.0 / max(mse, 1e-12))


def perimeter(shape, r):
    """The boundary length of data.inside's shape of size r."""
    if shape == "circle":
        return 2 * math.pi * r
    if shape == "square":
        return 4 * 1.7 * r
    if shape == "diamond":
        return 4 * math.sqrt(2) * 1.15 * r
    if shape == "triangle":   # base 2 * 0.6 * 1.7 r, two sides from the apex
        return 2 * 0.6 * 1.7 * r + 2 * math.hypot(0.6 * 1.7, 1.7) * r
    raise ValueError(shape)


def held_out_set(vocab, n=64, size=128, frames=16, seed=HELD_OUT_SEED):
    """n frames never drawn in training (a fixed seed), half of them of the held-out colour-shape
    pairs, which autoencoder training never draws either: dict with frames [n, 3, S, S] in [0, 1],
    coverage [n, S, S], band [n, S, S] bool, fg / bg [n, 3], perimeter [n], captions."""
    rng = random.Random(seed)
    out = dict(frames=[], coverage=[], band=[], fg=[], bg=[], perimeter=[], captions=[])
    c = (np.arange(size) + 0.5)
    for i in range(n):
        cap = data.random_caption(vocab, rng, "held_out" if i % 2 else "train")
        f, cov, p = data.render_frame(cap, vocab, frames, size, rng)
        cx, cy = p["x0"] + p["vx"] * p["t"], p["y0"] + p["vy"] * p["t"]
        lv = data.level(cap.shape, c[None, :] - cx, c[:, None] - cy, p["r"])
        out["frames"].append(f)
        out["coverage"].append(cov)
        out["band"].append(np.abs(lv) <= BAND)
        out["fg"].append(vocab.data["colours"][cap.colour])
        out["bg"].append(vocab.data["backgrounds"][cap.background])
        out["perimeter"].append(perimeter(cap.shape, p["r"]))
        out["captions"].append("%s %s on %s" % (cap.colour, cap.shape, cap.background))
    for k in ("frames", "coverage", "band", "fg", "bg", "perimeter"):
        out[k] = np.array(out[k], np.float32 if k != "band" else bool)
    return out


def _projected_coverage(x, fg, bg):
    d = (fg - bg)[:, None, None]
    return ((x - bg[:, None, None]) * d).sum(0) / max(float((d * d).sum()), 1e-12)


def _rise_width(a, band, per):
    return float(((a > 0.1) & (a < 0.9) & band).sum()) / per


def _grad_energy(x, band):
    gx = np.zeros_like(x)
    gy = np.zeros_like(x)
    gx[:, :, :-1] = x[:, :, 1:] - x[:, :, :-1]
    gy[:, :-1, :] = x[:, 1:, :] - x[:, :-1, :]
    return float(((gx * gx + gy * gy).sum(0) * band).sum())


def measure(recon, ref):
    """recon [n, 3, S, S] (pixels in [0, 1], clamped here) against held_out_set's dict -> metrics."""
    recon = np.clip(np.asarray(recon, np.float32), 0, 1)
    psnr, widths, widths_gt, ratios, flat_se, flat_n = [], [], [], [], 0.0, 0
    for i in range(len(recon)):
        x, y = recon[i], ref["frames"][i]
        band = ref["band"][i]
        err = (x - y) ** 2
        psnr.append(10 * math.log10(1.0 / max(float(err.mean()), 1e-12)))
        a_hat = _projected_coverage(x, ref["fg"][i], ref["bg"][i])
        widths.append(_rise_width(a_hat, band, ref["perimeter"][i]))
        widths_gt.append(_rise_width(ref["coverage"][i], band, ref["perimeter"][i]))
        ratios.append(_grad_energy(x, band) / max(_grad_energy(y, band), 1e-12))
        flat_se += float(err.sum(0)[~band].sum())
        flat_n += int((~band).sum()) * x.shape[0]
    return dict(psnr=float(np.mean(psnr)), psnr_min=float(np.min(psnr)),
                edge_width=float(np.mean(widths)), edge_width_gt=float(np.mean(widths_gt)),
                grad_energy_ratio=float(np.mean(ratios)), flat_rmse=math.sqrt(flat_se / max(flat_n, 1)))


def format_metrics(m):
    return ("PSNR %.2f dB (worst frame %.2f)  edge 10-90%% width %.3f px (ground truth %.3f)  "
            "gradient energy ratio %.3f  flat-region RMSE %.4f"
            % (m["psnr"], m["psnr_min"], m["edge_width"], m["edge_width_gt"], m["grad_energy_ratio"], m["flat_rmse"]))
