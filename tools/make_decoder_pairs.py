"""Training pairs for fine-tuning a latent model's decoder on what its transformer produces
(tools/train_decoder.py): each a rendered video of the "train" split (held-out colour-shape pairs
never drawn), its latent z (the frozen encoder's), and z_gen, the transformer's own sample near it.

z_gen is an SDEdit sample: z noised to a level t0 drawn uniformly from [--t-min, --t-max] (the
first sampler point at or below it), then sampled to t = 0 with the model folder's sampler
settings (steps, shift, guidance and its interval), prompted with the video's caption. From
t0 near 0.9 the object keeps its place, size and colour, while its outline is the transformer's:
the wavy edges and uneven corners of the model's generations. The target of z_gen is then the
render z came from, so the decoder learns to draw the transformer's latents as clean shapes.

  /usr/bin/python3 tools/make_decoder_pairs.py --folder MODEL_FOLDER --out DIR --videos 3072

Each shard DIR/pairs-NNNNN.npz holds `shard` videos: z and z_gen (normalised latents [n, C, T, h, w],
float16), t0, the caption's colour, shape, direction and background as vocabulary indices, and the
geometry (r, x0, y0, vx, vy; tools/reel/data.py's motion) that re-renders the video exactly. Shard k
is drawn from its own seed: a rerun skips the shards present."""
import argparse
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import data, flow, modelfolder
from reel.vocab import Caption, Vocabulary
from make_latents import write_shards

GEOMETRY = ("r", "x0", "y0", "vx", "vy")


@torch.no_grad()
def sdedit(model, vocab, z, prompts, t0s, gen):
    """z [B, C, T, h, w] -> the model's samples from z noised to each t0 (one shared sampler grid;
    each video joins at its first point at or below its t0)."""
    cfg = model.cfg
    ts = flow.timesteps(cfg.steps, cfg.shift)
    enc = [vocab.encode(p) for p in prompts]
    ids = torch.tensor([e[0] for e in enc])
    lens = torch.tensor([e[1] for e in enc])
    u_ids, u_len = vocab.encode("")
    starts = [int((ts > t0).sum()) for t0 in t0s]
    x = z.clone()
    noise = torch.randn(z.shape, generator=gen)
    for b, i0 in enumerate(starts):
        x[b] = (1 - float(ts[i0])) * z[b] + float(ts[i0]) * noise[b]
    for i in range(min(starts), cfg.steps):
        live = [b for b, i0 in enumerate(starts) if i0 <= i]
        sel = torch.tensor(live)
        xs = x[sel]
        if flow.guided_at(ts[i], cfg.guidance, cfg.guidance_interval):
            n = len(live)
            v = flow.guided_velocity(model, xs, ts[i], ids[sel], lens[sel], torch.tensor([u_ids] * n),
                                     torch.tensor([u_len] * n), cfg.guidance)
        else:
            v = flow.cond_velocity(model, xs, ts[i], ids[sel], lens[sel])
        x[sel] = xs + float(ts[i + 1] - ts[i]) * v
    return x, [float(ts[i0]) for i0 in starts]


def make_shard(model, ae, vocab, k, n, args):
    rng = random.Random(args.seed * 1000003 + k)
    gen = torch.Generator().manual_seed(args.seed * 7919 + k)
    cfg = model.cfg
    size = cfg.height * ae.cfg.factor
    vids, caps, geo = [], [], []
    for _ in range(n):
        c = data.random_caption(vocab, rng, "train")
        v, p = data.render(c, vocab, cfg.frames, size, rng, scaled=True)
        vids.append(v * 2 - 1)
        caps.append(c)
        geo.append([p[g] for g in GEOMETRY])
    z = ae.encode_video(torch.from_numpy(np.stack(vids)), chunk=16)
    # half the prompts leave the background unstated, as generation prompts do
    prompts = [Vocabulary.caption_text(c if rng.random() < 0.5 else Caption(c.colour, c.shape, c.direction, None))
               for c in caps]
    t0s = [rng.uniform(args.t_min, args.t_max) for _ in range(n)]
    z_gen, starts = sdedit(model, vocab, z, prompts, t0s, gen)
    f = np.array([(vocab.colours.index(c.colour), vocab.shapes.index(c.shape), vocab.directions.index(c.direction),
                   vocab.backgrounds.index(c.background)) for c in caps], np.int16)
    return dict(z=z.numpy().astype(np.float16), z_gen=z_gen.numpy().astype(np.float16),
                t0=np.array(starts, np.float32), colour=f[:, 0], shape=f[:, 1], direction=f[:, 2],
                background=f[:, 3], geometry=np.array(geo, np.float64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True, help="a latent model folder (transformer and autoencoder)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--videos", type=int, default=3072)
    ap.add_argument("--shard", type=int, default=32)
    ap.add_argument("--t-min", type=float, default=0.5)
    ap.add_argument("--t-max", type=float, default=0.95)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not 0 < args.t_min <= args.t_max <= 1:
        sys.exit("need 0 < --t-min <= --t-max <= 1")
    torch.set_num_threads(args.threads)
    model, vocab, _ = modelfolder.read(args.folder)
    model.eval()
    ae = modelfolder.read_autoencoder(args.folder)
    if ae is None:
        sys.exit("%s: config.json has no autoencoder block" % args.folder)
    ae.eval()
    write_shards(args.videos, args.shard, lambda k: os.path.join(args.out, "pairs-%05d.npz" % k),
                 lambda k: make_shard(model, ae, vocab, k, args.shard, args))


if __name__ == "__main__":
    main()
