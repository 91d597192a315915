import hashlib
import json
import math
import os
import random
import tempfile
import unittest

import numpy as np
import torch

from reel import aemetrics, data, modelfolder
from reel.autoencoder import AEConfig, Autoencoder, latent_statistics, parameter_count
from reel.model import Config, ReelDiT
from reel.vocab import Vocabulary

torch.set_num_threads(1)


def tiny_cfg(**kw):
    c = dict(latent_channels=4, widths=(8, 8, 16, 16), encoder_blocks=1, decoder_blocks=1, groups=4)
    c.update(kw)
    return AEConfig(**c)


def randomise(model, seed=0, scale=0.1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
    return model


class DataTest(unittest.TestCase):
    def test_the_32x32_path_is_unchanged(self):
        """The legacy renders the pixel model was trained on, bit for bit (the digest was taken
        before the scaled geometry was added)."""
        v = Vocabulary.load()
        h = hashlib.sha256()
        vids, ids, lens, caps = data.batch(v, 16, 8, 32, random.Random(0))
        h.update(vids.tobytes())
        h.update(ids.tobytes())
        h.update(lens.tobytes())
        h.update("|".join(caps).encode())
        vids, ids, lens, caps = data.batch(v, 4, 4, 16, random.Random(0))
        h.update(vids.tobytes())
        rng = random.Random(5)
        for _ in range(8):
            c = data.random_caption(v, rng, "all")
            vid, p = data.render(c, v, 8, 32, rng)
            h.update(vid.tobytes())
            h.update(repr(sorted(p.items())).encode())
        self.assertEqual(h.hexdigest(), "bbbe82f70ba8a32975173bf11485ccac7be8fafdaa6863329692e1d8222848d2")

    def test_scaled_geometry_matches_legacy_at_32x32_and_scales(self):
        v = Vocabulary.load()
        c = v.parse("a red square moving right on a black background")
        _, p32 = data.render(c, v, 8, 32, random.Random(3))
        _, ps = data.render(c, v, 8, 32, random.Random(3), scaled=True)
        self.assertEqual(p32, ps)
        vid, p = data.render(c, v, 16, 128, random.Random(3), scaled=True)
        self.assertEqual(vid.shape, (3, 16, 128, 128))
        self.assertAlmostEqual(p["r"], 4 * p32["r"])
        self.assertAlmostEqual(p["vx"] * 15, 4 * p32["vx"] * 7)   # the same travel over the frame
        self.assertEqual(p["vy"], 0)

    def test_coverage_is_exact(self):
        """Summed coverage equals the shape's area; the square's edges are exact, so a square is
        square: every row it spans has the same coverage sum."""
        areas = {"circle": math.pi, "square": 1.7 ** 2, "triangle": 0.5 * 2 * 0.6 * 1.7 * 1.7, "diamond": 2 * 1.15 ** 2}
        for shape, unit in areas.items():
            r = 21.37
            cov = data.exact_coverage(shape, 61.3, 70.8, r, 128)
            self.assertAlmostEqual(float(cov.sum(dtype=np.float64)) / (unit * r * r), 1.0, delta=2e-4, msg=shape)
            self.assertTrue(((cov >= 0) & (cov <= 1)).all())
        sq = data.exact_coverage("square", 60.3, 60.7, 20.0, 128)
        rows = sq.sum(axis=1)
        full = rows[rows > 0.999 * rows.max()]
        self.assertGreater(len(full), 30)
        np.testing.assert_allclose(full, 34.0, atol=1e-4)
        # a boundary pixel against a brute-force 256 x 256 supersample
        o = (np.arange(256) + 0.5) / 256
        cov = data.exact_coverage("circle", 64.2, 63.9, 20.5, 128)
        for i, j in ((64, 84), (50, 79), (78, 50)):
            brute = data.inside("circle", (j + o)[None, :] - 64.2, (i + o)[:, None] - 63.9, 20.5).mean()
            self.assertTrue(0 < cov[i, j] < 1)
            self.assertAlmostEqual(float(cov[i, j]), float(brute), delta=2e-3)

    def test_frame_batch(self):
        v = Vocabulary.load()
        x = data.frame_batch(v, 3, 128, random.Random(0))
        self.assertEqual(x.shape, (3, 3, 128, 128))
        self.assertTrue(-1 <= x.min() and x.max() <= 1)


class MetricsTest(unittest.TestCase):
    def test_measures_tell_sharp_from_blurred(self):
        v = Vocabulary.load()
        ref = aemetrics.held_out_set(v, 8)
        m = aemetrics.measure(ref["frames"], ref)
        self.assertAlmostEqual(m["edge_width"], m["edge_width_gt"])
        self.assertAlmostEqual(m["grad_energy_ratio"], 1.0)
        self.assertGreater(m["psnr"], 100)
        x = torch.from_numpy(ref["frames"])
        blurred = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)
        b = aemetrics.measure(blurred.numpy(), ref)
        self.assertGreater(b["edge_width"], m["edge_width_gt"] + 1.0)
        self.assertLess(b["grad_energy_ratio"], 0.5)


class AutoencoderTest(unittest.TestCase):
    def test_shapes_and_compression(self):
        cfg = tiny_cfg()
        self.assertEqual(cfg.factor, 8)
        ae = Autoencoder(cfg)
        x = torch.rand(2, 3, 128, 128) * 2 - 1
        mean, logvar = ae.encoder(x)
        self.assertEqual(mean.shape, (2, 4, 16, 16))
        self.assertEqual(logvar.shape, (2, 4, 16, 16))
        self.assertEqual(ae.decoder(mean).shape, (2, 3, 128, 128))
        recon, m2, _ = ae(x, torch.Generator().manual_seed(0))
        self.assertEqual(recon.shape, x.shape)
        # a video is encoded frame by frame into [B, C, T, H/8, W/8] and decodes back
        video = torch.rand(2, 3, 5, 64, 96) * 2 - 1
        u = ae.encode_video(video)
        self.assertEqual(u.shape, (2, 4, 5, 8, 12))
        torch.testing.assert_close(u[1, :, 3], ae.encoder(video[1:2, :, 3])[0][0])
        self.assertEqual(ae.decode_video(u).shape, video.shape)

    def test_default_size_fits_the_model_folder_budget(self):
        ae = Autoencoder(AEConfig())
        self.assertEqual(AEConfig().factor, 8)
        self.assertLessEqual(parameter_count(ae) * 4, 8e6)

    def test_latent_statistics_normalise(self):
        ae = randomise(Autoencoder(tiny_cfg()))
        frames = torch.rand(6, 3, 32, 32) * 2 - 1
        ae.cfg.latent_mean, ae.cfg.latent_std = latent_statistics(ae, frames)
        u = ae.encode_video(frames.permute(1, 0, 2, 3)[None])
        torch.testing.assert_close(u.mean(dim=(0, 2, 3, 4)), torch.zeros(4), atol=1e-5, rtol=0)
        torch.testing.assert_close(u.std(dim=(0, 2, 3, 4), unbiased=False), torch.ones(4), atol=1e-4, rtol=0)
        # decode_video undoes the normalisation before the decoder
        torch.testing.assert_close(ae.decode_video(u)[0, :, 2], ae.decoder(ae.encoder(frames[2:3])[0])[0],
                                   atol=1e-5, rtol=1e-5)

    def test_model_folder_round_trip(self):
        v = Vocabulary.load()
        ae = randomise(Autoencoder(tiny_cfg()))
        ae.cfg.latent_mean, ae.cfg.latent_std = (0.1, -0.2, 0.3, 0.0), (1.5, 0.5, 2.0, 1.0)
        dit = ReelDiT(Config(channels=4, frames=4, height=16, width=16, patch=(2, 2, 2), hidden=32, depth=1, heads=1,
                             rope_sections=(8, 12, 12), text_layers=1, text_heads=1, vocab_size=len(v.tokens),
                             max_tokens=v.max_tokens, timestep_dim=32))
        with tempfile.TemporaryDirectory() as d:
            modelfolder.write(d, dit)
            self.assertIsNone(modelfolder.read_autoencoder(d))    # a folder without one, as before
            modelfolder.write_autoencoder(d, ae)
            back = modelfolder.read_autoencoder(d)
            self.assertEqual(back.cfg, ae.cfg)
            for k, t in ae.state_dict().items():
                torch.testing.assert_close(back.state_dict()[k], t, rtol=0, atol=0)
            _, _, cfgj = modelfolder.read(d)                      # the transformer reads as before
            self.assertEqual(cfgj["autoencoder"]["downsample"], 8)
            self.assertEqual(cfgj["architecture"], "reel-dit")
            x = torch.rand(1, 3, 2, 32, 32) * 2 - 1
            torch.testing.assert_close(back.decode_video(back.encode_video(x)), ae.decode_video(ae.encode_video(x)))
            # a wrong shape is refused, naming the tensor
            p = os.path.join(d, "config.json")
            cfg = json.load(open(p))
            cfg["autoencoder"]["widths"] = [8, 8, 16, 32]
            json.dump(cfg, open(p, "w"))
            with self.assertRaisesRegex(ValueError, "decoder.conv_in.weight|tensor"):
                modelfolder.read_autoencoder(d)
            cfg["autoencoder"]["widths"] = [8, 8, 16, 16]
            cfg["autoencoder"]["latent_std"] = [1.0, 1.0]
            json.dump(cfg, open(p, "w"))
            with self.assertRaisesRegex(ValueError, "latent_std"):
                modelfolder.read_autoencoder(d)
            # the transformer must denoise the autoencoder's latent channels
            cfg["autoencoder"]["latent_std"] = [1.0] * 4
            cfg["autoencoder"]["latent_channels"] = 8
            json.dump(cfg, open(p, "w"))
            with self.assertRaisesRegex(ValueError, "latent_channels"):
                modelfolder.read(d)

    def test_a_tiny_autoencoder_overfits_one_batch(self):
        """PSNR on one batch of 32x32 renders rises far above a fresh model's: a real test of
        training, since a broken loss, gradient path or decoder would stay near the start."""
        from train_autoencoder import ae_loss
        from reel.aemetrics import psnr
        torch.manual_seed(0)
        v = Vocabulary.load()
        x = torch.from_numpy(data.frame_batch(v, 4, 32, random.Random(0), frames=8))
        ae = Autoencoder(AEConfig(latent_channels=4, widths=(16, 16, 32), decoder_blocks=1))   # 32 -> 8
        opt = torch.optim.AdamW(ae.parameters(), lr=3e-3)
        gen = torch.Generator().manual_seed(0)

        def score():
            with torch.no_grad():
                return psnr(((ae.decoder(ae.encoder(x)[0]) + 1) / 2).clamp(0, 1), (x + 1) / 2)
        start = score()
        for _ in range(150):
            loss = ae_loss(ae, x, gen, 1.0, 1e-5, 1.0)[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
        end = score()
        self.assertGreater(end, start + 15, "PSNR %.1f -> %.1f dB" % (start, end))
        self.assertGreater(end, 25)


if __name__ == "__main__":
    unittest.main()
