"""Times the PyTorch twin of the reel-vae-2d autoencoder (tools/reel/autoencoder.py) on the CPU,
for comparison with Reel's JMH AutoencoderBenchmark on the same model folder, sizes and thread
count:

  /usr/bin/python3 bench/model/twin_autoencoder.py --folder FOLDER --threads 2 [--frames 16] [--size 128]

Prints one JSON line: the median and the fastest seconds of decode_video of one latent video
[C, frames, size/f, size/f] (the same sine values as the benchmark) and of encode_video of the
decoded frames."""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from reel import modelfolder  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=9)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ae = modelfolder.read_autoencoder(a.folder)
    f, c = ae.cfg.factor, ae.cfg.latent_channels
    n = c * a.frames * (a.size // f) ** 2
    u = torch.tensor([math.sin(i * 0.37) for i in range(n)], dtype=torch.float32).reshape(
        1, c, a.frames, a.size // f, a.size // f)
    out = {"threads": a.threads, "frames": a.frames, "size": a.size}
    with torch.no_grad():
        x = ae.decode_video(u)
        for name, fn in (("decode", lambda: ae.decode_video(u)), ("encode", lambda: ae.encode_video(x))):
            fn()
            times = []
            for _ in range(a.repeats):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            out[name + "_median_s"] = round(statistics.median(times), 4)
            out[name + "_min_s"] = round(min(times), 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
