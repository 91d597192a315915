"""Renders training videos and encodes them with a model folder's frozen autoencoder: the data the
latent reel-dit trains on (tools/train.py --latents).

  /usr/bin/python3 tools/make_latents.py --folder MODEL_FOLDER --out DIR --videos 12000

Each shard DIR/shard-NNNNN.npz holds `shard` videos of the "train" split (held-out colour-shape
pairs never drawn): z, the normalised latents [n, C, T, h, w] as float16 (posterior means, what
Autoencoder.encode_video returns), and the caption's colour, shape, direction and background as
indices into the vocabulary's lists. Shard k is drawn from its own seed, so a rerun writes the
same shards and skips those present; each is written to a temporary name and renamed."""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import data, modelfolder
from reel.vocab import Vocabulary


def shard_path(out, k):
    return os.path.join(out, "shard-%05d.npz" % k)


def write_shards(videos, per_shard, path_of, make):
    """Writes shard k = 0, 1, ... (ceil(videos / per_shard) of them) as path_of(k), an .npz of
    make(k)'s arrays, skipping those present; each through a temporary name and a rename, so an
    interrupted run leaves no partial shard and a rerun resumes."""
    os.makedirs(os.path.dirname(path_of(0)) or ".", exist_ok=True)
    shards = (videos + per_shard - 1) // per_shard
    t0 = time.time()
    made = 0
    for k in range(shards):
        path = path_of(k)
        if os.path.exists(path):
            continue
        s = make(k)
        tmp = path + ".tmp.npz"
        np.savez(tmp, **s)
        os.replace(tmp, path)
        made += 1
        print("shard %d/%d  %.2f s/video" % (k + 1, shards, (time.time() - t0) / (made * per_shard)), flush=True)


def make_shard(ae, vocab, k, n, frames, size, seed):
    rng = random.Random(seed * 1000003 + k)
    vids, fields = [], []
    for _ in range(n):
        c = data.random_caption(vocab, rng, "train")
        v, _ = data.render(c, vocab, frames, size, rng, scaled=True)
        vids.append(v * 2 - 1)
        fields.append((vocab.colours.index(c.colour), vocab.shapes.index(c.shape),
                       vocab.directions.index(c.direction), vocab.backgrounds.index(c.background)))
    z = ae.encode_video(torch.from_numpy(np.stack(vids)), chunk=16).numpy()
    f = np.array(fields, np.int16)
    return dict(z=z.astype(np.float16), colour=f[:, 0], shape=f[:, 1], direction=f[:, 2], background=f[:, 3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True, help="a model folder with an autoencoder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--videos", type=int, default=12000)
    ap.add_argument("--shard", type=int, default=128)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ae = modelfolder.read_autoencoder(args.folder)
    if ae is None:
        sys.exit("%s: config.json has no autoencoder block" % args.folder)
    ae.eval()
    vocab = Vocabulary.load(os.path.join(args.folder, "vocabulary.json"))
    write_shards(args.videos, args.shard, lambda k: shard_path(args.out, k),
                 lambda k: make_shard(ae, vocab, k, args.shard, args.frames, args.size, args.seed))


if __name__ == "__main__":
    main()
