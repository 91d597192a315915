"""Generates one video with the twin from a model folder and writes its frames as PNG files.

  /usr/bin/python3 tools/sample.py "a red circle moving right" --seed 42 --out /tmp/frames"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import evaluate, frames_io, modelfolder
from reel.generate import generate
from export import EMBEDDED


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prompt")
    ap.add_argument("--model", default=EMBEDDED)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--guidance", type=float)
    ap.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscaling of the PNGs")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    model, vocab, _ = modelfolder.read(args.model)
    v = generate(model, vocab, [args.prompt], [args.seed], args.steps, args.guidance)[0].numpy()
    frames = evaluate.video_to_frames(v)
    os.makedirs(args.out, exist_ok=True)
    for i, f in enumerate(frames):
        big = f.repeat(args.scale, axis=0).repeat(args.scale, axis=1)
        frames_io.write_png(os.path.join(args.out, "frame%03d.png" % i), big)
    r = evaluate.analyse(frames, vocab)
    print("wrote %d frames to %s; measured: colour %s, shape %s, direction %s"
          % (len(frames), args.out, r["colour"], r["shape"], r["direction"]))


if __name__ == "__main__":
    main()
