"""Trains the embedded reel-dit on procedural shape videos with flow matching on the CPU.

  /usr/bin/python3 tools/train.py --minutes 120

resumes from --checkpoint when it exists (model, EMA, AdamW state, step, data position, loss log),
and overwrites that one file every --save-minutes."""
import argparse
import os
import random
import sys
import time

import glob

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import data, flow, modelfolder
from reel.model import Config, ReelDiT, patchify
from reel.vocab import Caption, Vocabulary

# Played backwards, a video of this data set is one of the opposite direction whose start is drawn
# from exactly the distribution data.motion draws for that direction; and the autoencoder encodes
# each frame on its own, so reversing a latent along time is exactly the latent of the reversed video.
REVERSED = {"left": "right", "right": "left", "up": "down", "down": "up", "up-left": "down-right",
            "down-right": "up-left", "up-right": "down-left", "down-left": "up-right", "static": "static"}


def prompt_text(c, rng, article_swap=0.25):
    """A training caption for c: the background stated in half, "static" or "standing still" for no
    motion, and in a quarter of the prompts each article swapped for the other, so that "a orange"
    means what "an orange" does (the grammar accepts either; the Java runtime also normalises)."""
    stated = c if rng.random() < 0.5 else Caption(c.colour, c.shape, c.direction, None)
    words = Vocabulary.caption_text(stated, "static" if rng.random() < 0.5 else "standing still").split()
    for i, w in enumerate(words):
        if w in ("a", "an") and rng.random() < article_swap:
            words[i] = "an" if w == "a" else "a"
    return " ".join(words)


class LatentPool:
    """Training videos as latents from tools/make_latents.py's shards, read as they appear."""

    def __init__(self, folder, vocab):
        self.folder, self.vocab = folder, vocab
        self.loaded = set()
        self.z, self.captions = [], []
        self.refresh()
        if not self.z:
            sys.exit("%s: no latent shards (tools/make_latents.py writes them)" % folder)

    def refresh(self):
        for path in sorted(glob.glob(os.path.join(self.folder, "shard-*.npz"))):
            if path in self.loaded or path.endswith(".tmp.npz"):
                continue
            with np.load(path) as s:
                v = self.vocab
                self.z.extend(s["z"])
                self.captions.extend(Caption(v.colours[a], v.shapes[b], v.directions[c], v.backgrounds[d])
                                     for a, b, c, d in zip(s["colour"], s["shape"], s["direction"], s["background"]))
            self.loaded.add(path)
        return len(self.z)

    def shape(self):
        return self.z[0].shape

    def batch(self, n, rng):
        """(x0 [n, C, T, h, w] float32, ids [n, L], lengths [n]): videos drawn at random, each played
        backwards (direction reversed) half the time."""
        xs, ids, lens = [], [], []
        for _ in range(n):
            i = rng.randrange(len(self.z))
            z, c = self.z[i].astype(np.float32), self.captions[i]
            if rng.random() < 0.5:
                z = z[:, ::-1].copy()
                c = Caption(c.colour, c.shape, REVERSED[c.direction], c.background)
            t, l = self.vocab.encode(prompt_text(c, rng))
            xs.append(z)
            ids.append(t)
            lens.append(l)
        return np.stack(xs), np.array(ids, np.int64), np.array(lens, np.int64)


def draw_batch(pool, vocab, n, cfg, rng):
    if pool is not None:
        return pool.batch(n, rng)
    vids, ids, lens, _ = data.batch(vocab, n, cfg.frames, cfg.height, rng, "train")
    return vids, ids, lens

HERE = os.path.dirname(os.path.abspath(__file__))


def sample_t(b, gen, shift, uniform_fraction, top_fraction=0.0, top_from=0.9):
    """Training timesteps: logit-normal(0, 1) shifted towards noise, mixed with a uniform share
    over (0, 1) and a uniform share over (top_from, 1).
    The shift matters because these videos are so redundant (plain backgrounds, near-identical
    frames) that below t ~ 0.9 the prompt's motion can be read off x_t itself, and the model
    would never learn to use the text where sampling needs it. The uniform share matters because a
    shifted logit-normal alone almost never draws t < 0.3 (under 1% of draws at shift 5), where
    the sampler's last steps remove the remaining noise and sharpen the edges. The top share
    matters because the sampler's first steps (t from 1 down to about 0.9, where the object's
    place and track are decided) are where the motion can only come from the text, and the
    logit-normal at shift 3 draws t > 0.98 in under 1% of steps."""
    u = torch.sigmoid(torch.randn(b, generator=gen))
    t = shift * u / (1 + (shift - 1) * u)
    r = torch.rand(b, generator=gen)
    t = torch.where(r < uniform_fraction, torch.rand(b, generator=gen), t)
    top = (r >= uniform_fraction) & (r < uniform_fraction + top_fraction)
    return torch.where(top, top_from + (1 - top_from) * torch.rand(b, generator=gen), t)


def noised(x0, gen, shift, uniform_fraction, top_fraction=0.0):
    """A training draw: timesteps t [B], noise and x_t = (1 - t) x0 + t noise."""
    t = sample_t(x0.shape[0], gen, shift, uniform_fraction, top_fraction)
    noise = torch.randn(x0.shape, generator=gen)
    xt = (1 - t)[:, None, None, None, None] * x0 + t[:, None, None, None, None] * noise
    return t, noise, xt


def flow_loss(model, x0, ids, lengths, gen, cfg_dropout, uncond_ids, shift=1.0, uniform_fraction=0.0,
              top_fraction=0.0):
    """Mean squared error of the flow velocity, whatever the model's prediction type: for
    'flow_sample' the velocity is (x_t - x0_hat) / max(t, T_FLOOR), so the loss is the x0 error
    weighted by 1 / t^2. A model that outputs the clean video need not reproduce the noise in its
    output, which a narrow model with large pixel patches does poorly."""
    b = x0.shape[0]
    t, noise, xt = noised(x0, gen, shift, uniform_fraction, top_fraction)
    drop = torch.rand(b, generator=gen) < cfg_dropout          # classifier-free guidance dropout
    ids = torch.where(drop[:, None], uncond_ids[None], ids)
    lengths = torch.where(drop, torch.ones_like(lengths), lengths)
    v = flow.velocity(model(xt, t, ids, lengths), xt, t, model.cfg.prediction, flow.T_FLOOR)
    return (v - (noise - x0)).pow(2).mean()


@torch.no_grad()
def fit_head(model, vocab, args, rng, gen, pool=None, batches=6, ridge=1e-3):
    """Refits final.linear by ridge regression of the model's own target (for 'flow_sample' the
    clean patches, for 'flow_velocity' the velocity) on the features the layer receives, over a few
    training batches: after a change of prediction type the rest of the network keeps what it
    learnt and training resumes from a sensible output instead of zero."""
    cfg = model.cfg
    feats, targets = [], []
    hook = model.final.linear.register_forward_hook(lambda m, inp, out: feats.append(inp[0].reshape(-1, inp[0].shape[-1])))
    for _ in range(batches):
        vids, ids, lens = draw_batch(pool, vocab, args.batch, cfg, rng)
        x0 = torch.from_numpy(vids)
        t, noise, xt = noised(x0, gen, args.shift, args.uniform_fraction, args.top_fraction)
        model(xt, t, torch.from_numpy(ids), torch.from_numpy(lens))
        target = x0 if cfg.prediction == "flow_sample" else noise - x0
        targets.append(patchify(target, cfg.patch).reshape(-1, cfg.patch_dim))
    hook.remove()
    f = torch.cat(feats).double()
    f = torch.cat([f, torch.ones(f.shape[0], 1, dtype=f.dtype)], dim=1)
    y = torch.cat(targets).double()
    a = f.T @ f + ridge * f.shape[0] * torch.eye(f.shape[1], dtype=f.dtype)
    w = torch.linalg.solve(a, f.T @ y)                                          # [D + 1, P]
    model.final.linear.weight.copy_(w[:-1].T.float())
    model.final.linear.bias.copy_(w[-1].float())
    print("final.linear refitted: rms residual %.4f" % (f @ w - y).pow(2).mean().sqrt().item(), flush=True)


def save(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "reel-shapes.pt"))
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--save-minutes", type=float, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--anneal-minutes", type=float, default=0.0,
                    help="over the run's last minutes, the lr falls linearly to a tenth (a resumed run starts again at --lr)")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--cfg-dropout", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attention", choices=("factorised", "full"),
                    help="a fresh model's attention kind (default full: it learnt the stated motion where "
                         "factorised attention did not, at 16%% more time per step under bf16); given with a "
                         "checkpoint of the other kind, switches it (the weights are the same shapes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prediction", choices=flow.PREDICTIONS,
                    help="switch a checkpoint's output to this prediction type: the final linear layer "
                         "is refitted by least squares, the AdamW moments and the EMA restart")
    ap.add_argument("--shift", type=float, default=3.0, help="timestep shift, training and default sampling")
    ap.add_argument("--uniform-fraction", type=float, default=0.3, help="share of training timesteps drawn uniformly")
    ap.add_argument("--top-fraction", type=float, default=0.2,
                    help="share of training timesteps drawn uniformly from (0.9, 1), the sampler's first steps")
    ap.add_argument("--precision", choices=("bf16", "fp32"), default="bf16",
                    help="bf16: matrix products under CPU autocast (weights, gradients and AdamW stay fp32); "
                         "forward and backward 3.5x faster than fp32 on this AVX-512-BF16 CPU at the same loss")
    ap.add_argument("--latents", help="train on these latent shards (tools/make_latents.py) instead of rendering pixels")
    ap.add_argument("--patch", default="4,2,2", help="a fresh latent model's patch (t, h, w)")
    ap.add_argument("--init-from", help="a fresh model takes every tensor of this model folder whose name and shape "
                                        "match (a pixel model's blocks, text encoder and embeddings); the final "
                                        "linear layer is then refitted by least squares")
    ap.add_argument("--export", help="at each save, also write the EMA weights in fp32 as a model folder here "
                                     "(config, weights, vocabulary; the autoencoder is added by eval_autoencoder --export)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab = Vocabulary.load()
    pool = LatentPool(args.latents, vocab) if args.latents else None

    if os.path.exists(args.checkpoint):
        ck = torch.load(args.checkpoint)
        cfg = Config.from_json(ck["config"])
    else:
        ck = None
        cfg = Config(attention=args.attention or "full", vocab_size=len(vocab.tokens), max_tokens=vocab.max_tokens)
        if pool is not None:
            c, t, h, w = pool.shape()
            cfg.channels, cfg.frames, cfg.height, cfg.width = c, t, h, w
            cfg.patch = tuple(int(v) for v in args.patch.split(","))
    if pool is not None and (cfg.channels, cfg.frames, cfg.height, cfg.width) != tuple(pool.shape()):
        sys.exit("latents %s do not match the checkpoint's [C, T, H, W] %s"
                 % (pool.shape(), (cfg.channels, cfg.frames, cfg.height, cfg.width)))
    switch_attention = ck is not None and args.attention is not None and args.attention != cfg.attention
    if switch_attention:
        print("attention %s -> %s: the EMA restarts from the weights, with a fresh lr warm-up"
              % (cfg.attention, args.attention), flush=True)
        cfg.attention = args.attention
    cfg.shift = args.shift  # the same shift places the sampler's steps
    switch = args.prediction is not None and args.prediction != cfg.prediction
    if ck is None and args.prediction is not None:
        cfg.prediction = args.prediction
    torch.manual_seed(args.seed)
    model = ReelDiT(cfg)
    ema = ReelDiT(cfg)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    step, samples, log = 0, 0, []
    warm_from = 0
    if ck is None and args.init_from:
        source, _, _ = modelfolder.read(args.init_from)
        own = model.state_dict()
        taken = {k: v for k, v in source.state_dict().items() if k in own and own[k].shape == v.shape}
        model.load_state_dict(taken, strict=False)
        print("from %s: %d of %d tensors; fresh: %s" % (args.init_from, len(taken), len(own),
                                                        sorted(set(own) - set(taken))), flush=True)
        fit_head(model, vocab, args, random.Random(args.seed * 31), torch.Generator().manual_seed(args.seed), pool)
        ema.load_state_dict(model.state_dict())
    if ck is not None:
        missing = model.load_state_dict({k: v.float() for k, v in ck["model"].items()}, strict=False).missing_keys
        ema.load_state_dict({k: v.float() for k, v in ck["ema"].items()}, strict=False)
        step, samples, log = ck["step"], ck["samples"], ck["log"]
        if "optimizer" not in ck:
            print("the checkpoint keeps no optimizer state: AdamW restarts with a fresh warm-up", flush=True)
            warm_from = step
        elif missing:
            # a layer added since the checkpoint (zero-initialised, so the function is unchanged):
            # the AdamW moments no longer line up, so they restart with a fresh warm-up
            print("new parameters %s: optimizer state restarts" % missing, flush=True)
            warm_from = step
        else:
            opt.load_state_dict(ck["optimizer"])
            warm_from = ck.get("warm_from", 0)
        print("resumed at step %d, %d samples" % (step, samples), flush=True)
        if switch_attention:
            ema.load_state_dict(model.state_dict())
            warm_from = step
        if switch:
            print("prediction %s -> %s: final.linear refitted, optimizer and EMA restart"
                  % (cfg.prediction, args.prediction), flush=True)
            cfg.prediction = args.prediction
            fit_head(model, vocab, args, random.Random(args.seed * 31 + step), torch.Generator().manual_seed(step), pool)
            ema.load_state_dict(model.state_dict())
            opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
            warm_from = step
    for p in ema.parameters():
        p.requires_grad_(False)
    uncond_ids = torch.tensor(vocab.encode("")[0])
    gen = torch.Generator().manual_seed(args.seed * 1000003 + step)
    rng = random.Random(args.seed * 7919 + step)

    start = last_save = time.time()
    acc, acc_n, t_acc = 0.0, 0, time.time()
    while True:
        vids, ids, lens = draw_batch(pool, vocab, args.batch, cfg, rng)
        left = args.minutes - (time.time() - start) / 60
        anneal = 1.0 if args.anneal_minutes <= 0 or left >= args.anneal_minutes else max(0.1, left / args.anneal_minutes)
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1 - warm_from) / args.warmup) * anneal
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss = flow_loss(model, torch.from_numpy(vids), torch.from_numpy(ids), torch.from_numpy(lens),
                             gen, args.cfg_dropout, uncond_ids, cfg.shift, args.uniform_fraction,
                             args.top_fraction)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        samples += args.batch
        decay = min(args.ema, (1 + step - warm_from) / (10 + step - warm_from))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        acc += loss.item()
        acc_n += 1
        if acc_n == 50:
            rate = acc_n * args.batch / (time.time() - t_acc)
            log.append((step, samples, acc / acc_n))
            print("step %d samples %d loss %.5f  %.1f samples/s" % (step, samples, acc / acc_n, rate), flush=True)
            acc, acc_n, t_acc = 0.0, 0, time.time()
        now = time.time()
        done = now - start > args.minutes * 60
        if done or now - last_save > args.save_minutes * 60:
            if pool is None:
                save(args.checkpoint, dict(config=cfg.to_json(), model=model.state_dict(), ema=ema.state_dict(),
                                           optimizer=opt.state_dict(), step=step, samples=samples, log=log,
                                           warm_from=warm_from, args=vars(args)))
            else:
                # at most 15 MB: the weights and the EMA as bfloat16, the AdamW moments left to restart
                half = lambda m: {k: v.detach().to(torch.bfloat16) for k, v in m.state_dict().items()}
                save(args.checkpoint, dict(config=cfg.to_json(), model=half(model), ema=half(ema), step=step,
                                           samples=samples, log=log, args=vars(args)))
                pool.refresh()
            if args.export:
                modelfolder.write(args.export, ema, dict(trained_samples=samples, trained_steps=step))
            with open(os.path.splitext(args.checkpoint)[0] + "-loss.csv", "w") as f:
                f.write("step,samples,loss_mean_of_50_steps\n")
                for s, n, l in log:
                    f.write("%d,%d,%.6f\n" % (s, n, l))
            print("saved %s at step %d" % (args.checkpoint, step), flush=True)
            last_save = now
        if done:
            break


if __name__ == "__main__":
    main()
