"""Measures the autoencoder on reel.aemetrics' fixed held-out renders: PSNR, 10-90% edge rise
width against the ground truth's, gradient-energy ratio, flat-region RMSE.

  /usr/bin/python3 tools/eval_autoencoder.py                       # EMA weights of the checkpoint
  /usr/bin/python3 tools/eval_autoencoder.py --folder MODEL_FOLDER # an autoencoder in a model folder
  /usr/bin/python3 tools/eval_autoencoder.py --png tools/runs/ae   # also ground truth | reconstruction PNGs
  /usr/bin/python3 tools/eval_autoencoder.py --export MODEL_FOLDER # measure latent_mean / latent_std on
                                                                   # training frames, write autoencoder.safetensors
                                                                   # and config.json's "autoencoder" block"""
import argparse
import json
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import aemetrics, data, frames_io, modelfolder
from reel.autoencoder import AEConfig, Autoencoder, latent_statistics, parameter_count
from reel.vocab import Vocabulary
from train_autoencoder import latent_spread, reconstruct

HERE = os.path.dirname(os.path.abspath(__file__))
STATS_SEED = 7


def load_checkpoint(path, weights="ema"):
    ck = torch.load(path)
    ae = Autoencoder(AEConfig.from_json(ck["config"]))
    ae.load_state_dict(ck[weights])
    ae.eval()
    return ae, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "autoencoder.pt"))
    ap.add_argument("--weights", choices=("ema", "model"), default="ema")
    ap.add_argument("--folder", help="read the autoencoder from this model folder instead")
    ap.add_argument("--frames", type=int, default=64, help="held-out frames (a fixed set for a given count)")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--video-frames", type=int, default=16, help="the held-out frames come from videos this long")
    ap.add_argument("--png", help="write ground truth | reconstruction side by side for the first 16 frames here")
    ap.add_argument("--export", help="write the autoencoder with measured latent statistics into this model folder")
    ap.add_argument("--stats-frames", type=int, default=512)
    ap.add_argument("--json", help="also write the metrics here")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab = Vocabulary.load()
    if args.folder:
        ae = modelfolder.read_autoencoder(args.folder)
        if ae is None:
            sys.exit("%s: config.json has no autoencoder block" % args.folder)
        where = args.folder
    else:
        ae, ck = load_checkpoint(args.checkpoint, args.weights)
        where = "%s (%s weights, step %d, %d frames seen)" % (args.checkpoint, args.weights, ck["step"], ck["samples"])
    held = aemetrics.held_out_set(vocab, args.frames, args.size, args.video_frames)
    recon = reconstruct(ae, held["frames"])
    m = aemetrics.measure(recon, held)
    m["latent_std"], m["posterior_std"] = latent_spread(ae, held["frames"])
    half = {k: aemetrics.measure(recon[s::2], {kk: vv[s::2] for kk, vv in held.items()})["psnr"]
            for k, s in (("psnr_train_pairs", 0), ("psnr_held_out_pairs", 1))}
    m.update(half)
    print("%s: %d parameters, %d held-out frames %dx%d" % (where, parameter_count(ae), args.frames, args.size, args.size))
    print(aemetrics.format_metrics(m))
    print("PSNR on training colour-shape pairs %.2f dB, on held-out pairs %.2f dB" % (half["psnr_train_pairs"], half["psnr_held_out_pairs"]))
    print("posterior-mean std per channel %s, mean posterior std %.4f"
          % (" ".join("%.3f" % s for s in m["latent_std"]), m["posterior_std"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(m, f, indent=2)
    if args.png:
        os.makedirs(args.png, exist_ok=True)
        for i in range(min(16, args.frames)):
            pair = np.concatenate([held["frames"][i], recon[i]], axis=2).transpose(1, 2, 0)
            frames_io.write_png(os.path.join(args.png, "%02d.png" % i), pair)
        print("wrote %s/00.png .. (ground truth left, reconstruction right)" % args.png)
    if args.export:
        frames = torch.from_numpy(data.frame_batch(vocab, args.stats_frames, args.size, random.Random(STATS_SEED),
                                                   args.video_frames, "train"))
        ae.cfg.latent_mean, ae.cfg.latent_std = latent_statistics(ae, frames)
        modelfolder.write_autoencoder(args.export, ae)
        print("latent_mean %s latent_std %s -> %s" % (
            " ".join("%.4f" % v for v in ae.cfg.latent_mean), " ".join("%.4f" % v for v in ae.cfg.latent_std),
            os.path.join(args.export, modelfolder.AE_FILE)))


if __name__ == "__main__":
    main()
