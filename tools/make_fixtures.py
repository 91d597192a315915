"""Writes the small random-weight model folders and their per-layer outputs that the Java
runtime is checked against, one per attention kind:

  java/src/test/resources/dev/reel/model/fixtures/tiny-<kind>/{config.json, model.safetensors,
      vocabulary.json, trace.safetensors}

trace.safetensors holds the inputs (x, t, ids, lengths: a batch of two, the second prompt the
unconditional one) and the outputs after every stage named in ReelDiT.forward: embed
[B, N, D] (patch embedding + position embedding), conditioning [B, D] (c), text [B, L, D], block<i>
[B, N, D], final [B, N, patch_dim] and out [B, C, T, H, W].

  /usr/bin/python3 tools/make_fixtures.py"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import modelfolder, philox, safetensors
from reel.model import Config, ReelDiT
from reel.vocab import Vocabulary
from export import FIXTURES


def tiny_config(attention, vocab):
    return Config(frames=4, height=16, width=16, patch=(2, 4, 4), hidden=64, depth=2, heads=2,
                  rope_sections=(8, 12, 12), text_layers=1, text_heads=2, vocab_size=len(vocab.tokens),
                  max_tokens=vocab.max_tokens, timestep_dim=32, attention=attention, steps=4)


def main():
    torch.set_num_threads(1)
    vocab = Vocabulary.load()
    for kind in ("factorised", "full"):
        cfg = tiny_config(kind, vocab)
        model = ReelDiT(cfg)
        # Philox-filled weights, so the fixture does not depend on torch's generator; adaLN-Zero
        # layers are non-zero here so that every path of the block is exercised.
        with torch.no_grad():
            for i, (name, p) in enumerate(sorted(model.named_parameters())):
                p.copy_(torch.from_numpy(philox.noise(tuple(p.shape), 2024, i)) * 0.15)
        folder = os.path.join(FIXTURES, "tiny-" + kind)
        modelfolder.write(folder, model)
        model, _, _ = modelfolder.read(folder)
        x = torch.from_numpy(philox.noise((2, cfg.channels, cfg.frames, cfg.height, cfg.width), 7, 0))
        t = torch.tensor([0.7, 0.7])
        enc = [vocab.encode("a red circle moving right on a black background"), vocab.encode("")]
        ids = torch.tensor([e[0] for e in enc])
        lengths = torch.tensor([e[1] for e in enc])
        trace = []
        with torch.no_grad():
            out = model(x, t, ids, lengths, trace=trace)
        tensors = {"input.x": x.numpy(), "input.t": t.numpy(), "input.ids": ids.numpy(),
                   "input.lengths": lengths.numpy(), "out": out.numpy()}
        for name, v in trace:
            tensors[name] = v.numpy()
        safetensors.write(os.path.join(folder, "trace.safetensors"), tensors,
                          {"attention": kind, "prompts": "a red circle moving right on a black background | (empty)"})
        print("wrote", folder, "max |out| %.3f" % float(out.abs().max()))


if __name__ == "__main__":
    main()
