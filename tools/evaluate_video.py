"""Reports the main object's colour, shape (template rule, and the strict fill rule in brackets),
motion direction and the background in a video file (read through an ffmpeg executable), a
folder of PNG/PPM frames, or a .npy array [T, H, W, 3] in [0, 1]; with --prompt, also whether
each attribute matches the prompt (the background only when the prompt names one; the shape by
the template rule, as the model card measures it).

  /usr/bin/python3 tools/evaluate_video.py out.mp4 --prompt "a red circle moving right" """
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import evaluate, frames_io
from reel.vocab import Vocabulary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--prompt")
    ap.add_argument("--vocabulary", default=None)
    args = ap.parse_args()
    vocab = Vocabulary.load(args.vocabulary) if args.vocabulary else Vocabulary.load()
    r = evaluate.analyse(frames_io.read_frames(args.path), vocab)
    print("colour %s, shape %s (fill rule: %s), direction %s, background %s"
          % (r["colour"], r["shape"], r["shape_fill"], r["direction"], r["background"]))
    if args.prompt:
        c = vocab.parse(args.prompt)
        keys = ("colour", "shape", "direction") + (("background",) if c.background else ())
        ok = {k: r[k] == getattr(c, k) for k in keys}
        print(" ".join("%s %s" % (k, "matches" if v else "differs") for k, v in ok.items()))
        sys.exit(0 if all(ok.values()) else 1)


if __name__ == "__main__":
    main()
