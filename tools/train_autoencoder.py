"""Trains reel-vae-2d, the per-frame autoencoder, on 128x128 frames of procedural shape videos.

  OMP_WAIT_POLICY=PASSIVE nice -n 10 /usr/bin/python3 tools/train_autoencoder.py --minutes 240

Loss: L1 + --l2-weight x L2 on pixels (the L2 part pulls hard on large errors, so training never
sits on the background-only plateau that L1 alone lingers on; L1 keeps flat regions exactly flat)
+ --edge-weight x L1 of the horizontal and vertical pixel differences (the
finite-difference gradient; blur lowers a reconstruction's gradient at an edge, so this term
penalises it directly where plain L1 barely does) + --kl x the KL divergence of the encoder's
Gaussian from N(0, 1), per latent element (a light regulariser: it keeps the latent's scale bounded
and makes the decoder tolerate small latent perturbations, so a diffusion model's errors decode
smoothly). AdamW, EMA of the weights, optional bf16 CPU autocast.

Resumes from --checkpoint when it exists (model, EMA, AdamW moments stored as bfloat16, step, loss
log, evaluations)
and overwrites that one file every --save-minutes (written to .tmp, then renamed). Every
--eval-minutes the EMA weights are measured on reel.aemetrics' fixed held-out renders; the loss
log and the evaluations are also written as CSV next to the checkpoint."""
import argparse
import math
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import aemetrics, data
from reel.autoencoder import AEConfig, Autoencoder, kl_divergence, parameter_count
from reel.vocab import Vocabulary

HERE = os.path.dirname(os.path.abspath(__file__))


def pixel_gradients(x):
    """Forward differences along width and height of [B, C, H, W]."""
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def ae_loss(model, x, gen, edge_weight, kl_weight, l2_weight=1.0):
    """(total, pixel, edge, kl) for frames x [B, 3, H, W] in [-1, 1]; pixel = L1 + l2_weight x L2."""
    recon, mean, logvar = model(x, gen)
    recon = recon.float()
    err = recon - x
    pixel = err.abs().mean() + l2_weight * err.pow(2).mean()
    rx, ry = pixel_gradients(recon)
    tx, ty = pixel_gradients(x)
    edge = 0.5 * ((rx - tx).abs().mean() + (ry - ty).abs().mean())
    kl = kl_divergence(mean.float(), logvar.float())
    return pixel + edge_weight * edge + kl_weight * kl, pixel, edge, kl


@torch.no_grad()
def reconstruct(model, frames01, batch=16):
    """Frames [n, 3, S, S] in [0, 1] -> reconstructions in [0, 1] (posterior mean, float32)."""
    out = []
    for i in range(0, len(frames01), batch):
        x = torch.from_numpy(frames01[i:i + batch]) * 2 - 1
        mean, _ = model.encoder(x)
        out.append(((model.decoder(mean) + 1) / 2).clamp(0, 1).numpy())
    return np.concatenate(out)


@torch.no_grad()
def latent_spread(model, frames01, batch=16):
    """Per-channel std of the posterior mean and the mean posterior std over the frames."""
    means, sig = [], []
    for i in range(0, len(frames01), batch):
        m, lv = model.encoder(torch.from_numpy(frames01[i:i + batch]) * 2 - 1)
        means.append(m)
        sig.append(torch.exp(0.5 * lv).mean().item())
    m = torch.cat(means)
    return m.transpose(0, 1).reshape(m.shape[1], -1).std(dim=1).tolist(), float(np.mean(sig))


def compact_optimizer_state(sd):
    """AdamW's state dict with the moments stored as bfloat16 (half the bytes; their 8-bit mantissa
    is ample for a running average), so weights + EMA + moments fit the 15 MB checkpoint."""
    state = {k: {n: (v.to(torch.bfloat16) if torch.is_tensor(v) and v.is_floating_point() and v.dim() > 0 else v)
                 for n, v in st.items()} for k, st in sd["state"].items()}
    return dict(state=state, param_groups=sd["param_groups"])


def restore_optimizer_state(sd):
    state = {k: {n: (v.float() if torch.is_tensor(v) and v.dtype == torch.bfloat16 else v) for n, v in st.items()}
             for k, st in sd["state"].items()}
    return dict(state=state, param_groups=sd["param_groups"])


def save(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def write_csvs(path, log, evals):
    base = os.path.splitext(path)[0]
    with open(base + "-loss.csv", "w") as f:
        f.write("step,samples,seconds,loss,pixel_l1_plus_l2,edge,kl\n")
        for r in log:
            f.write("%d,%d,%.0f,%.6f,%.6f,%.6f,%.4f\n" % r)
    with open(base + "-eval.csv", "w") as f:
        f.write("step,samples,seconds,psnr,psnr_min,edge_width,edge_width_gt,grad_energy_ratio,flat_rmse,latent_std,posterior_std\n")
        for e in evals:
            f.write("%d,%d,%.0f,%.3f,%.3f,%.4f,%.4f,%.4f,%.5f,%s,%.4f\n" % (
                e["step"], e["samples"], e["seconds"], e["psnr"], e["psnr_min"], e["edge_width"], e["edge_width_gt"],
                e["grad_energy_ratio"], e["flat_rmse"], " ".join("%.3f" % s for s in e["latent_std"]), e["posterior_std"]))


def bench(cfg, vocab, args):
    """Frames/s of whole training steps (data, forward, backward, AdamW) per batch size and precision."""
    rng = random.Random(0)
    gen = torch.Generator().manual_seed(0)
    for precision in ("fp32", "bf16"):
        for b in [int(v) for v in args.bench.split(",")]:
            torch.manual_seed(0)
            model = Autoencoder(cfg)
            opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
            times = []
            for i in range(args.bench_steps + 1):
                t0 = time.time()
                x = torch.from_numpy(data.frame_batch(vocab, b, args.size, rng, args.frames, "train"))
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    loss = ae_loss(model, x, gen, args.edge_weight, args.kl, args.l2_weight)[0]
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if i:
                    times.append(time.time() - t0)   # the first step warms up
            print("%s batch %d: %.1f frames/s (median step %.3f s over %d steps)"
                  % (precision, b, b / float(np.median(times)), float(np.median(times)), len(times)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "autoencoder.pt"))
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--save-minutes", type=float, default=5)
    ap.add_argument("--eval-minutes", type=float, default=10)
    ap.add_argument("--eval-frames", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--anneal-minutes", type=float, default=0.0,
                    help="over the run's last minutes, the lr falls linearly to a tenth (a resumed run starts again at --lr)")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--edge-weight", type=float, default=1.0)
    ap.add_argument("--l2-weight", type=float, default=1.0, help="pixel loss = L1 + this x L2")
    ap.add_argument("--kl", type=float, default=1e-5)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--frames", type=int, default=16, help="training frames are drawn from videos this long")
    ap.add_argument("--latent-channels", type=int, default=4, help="a fresh model's")
    ap.add_argument("--widths", default="16,32,64,96", help="a fresh model's channels per level, full resolution first")
    ap.add_argument("--decoder-blocks", type=int, default=2, help="a fresh model's")
    ap.add_argument("--encoder-blocks", type=int, default=1, help="a fresh model's")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--precision", choices=("bf16", "fp32"), default="bf16",
                    help="bf16: convolutions under CPU autocast (weights, gradients, GroupNorm and AdamW stay fp32)")
    ap.add_argument("--bench", help="instead of training, time training steps of a fresh model at these batch sizes, e.g. 8,16,32")
    ap.add_argument("--bench-steps", type=int, default=6)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab = Vocabulary.load()
    if args.bench:
        return bench(AEConfig(latent_channels=args.latent_channels, widths=tuple(int(w) for w in args.widths.split(",")),
                              encoder_blocks=args.encoder_blocks, decoder_blocks=args.decoder_blocks), vocab, args)

    ck = torch.load(args.checkpoint) if os.path.exists(args.checkpoint) else None
    if ck is not None:
        cfg = AEConfig.from_json(ck["config"])
    else:
        cfg = AEConfig(latent_channels=args.latent_channels, widths=tuple(int(w) for w in args.widths.split(",")),
                       encoder_blocks=args.encoder_blocks, decoder_blocks=args.decoder_blocks)
    torch.manual_seed(args.seed)
    model = Autoencoder(cfg)
    ema = Autoencoder(cfg)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    step, samples, seconds, log, evals = 0, 0, 0.0, [], []
    if ck is not None:
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        if ck.get("optimizer") is not None:
            opt.load_state_dict(restore_optimizer_state(ck["optimizer"]))
        step, samples, seconds, log, evals = ck["step"], ck["samples"], ck["seconds"], ck["log"], ck["evals"]
        print("resumed at step %d, %d samples, %.0f training minutes" % (step, samples, seconds / 60), flush=True)
    for p in ema.parameters():
        p.requires_grad_(False)
    print("reel-vae-2d widths %s, blocks %d/%d, latent %d x %d/%d: %d parameters (encoder %d, decoder %d)"
          % (list(cfg.widths), cfg.encoder_blocks, cfg.decoder_blocks, cfg.latent_channels, args.size, cfg.factor,
             parameter_count(model), parameter_count(model.encoder), parameter_count(model.decoder)), flush=True)
    held = aemetrics.held_out_set(vocab, args.eval_frames, args.size, args.frames)
    gen = torch.Generator().manual_seed(args.seed * 1000003 + step)
    rng = random.Random(args.seed * 7919 + step)

    def evaluate():
        m = aemetrics.measure(reconstruct(ema, held["frames"]), held)
        m["latent_std"], m["posterior_std"] = latent_spread(ema, held["frames"])
        m.update(step=step, samples=samples, seconds=seconds)
        evals.append(m)
        print("eval step %d: %s  latent std %s  posterior std %.4f" % (
            step, aemetrics.format_metrics(m), " ".join("%.2f" % s for s in m["latent_std"]), m["posterior_std"]), flush=True)

    def checkpoint():
        save(args.checkpoint, dict(config=cfg.to_json(), model=model.state_dict(), ema=ema.state_dict(),
                                   optimizer=compact_optimizer_state(opt.state_dict()), step=step, samples=samples, seconds=seconds,
                                   log=log, evals=evals, args=vars(args)))
        write_csvs(args.checkpoint, log, evals)
        print("saved %s at step %d (%.1f MB)" % (args.checkpoint, step, os.path.getsize(args.checkpoint) / 2 ** 20), flush=True)

    if not evals:
        evaluate()
    start = last_save = last_eval = time.time()
    acc, acc_n, t_acc = np.zeros(4), 0, time.time()
    run_from = step
    while True:
        t0 = time.time()
        x = torch.from_numpy(data.frame_batch(vocab, args.batch, args.size, rng, args.frames, "train"))
        left = args.minutes - (time.time() - start) / 60
        anneal = 1.0 if args.anneal_minutes <= 0 or left >= args.anneal_minutes else max(0.1, left / args.anneal_minutes)
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1 - run_from) / args.warmup if ck is None else 1.0) * anneal
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss, pixel, edge, kl = ae_loss(model, x, gen, args.edge_weight, args.kl, args.l2_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        samples += args.batch
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        now = time.time()
        seconds += now - t0
        acc += [loss.item(), pixel.item(), edge.item(), kl.item()]
        acc_n += 1
        if acc_n == 50:
            rate = acc_n * args.batch / (now - t_acc)
            a = acc / acc_n
            log.append((step, samples, seconds, a[0], a[1], a[2], a[3]))
            print("step %d samples %d loss %.5f (pixel %.5f edge %.5f kl %.3f)  %.1f frames/s" % (step, samples, *a, rate), flush=True)
            acc, acc_n, t_acc = np.zeros(4), 0, time.time()
        done = now - start > args.minutes * 60
        if (done and evals[-1]["step"] != step) or (now - last_eval > args.eval_minutes * 60
                                                         and args.minutes * 60 - (now - start) > 60):
            evaluate()
            last_eval = time.time()
        if done or now - last_save > args.save_minutes * 60:
            checkpoint()
            last_save = time.time()
        if done:
            break


if __name__ == "__main__":
    main()
