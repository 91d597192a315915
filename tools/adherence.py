"""Measures prompt adherence of a model folder: samples prompt x seed pairs with the twin (a latent
model's videos decoded by the folder's autoencoder) and scores colour, shape (the strict fill rule,
and the template rule beside it), direction, the background's colour where the prompt names it and
how clean the background is (reel/evaluate.py), separately for colour-shape pairs seen in training
and those held out of it. A quarter of the prompts swap an article ("a orange"): the grammar
accepts either.

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
        text = Vocabulary.caption_text(c)
        if rng.random() < 0.25:
            text = ("an " + text[2:]) if text.startswith("a ") else ("a " + text[3:])
        out.append((text, c, "held_out" if i % 2 else "seen", 1000 + i))
    return out


TARGETS = dict(colour=0.95, direction=0.90, shape=0.90, background=0.95)
MAD_TARGET = 3.0 / 255


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
    ae = modelfolder.read_autoencoder(args.model)
    todo = prompts(vocab, args.pairs, 7)
    rows = []
    t0 = time.time()
    for i in range(0, len(todo), args.batch):
        chunk = todo[i:i + args.batch]
        with torch.no_grad():
            vids = generate(model, vocab, [p for p, *_ in chunk], [s for *_, s in chunk], args.steps, args.guidance)
            if ae is not None:
                vids = ae.decode_video(vids)
        for (p, c, split, seed), v in zip(chunk, vids):
            r = evaluate.analyse(evaluate.video_to_frames(v.numpy()), vocab)
            rows.append(dict(prompt=p, seed=seed, split=split, colour=r["colour"] == c.colour,
                             shape=r["shape_fill"] == c.shape, shape_template=r["shape"] == c.shape,
                             direction=r["direction"] == c.direction,
                             background=None if c.background is None else r["background"] == c.background,
                             background_mad=r["background_mad"],
                             found=(r["colour"], r["shape_fill"], r["direction"], r["background"])))
        print("%d/%d pairs, %.0f s" % (len(rows), len(todo), time.time() - t0), flush=True)
    table = {}
    for split in ("seen", "held_out", "all"):
        sel = [r for r in rows if split == "all" or r["split"] == split]
        table[split] = {k: sum(r[k] for r in sel) / len(sel) for k in ("colour", "shape", "shape_template", "direction")}
        stated = [r["background"] for r in sel if r["background"] is not None]
        table[split]["background"] = sum(stated) / len(stated) if stated else None
        table[split]["background_stated"] = len(stated)
        mads = [r["background_mad"] for r in sel if r["background_mad"] is not None]
        table[split]["background_mad_mean"] = float(sum(mads) / len(mads)) if mads else None
        table[split]["background_mad_max"] = float(max(mads)) if mads else None
        table[split]["n"] = len(sel)
    steps = args.steps or cfgj["steps"]
    guidance = args.guidance or cfgj["guidance"]
    result = dict(table=table, steps=steps, guidance=guidance, targets=dict(TARGETS, background_mad=MAD_TARGET),
                  rows=rows)
    print("split      n   colour  shape(fill)  shape(template)  direction  background  bg MAD mean/max (/255)")
    for split, t in table.items():
        bg = "n/a" if t["background"] is None else "%5.1f%%" % (100 * t["background"])
        mad = "n/a" if t["background_mad_mean"] is None else "%.2f / %.2f" % (255 * t["background_mad_mean"], 255 * t["background_mad_max"])
        print("%-9s %4d  %5.1f%%  %5.1f%%       %5.1f%%           %5.1f%%     %s    %s" % (
            split, t["n"], 100 * t["colour"], 100 * t["shape"], 100 * t["shape_template"], 100 * t["direction"], bg, mad))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
