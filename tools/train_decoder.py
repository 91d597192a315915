"""Fine-tunes a latent model's decoder on its transformer's own latents (tools/make_decoder_pairs.py),
the encoder frozen, so that the latent space the transformer was trained on does not move.

Each batch is half pairs — a frame of z_gen, the transformer's SDEdit sample, whose target is the
frame the video was rendered with — and half plain reconstructions — the same frame of z, the
encoder's latent — so that the decoder keeps reconstructing what the encoder gives it. Loss as in
tools/train_autoencoder.py: L1 + L2 on pixels plus the L1 of the pixel differences (edges).
AdamW on the decoder alone, an EMA of its weights; bf16 CPU autocast for the convolutions.

  /usr/bin/python3 tools/train_decoder.py --folder MODEL_FOLDER --pairs DIR --checkpoint FILE \\
      --export OUT_FOLDER --minutes 40

resumes from --checkpoint (decoder weights, EMA, step) when it exists, overwrites it every
--save-minutes, and at each save writes the EMA decoder with the unchanged encoder as
OUT_FOLDER/autoencoder.safetensors (the folder's other files copied from --folder once). Every
--eval-minutes it measures reel.aemetrics' held-out reconstructions (PSNR, edge width) with the EMA."""
import argparse
import glob
import os
import random
import shutil
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import aemetrics, data, modelfolder
from reel.vocab import Caption, Vocabulary
from train_autoencoder import pixel_gradients, reconstruct, save
from make_decoder_pairs import GEOMETRY


class Pairs:
    """The pair shards, read as they appear; frames drawn at random."""

    def __init__(self, folder, vocab):
        self.folder, self.vocab = folder, vocab
        self.loaded, self.z, self.z_gen, self.caps, self.geo = set(), [], [], [], []
        self.refresh()
        if not self.z:
            sys.exit("%s: no pair shards (tools/make_decoder_pairs.py writes them)" % folder)

    def refresh(self):
        v = self.vocab
        for path in sorted(glob.glob(os.path.join(self.folder, "pairs-*.npz"))):
            if path in self.loaded or path.endswith(".tmp.npz"):
                continue
            with np.load(path) as s:
                self.z.extend(s["z"])
                self.z_gen.extend(s["z_gen"])
                self.caps.extend(Caption(v.colours[a], v.shapes[b], v.directions[c], v.backgrounds[d])
                                 for a, b, c, d in zip(s["colour"], s["shape"], s["direction"], s["background"]))
                self.geo.extend(dict(zip(GEOMETRY, g)) for g in s["geometry"])
            self.loaded.add(path)
        return len(self.z)

    def batch(self, n, rng, frames, size):
        """(latents [n, C, h, w] normalised, targets [n, 3, size, size] in [-1, 1]): the first half
        frames of z_gen, the second half frames of z."""
        zs, xs = [], []
        for j in range(n):
            i = rng.randrange(len(self.z))
            t = rng.randrange(frames)
            src = self.z_gen if j < n // 2 else self.z
            zs.append(src[i][:, t].astype(np.float32))
            f, _, _ = data.render_frame(self.caps[i], self.vocab, frames, size, rng, t=t, params=self.geo[i])
            xs.append(f * 2 - 1)
        return torch.from_numpy(np.stack(zs)), torch.from_numpy(np.stack(xs))


def write_csvs(checkpoint, log, evals):
    """CHECKPOINT-loss.csv (means over 25 steps) and CHECKPOINT-eval.csv (the held-out measurements)."""
    base = os.path.splitext(checkpoint)[0]
    with open(base + "-loss.csv", "w") as f:
        f.write("step,frames,loss,pixel_l1_plus_l2,edge\n")
        for r in log:
            f.write("%d,%d,%.6f,%.6f,%.6f\n" % r)
    with open(base + "-eval.csv", "w") as f:
        f.write("step,frames,psnr,psnr_min,edge_width,edge_width_gt,grad_energy_ratio,flat_rmse\n")
        for e in evals:
            f.write("%d,%d,%.3f,%.3f,%.4f,%.4f,%.4f,%.5f\n" % (e["step"], e["samples"], e["psnr"], e["psnr_min"],
                                                                e["edge_width"], e["edge_width_gt"], e["grad_energy_ratio"],
                                                                e["flat_rmse"]))


def decoder_loss(decoder, u, x, m, s, edge_weight, l2_weight=1.0):
    recon = decoder(u * s + m).float()
    err = recon - x
    pixel = err.abs().mean() + l2_weight * err.pow(2).mean()
    rx, ry = pixel_gradients(recon)
    tx, ty = pixel_gradients(x)
    edge = 0.5 * ((rx - tx).abs().mean() + (ry - ty).abs().mean())
    return pixel + edge_weight * edge, pixel, edge


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True, help="the model folder whose autoencoder is fine-tuned")
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--export", required=True, help="a model folder written with the EMA decoder at each save")
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--anneal-minutes", type=float, default=0.0)
    ap.add_argument("--save-minutes", type=float, default=5)
    ap.add_argument("--eval-minutes", type=float, default=10)
    ap.add_argument("--eval-frames", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--ema", type=float, default=0.995)
    ap.add_argument("--edge-weight", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab = Vocabulary.load(os.path.join(args.folder, "vocabulary.json"))
    ae = modelfolder.read_autoencoder(args.folder)
    if ae is None:
        sys.exit("%s: config.json has no autoencoder block" % args.folder)
    _, _, cfgj = modelfolder.read(args.folder)
    frames, size = cfgj["frames"], cfgj["height"] * ae.cfg.factor
    pairs = Pairs(args.pairs, vocab)
    ema = modelfolder.read_autoencoder(args.folder)
    step, samples, log, evals = 0, 0, [], []
    if os.path.exists(args.checkpoint):
        ck = torch.load(args.checkpoint)
        ae.decoder.load_state_dict({k: v.float() for k, v in ck["decoder"].items()})
        ema.decoder.load_state_dict({k: v.float() for k, v in ck["ema"].items()})
        step, samples, log, evals = ck["step"], ck["samples"], ck["log"], ck["evals"]
        print("resumed at step %d, %d frames" % (step, samples), flush=True)
    for p in list(ae.encoder.parameters()) + list(ema.parameters()):
        p.requires_grad_(False)
    ae.encoder.eval()
    opt = torch.optim.AdamW(ae.decoder.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    m, s = ae._stats(torch.zeros(1))
    m, s = m[:, :, 0], s[:, :, 0]     # [1, C, 1, 1]: per-frame latents
    held = aemetrics.held_out_set(vocab, args.eval_frames, size, frames)
    rng = random.Random(args.seed * 7919 + step)
    if not os.path.isdir(args.export):
        shutil.copytree(args.folder, args.export)

    def evaluate():
        r = aemetrics.measure(reconstruct(ema, held["frames"]), held)
        r.update(step=step, samples=samples)
        evals.append(r)
        print("eval step %d: %s" % (step, aemetrics.format_metrics(r)), flush=True)

    def checkpoint():
        half = lambda mod: {k: v.detach().to(torch.bfloat16) for k, v in mod.state_dict().items()}
        save(args.checkpoint, dict(decoder=half(ae.decoder), ema=half(ema.decoder), step=step, samples=samples,
                                   log=log, evals=evals, args=vars(args)))
        modelfolder.write_autoencoder(args.export, ema)
        write_csvs(args.checkpoint, log, evals)
        print("saved %s and %s at step %d" % (args.checkpoint, args.export, step), flush=True)

    if not evals:
        evaluate()
    start = last_save = last_eval = time.time()
    acc, acc_n, t_acc = np.zeros(3), 0, time.time()
    run_from = step
    while True:
        u, x = pairs.batch(args.batch, rng, frames, size)
        left = args.minutes - (time.time() - start) / 60
        anneal = 1.0 if args.anneal_minutes <= 0 or left >= args.anneal_minutes else max(0.1, left / args.anneal_minutes)
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1 - run_from) / args.warmup) * anneal
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss, pixel, edge = decoder_loss(ae.decoder, u, x, m, s, args.edge_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ae.decoder.parameters(), 1.0)
        opt.step()
        step += 1
        samples += args.batch
        decay = min(args.ema, (1 + step - run_from) / (10 + step - run_from))
        with torch.no_grad():
            for pe, pm in zip(ema.decoder.parameters(), ae.decoder.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        acc += [loss.item(), pixel.item(), edge.item()]
        acc_n += 1
        now = time.time()
        if acc_n == 25:
            a = acc / acc_n
            log.append((step, samples, a[0], a[1], a[2]))
            print("step %d frames %d loss %.5f (pixel %.5f edge %.5f)  %.1f frames/s"
                  % (step, samples, a[0], a[1], a[2], acc_n * args.batch / (now - t_acc)), flush=True)
            acc, acc_n, t_acc = np.zeros(3), 0, time.time()
        done = now - start > args.minutes * 60
        if done or now - last_eval > args.eval_minutes * 60:
            evaluate()
            last_eval = time.time()
        if done or now - last_save > args.save_minutes * 60:
            checkpoint()
            pairs.refresh()
            last_save = time.time()
        if done:
            break


if __name__ == "__main__":
    main()
