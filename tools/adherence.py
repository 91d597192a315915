"""Measures prompt adherence of a model folder: samples prompt x seed pairs with the twin and
scores colour, shape and direction with the evaluator, separately for colour-shape pairs seen
in training and those held out of it.

  /usr/bin/python3 tools/adherence.py --model java/src/main/resources/dev/reel/model/embedded \
      --pairs 240 --out tools/checkpoints/adherence.json"""
import argparse
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import data, evaluate, modelfolder
from reel.generate import generate
from reel.vocab import Caption, Vocabulary


def prompts(vocab, n, seed):
    """Half seen combinations, half held-out; the background is stated in half of them."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        c = data.random_caption(vocab, rng, "held_out" if i % 2 else "train")
        if rng.random() < 0.5:
            c = Caption(c.colour, c.shape, c.direction, None)
        out.append((Vocabulary.caption_text(c), c, "held_out" if i % 2 else "seen", 1000 + i))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--pairs", type=int, default=240)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--guidance", type=float)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, vocab, cfgj = modelfolder.read(args.model)
    todo = prompts(vocab, args.pairs, 7)
    rows = []
    t0 = time.time()
    for i in range(0, len(todo), args.batch):
        chunk = todo[i:i + args.batch]
        vids = generate(model, vocab, [p for p, *_ in chunk], [s for *_, s in chunk], args.steps, args.guidance)
        for (p, c, split, seed), v in zip(chunk, vids):
            r = evaluate.analyse(evaluate.video_to_frames(v.numpy()), vocab)
            rows.append(dict(prompt=p, seed=seed, split=split, colour=r["colour"] == c.colour,
                             shape=r["shape"] == c.shape, direction=r["direction"] == c.direction,
                             found=(r["colour"], r["shape"], r["direction"])))
        print("%d/%d pairs, %.0f s" % (len(rows), len(todo), time.time() - t0), flush=True)
    table = {}
    for split in ("seen", "held_out", "all"):
        sel = [r for r in rows if split == "all" or r["split"] == split]
        table[split] = {k: sum(r[k] for r in sel) / len(sel) for k in ("colour", "shape", "direction")}
        table[split]["n"] = len(sel)
    steps = args.steps or cfgj["steps"]
    guidance = args.guidance or cfgj["guidance"]
    result = dict(table=table, steps=steps, guidance=guidance, rows=rows)
    print("split      n   colour  shape  direction")
    for split, t in table.items():
        print("%-9s %4d  %5.1f%%  %5.1f%%  %5.1f%%" % (split, t["n"], 100 * t["colour"], 100 * t["shape"], 100 * t["direction"]))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
