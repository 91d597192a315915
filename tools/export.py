"""Exports the EMA weights of a training checkpoint as a model folder, and the sampling
trajectory fixture that the Java runtime checks the embedded model against.

  /usr/bin/python3 tools/export.py   # checkpoint -> java/src/main/resources/dev/reel/model/embedded
  /usr/bin/python3 tools/export.py --folder DIR   # a model folder (a latent model: its autoencoder too),
                                                  # as train.py --export writes it in float32"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import modelfolder, safetensors
from reel.generate import generate, initial_noise
from reel.model import Config, ReelDiT
from reel.vocab import Vocabulary

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EMBEDDED = os.path.join(ROOT, "java", "src", "main", "resources", "dev", "reel", "model", "embedded")
FIXTURES = os.path.join(ROOT, "java", "src", "test", "resources", "dev", "reel", "model", "fixtures")

TRAJECTORY = dict(prompt="a red circle moving right", seed=42, steps=4, guidance=4.0)


def trajectory_fixture(model, vocab, path):
    """The initial noise and the latent after each of a few flow Euler steps, for one prompt and seed."""
    trace = []
    p = TRAJECTORY
    generate(model, vocab, [p["prompt"]], [p["seed"]], p["steps"], p["guidance"], trace=trace)  # the model's interval
    tensors = {"noise": initial_noise(model.cfg, p["seed"]).numpy()}
    for i, x in enumerate(trace):
        tensors["step%d" % (i + 1)] = x[0].numpy()
    ids, n = vocab.encode(p["prompt"])
    tensors["prompt_ids"] = np.array(ids, np.int64)
    lo, hi = model.cfg.guidance_interval
    meta = dict(p, sampler="flow_euler", shift=model.cfg.shift, negative_prompt="",
                guidance_interval="%r,%r" % (lo, hi),
                note="x_{i+1} = x_i + (t_{i+1} - t_i) * v_i, t_i = s(1 - i/steps), s(u) = shift u / (1 + (shift - 1) u); "
                     "v_i = v_u + guidance * (v_c - v_u) where guidance_interval holds t_i, else v_c (a forward of "
                     "the conditional row alone)")
    safetensors.write(path, tensors, meta)


def forward_seconds(model, repeats=10):
    """Median time of one forward of the cond + uncond batch (batch 2) at the default size."""
    cfg = model.cfg
    x = torch.randn(2, cfg.channels, cfg.frames, cfg.height, cfg.width)
    t = torch.tensor([0.5, 0.5])
    ids = torch.zeros(2, cfg.max_tokens, dtype=torch.long)
    n = torch.tensor([6, 1])
    times = []
    with torch.no_grad():
        model(x, t, ids, n)
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x, t, ids, n)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "reel-shapes.pt"))
    ap.add_argument("--folder", help="export this model folder instead of a checkpoint's EMA")
    ap.add_argument("--out", default=EMBEDDED)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--guidance", type=float)
    ap.add_argument("--guidance-interval", help="FROM,TO: the default flow times t at which guidance applies")
    args = ap.parse_args()
    torch.set_num_threads(2)
    ae = None
    if args.folder:
        model, _, cfgj = modelfolder.read(args.folder)
        ae = modelfolder.read_autoencoder(args.folder)
        ck = dict(samples=cfgj.get("trained_samples", 0), step=cfgj.get("trained_steps", 0))
        cfg = model.cfg
    else:
        ck = torch.load(args.checkpoint)
        cfg = Config.from_json(ck["config"])
        model = ReelDiT(cfg)
        model.load_state_dict(ck["ema"])
        model.eval()
    if args.steps:
        cfg.steps = args.steps
    if args.guidance:
        cfg.guidance = args.guidance
    if args.guidance_interval:
        lo, hi = (float(v) for v in args.guidance_interval.split(","))
        assert 0 <= lo <= hi <= 1, args.guidance_interval
        cfg.guidance_interval = (lo, hi)
    vocab = Vocabulary.load()
    # modelfolder.write keeps a folder's autoencoder block: start from none, so a pixel model drops an old one
    for name in ("config.json",) + (() if ae is not None else (modelfolder.AE_FILE,)):
        if os.path.exists(os.path.join(args.out, name)):
            os.remove(os.path.join(args.out, name))
    if ae is not None:
        modelfolder.write_autoencoder(args.out, ae)
    modelfolder.write(args.out, model, {"trained_samples": ck["samples"], "trained_steps": ck["step"]})
    back, _, _ = modelfolder.read(args.out)
    if ae is not None:
        back_ae = modelfolder.read_autoencoder(args.out)
        for k, v in ae.state_dict().items():
            assert torch.equal(back_ae.state_dict()[k], v), k
    for k, v in model.state_dict().items():
        assert torch.equal(back.state_dict()[k], v), k
    os.makedirs(FIXTURES, exist_ok=True)
    trajectory_fixture(back, vocab, os.path.join(FIXTURES, "embedded-trajectory.safetensors"))
    size = os.path.getsize(os.path.join(args.out, "model.safetensors"))
    if ae is not None:
        size += os.path.getsize(os.path.join(args.out, modelfolder.AE_FILE))
    print("exported step %d (%d samples) to %s: %.1f MB of weights" % (ck["step"], ck["samples"], args.out, size / 1e6))
    print("forward, cond + uncond batch: %.3f s" % forward_seconds(back))


if __name__ == "__main__":
    main()
