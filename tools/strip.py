"""A strip of a video's frames side by side, for the docs: the frames of a PNG folder (or of a video
file, where an ffmpeg executable is on PATH; reel.frames_io.read_frames), every k-th of them, on one
row with a gap between.

  /usr/bin/python3 tools/strip.py red-frames/ docs/red-circle-moving-right-frames.png --every 2"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import frames_io


def strip(frames, every=1, gap=4, colour=(1.0, 1.0, 1.0)):
    """frames [T, H, W, 3] in [0, 1] -> one picture [H, n*W + (n-1)*gap, 3] of frames 0, every, 2*every, ..."""
    pick = frames[::every]
    n, h, w, _ = pick.shape
    out = np.empty((h, n * w + (n - 1) * gap, 3), np.float64)
    out[:] = np.array(colour, np.float64)
    for i, f in enumerate(pick):
        out[:, i * (w + gap):i * (w + gap) + w] = f
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("out")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--gap", type=int, default=4)
    args = ap.parse_args()
    frames = frames_io.read_frames(args.video)
    frames_io.write_png(args.out, strip(frames, args.every, args.gap))
    print("%s: %d of %d frames" % (args.out, len(frames[::args.every]), len(frames)))


if __name__ == "__main__":
    main()
