"""Writes a reel-dit model folder with random weights at a chosen size, for benchmarks only
(the weights mean nothing; every layer, adaLN included, is non-zero so that no path is skipped):

  /usr/bin/python3 bench/model/make_random_model.py --out DIR [--hidden 512 --depth 12 --heads 8
      --frames 8 --size 64]    # patches 2x4x4: 4 x 16 x 16 = 1,024 tokens"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from reel import modelfolder  # noqa: E402
from reel.model import Config, ReelDiT  # noqa: E402
from reel.vocab import Vocabulary  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args()
    vocab = Vocabulary.load()
    d = a.hidden // a.heads
    third = (d // 3) // 2 * 2
    sections = (d - 2 * third, third, third)
    cfg = Config(frames=a.frames, height=a.size, width=a.size, patch=(2, 4, 4), hidden=a.hidden, depth=a.depth,
                 heads=a.heads, rope_sections=sections, text_layers=2, text_heads=a.heads,
                 vocab_size=len(vocab.tokens), max_tokens=vocab.max_tokens, attention="full")
    torch.manual_seed(0)
    model = ReelDiT(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
            elif "norm" not in name:
                p.normal_(0, 0.01)
    modelfolder.write(a.out, model)
    print("wrote %s: %d tokens, width %d, %d blocks, %.1f M parameters"
          % (a.out, cfg.tokens, cfg.hidden, cfg.depth, sum(p.numel() for p in model.parameters()) / 1e6))


if __name__ == "__main__":
    main()
