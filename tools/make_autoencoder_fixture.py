"""Writes the small random-weight autoencoder folder and its per-level outputs that the Java
runtime's VideoEncoder and VideoDecoder are checked against:

  java/src/test/resources/dev/reel/model/fixtures/tiny-autoencoder/{config.json,
      autoencoder.safetensors, trace.safetensors}

config.json holds only the "autoencoder" block (reel/modelfolder.py's write_autoencoder); the
folder has no transformer. The autoencoder is reel-vae-2d at widths (4, 4, 8, 8), 2 GroupNorm
groups, 1 encoder and 2 decoder blocks per level, 4 latent channels; frames of 32x24 and
latents of 4x3 (not square, so that a swapped axis shows). Weights are Philox normals scaled
by 1/sqrt(fan-in) (GroupNorm weights 1 + 0.2 n, biases 0.1 n), so activations stay of order
one; conv2 of every block is non-zero, so every residual path counts.

trace.safetensors, every video tensor as [B, C, T, H, W] (B = 2 videos of T = 2 frames):
  input.frames     [2, 3, 2, 32, 24]   Philox pixels in [-1, 1]
  encoder.level<l> [2, w, 2, ., .]      after level l's blocks and its stride-2 conv (l < 3)
  mean             [2, 4, 2, 4, 3]      the posterior mean z
  latent           [2, 4, 2, 4, 3]      u = (z - latent_mean) / latent_std, encode_video's output
  decoder.conv_in  [2, 8, 2, 4, 3]      decoder.conv_in(latent * latent_std + latent_mean)
  decoder.level<l> [2, w, 2, ., .]      after level l's blocks and its upsampling conv (l > 0),
                                        l = 3 (first) down to 0
  out              [2, 3, 2, 32, 24]    decode_video(latent), not clamped

  /usr/bin/python3 tools/make_autoencoder_fixture.py"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import modelfolder, philox, safetensors
from reel.autoencoder import AEConfig, Autoencoder
from export import FIXTURES

FOLDER = os.path.join(FIXTURES, "tiny-autoencoder")
BATCH, FRAMES, HEIGHT, WIDTH = 2, 2, 32, 24
SEED = 2026


def tiny_config():
    # per-channel statistics far from (0, 1) and unlike each other, so that a channel mix-up or a
    # missing normalisation shows
    return AEConfig(latent_channels=4, widths=(4, 4, 8, 8), encoder_blocks=1, decoder_blocks=2, groups=2,
                    latent_mean=(0.25, -0.5, 0.125, 1.0), latent_std=(0.5, 2.0, 1.25, 0.75))


def randomise(ae):
    with torch.no_grad():
        for i, (name, p) in enumerate(sorted(ae.named_parameters())):
            n = torch.from_numpy(philox.noise(tuple(p.shape), SEED, i))
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * n)
            elif name.endswith("bias"):
                p.copy_(0.1 * n)
            else:
                p.copy_(n / math.sqrt(p.shape[1] * p.shape[2] * p.shape[3]))


def frames_to_video(x, b):
    """[B*T, C, H, W] -> [B, C, T, H, W]."""
    return x.reshape(b, -1, *x.shape[1:]).permute(0, 2, 1, 3, 4).contiguous()


def video_to_frames(v):
    return v.permute(0, 2, 1, 3, 4).reshape(-1, v.shape[1], v.shape[3], v.shape[4])


def traced(ae, video):
    """The trace's tensors, level by level as autoencoder.md writes the encoder and decoder."""
    b = video.shape[0]
    out = {"input.frames": video}
    with torch.no_grad():
        enc = ae.encoder
        h = enc.conv_in(video_to_frames(video))
        for l, level in enumerate(enc.levels):
            h = level(h)
            out["encoder.level%d" % l] = frames_to_video(h, b)
        m = enc.conv_out(F.silu(enc.norm_out(h)))
        out["mean"] = frames_to_video(m[:, :ae.cfg.latent_channels], b)
        u = ae.encode_video(video)
        out["latent"] = u
        mean, std = ae._stats(u)
        dec = ae.decoder
        g = dec.conv_in(video_to_frames(u * std + mean))
        out["decoder.conv_in"] = frames_to_video(g, b)
        for l in reversed(range(len(dec.levels))):
            g = dec.levels[l](g)
            out["decoder.level%d" % l] = frames_to_video(g, b)
        y = dec.conv_out(F.silu(dec.norm_out(g)))
        out["out"] = ae.decode_video(u)
        # the level-by-level pass is the reference's own forward
        np.testing.assert_allclose(frames_to_video(y, b).numpy(), out["out"].numpy(), rtol=0, atol=1e-6)
    return {k: v.numpy().astype(np.float32) for k, v in out.items()}


def input_video():
    """Smooth colour ramps plus Philox noise, clamped to [-1, 1]."""
    n = philox.noise((BATCH, 3, FRAMES, HEIGHT, WIDTH), SEED, 1000)
    r = np.linspace(-0.8, 0.8, HEIGHT, dtype=np.float32)
    ramp = r[None, None, None, :, None] * np.array([1.0, -0.5, 0.25], np.float32)[None, :, None, None, None]
    return torch.from_numpy(np.clip(ramp + 0.4 * n, -1.0, 1.0).astype(np.float32))


def main():
    torch.set_num_threads(1)
    ae = Autoencoder(tiny_config())
    randomise(ae)
    ae.eval()
    if os.path.exists(os.path.join(FOLDER, "config.json")):
        os.remove(os.path.join(FOLDER, "config.json"))   # write_autoencoder keeps an existing config's other fields
    modelfolder.write_autoencoder(FOLDER, ae)
    ae = modelfolder.read_autoencoder(FOLDER)
    tensors = traced(ae, input_video())
    safetensors.write(os.path.join(FOLDER, "trace.safetensors"), tensors,
                      {"architecture": "reel-vae-2d", "layout": "[B, C, T, H, W]"})
    size = sum(os.path.getsize(os.path.join(FOLDER, f)) for f in os.listdir(FOLDER))
    print("wrote %s (%d bytes); max |out| %.3f, latent std %s" % (
        FOLDER, size, float(np.abs(tensors["out"]).max()),
        np.round(tensors["latent"].transpose(1, 0, 2, 3, 4).reshape(4, -1).std(axis=1), 3)))


if __name__ == "__main__":
    main()
