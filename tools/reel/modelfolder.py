"""The model folder: config.json, model.safetensors, vocabulary.json, README.md, and optionally
an autoencoder: autoencoder.safetensors plus an "autoencoder" block in config.json
(reel/autoencoder.md). A folder without the block is a pixel-space model, as before."""
import json
import os
import shutil

import numpy as np
import torch

from . import safetensors
from .flow import PREDICTIONS
from .autoencoder import AEConfig, Autoencoder
from .model import Config, ReelDiT
from .vocab import DEFAULT_PATH as VOCAB_PATH, Vocabulary


def write(folder, model, extra_config=None, vocabulary=VOCAB_PATH):
    os.makedirs(folder, exist_ok=True)
    cfg = model.cfg.to_json()
    cfg.update(extra_config or {})
    cfg["latent_layout"] = "[C, T, H, W] = [channels, frames, height, width], pixels in [-1, 1]"
    path = os.path.join(folder, "config.json")
    if os.path.exists(path):  # a folder's autoencoder stays with it when the transformer is rewritten
        with open(path) as f:
            kept = json.load(f).get("autoencoder")
        if kept is not None:
            cfg["autoencoder"] = kept
    if "autoencoder" in cfg:
        cfg["latent_layout"] = ("[C, T, H, W] = [channels, frames, height, width]: the autoencoder's latent, "
                                "normalised by its latent_mean and latent_std")
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
    if "autoencoder" in cfgj:
        ae = cfgj["autoencoder"]
        if not isinstance(ae, dict) or ae.get("latent_channels") != cfg.channels:
            raise ValueError("%s: config.json autoencoder.latent_channels %r, but the transformer has %d channels"
                             % (folder, ae.get("latent_channels") if isinstance(ae, dict) else ae, cfg.channels))
    return model, vocab, cfgj


AE_FILE = "autoencoder.safetensors"
AE_FIELDS = ("architecture", "file", "image_channels", "latent_channels", "widths", "encoder_blocks",
             "decoder_blocks", "groups", "eps", "downsample", "latent_mean", "latent_std", "pixel_range")


def write_autoencoder(folder, ae):
    """Writes autoencoder.safetensors and sets config.json's "autoencoder" block (the rest of
    config.json is kept; a folder without one gets a config.json holding only the block)."""
    os.makedirs(folder, exist_ok=True)
    if ae.cfg.latent_mean is None or ae.cfg.latent_std is None:
        raise ValueError("the autoencoder has no latent statistics (autoencoder.latent_statistics)")
    block = ae.cfg.to_json()
    block["file"] = AE_FILE
    block["pixel_range"] = [-1.0, 1.0]
    block = {k: block[k] for k in AE_FIELDS}
    path = os.path.join(folder, "config.json")
    cfg = {}
    if os.path.exists(path):
        with open(path) as f:
            cfg = json.load(f)
    cfg["autoencoder"] = block
    tensors = {k: v.detach().float().numpy() for k, v in ae.state_dict().items()}
    safetensors.write(os.path.join(folder, AE_FILE), tensors, {"format": "pt", "architecture": block["architecture"]})
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def read_autoencoder(folder):
    """The folder's autoencoder, every config field, tensor name and shape checked; None when
    config.json has no "autoencoder" block."""
    with open(os.path.join(folder, "config.json")) as f:
        block = json.load(f).get("autoencoder")
    if block is None:
        return None
    where = "%s: config.json autoencoder" % folder
    missing = [k for k in AE_FIELDS if k not in block]
    if missing:
        raise ValueError("%s: missing fields %s" % (where, missing))
    if block["architecture"] != "reel-vae-2d":
        raise ValueError("%s.architecture %r, expected reel-vae-2d" % (where, block["architecture"]))
    cfg = AEConfig.from_json(block)
    for k in ("image_channels", "latent_channels", "encoder_blocks", "decoder_blocks", "groups"):
        if not isinstance(block[k], int) or block[k] <= 0:
            raise ValueError("%s.%s %r: expected a positive integer" % (where, k, block[k]))
    if not cfg.widths or any(not isinstance(w, int) or w <= 0 or w % cfg.groups for w in cfg.widths):
        raise ValueError("%s.widths %r: expected positive multiples of groups %d" % (where, block["widths"], cfg.groups))
    if block["downsample"] != cfg.factor:
        raise ValueError("%s.downsample %r, but %d widths give %d" % (where, block["downsample"], len(cfg.widths), cfg.factor))
    for k in ("latent_mean", "latent_std"):
        v = block[k]
        if not isinstance(v, list) or len(v) != cfg.latent_channels:
            raise ValueError("%s.%s: expected %d values" % (where, k, cfg.latent_channels))
    if any(not s > 0 for s in block["latent_std"]):
        raise ValueError("%s.latent_std %r: expected positive values" % (where, block["latent_std"]))
    if not (isinstance(block["eps"], (int, float)) and block["eps"] > 0):
        raise ValueError("%s.eps %r: expected a positive number" % (where, block["eps"]))
    if [float(v) for v in block["pixel_range"]] != [-1.0, 1.0]:
        raise ValueError("%s.pixel_range %r, expected [-1, 1]" % (where, block["pixel_range"]))
    tensors, _ = safetensors.read(os.path.join(folder, block["file"]))
    ae = Autoencoder(cfg)
    expect = ae.state_dict()
    missing = sorted(set(expect) - set(tensors))
    extra = sorted(set(tensors) - set(expect))
    if missing or extra:
        raise ValueError("%s: missing tensors %s, unexpected tensors %s" % (block["file"], missing, extra))
    for k, v in expect.items():
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise ValueError("%s: tensor %s: shape %s, expected %s" % (block["file"], k, tensors[k].shape, tuple(v.shape)))
        if tensors[k].dtype != np.float32:
            raise ValueError("%s: tensor %s: dtype %s, expected float32" % (block["file"], k, tensors[k].dtype))
    ae.load_state_dict({k: torch.from_numpy(np.array(a)) for k, a in tensors.items()})
    ae.eval()
    return ae
