"""The model folder: config.json, model.safetensors, vocabulary.json, README.md."""
import json
import os
import shutil

import numpy as np
import torch

from . import safetensors
from .flow import PREDICTIONS
from .model import Config, ReelDiT
from .vocab import DEFAULT_PATH as VOCAB_PATH, Vocabulary


def write(folder, model, extra_config=None, vocabulary=VOCAB_PATH):
    os.makedirs(folder, exist_ok=True)
    cfg = model.cfg.to_json()
    cfg.update(extra_config or {})
    cfg["latent_layout"] = "[C, T, H, W] = [channels, frames, height, width], pixels in [-1, 1]"
    cfg["noise"] = "philox4x32-10 normal, seed = request seed, stream = 0, row-major over [C, T, H, W]"
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    tensors = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    safetensors.write(os.path.join(folder, "model.safetensors"), tensors,
                      {"format": "pt", "architecture": "reel-dit"})
    if os.path.abspath(vocabulary) != os.path.abspath(os.path.join(folder, "vocabulary.json")):
        shutil.copyfile(vocabulary, os.path.join(folder, "vocabulary.json"))


def read(folder):
    """Loads a model folder back into a ReelDiT, checking every tensor name and shape."""
    with open(os.path.join(folder, "config.json")) as f:
        cfgj = json.load(f)
    if cfgj.get("architecture") != "reel-dit":
        raise ValueError("%s: architecture %r, expected reel-dit" % (folder, cfgj.get("architecture")))
    cfg = Config.from_json(cfgj)
    if cfg.prediction not in PREDICTIONS:
        raise ValueError("%s: prediction %r, expected one of %s" % (folder, cfg.prediction, ", ".join(PREDICTIONS)))
    vocab = Vocabulary.load(os.path.join(folder, "vocabulary.json"))
    if len(vocab.tokens) != cfg.vocab_size or vocab.max_tokens != cfg.max_tokens:
        raise ValueError("%s: vocabulary.json does not match config.json" % folder)
    tensors, _ = safetensors.read(os.path.join(folder, "model.safetensors"))
    model = ReelDiT(cfg)
    expect = model.state_dict()
    missing = sorted(set(expect) - set(tensors))
    extra = sorted(set(tensors) - set(expect))
    if missing or extra:
        raise ValueError("%s: missing tensors %s, unexpected tensors %s" % (folder, missing, extra))
    for k, v in expect.items():
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise ValueError("tensor %s: shape %s, expected %s" % (k, tensors[k].shape, tuple(v.shape)))
    model.load_state_dict({k: torch.from_numpy(np.array(a)) for k, a in tensors.items()})
    model.eval()
    return model, vocab, cfgj
