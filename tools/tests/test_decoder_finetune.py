import random
import tempfile
import unittest

import numpy as np
import torch

from reel import data, flow, modelfolder, philox
from reel.generate import generate
from reel.model import Config, ReelDiT
from reel.vocab import Caption, Vocabulary
import make_decoder_pairs
import train_decoder
from tests.test_latent_training import tiny_autoencoder_folder


def tiny_latent_model(interval=(0.0, 1.0)):
    torch.manual_seed(11)
    v = Vocabulary.load()
    cfg = Config(channels=4, frames=8, height=4, width=4, patch=(2, 2, 2), hidden=32, depth=2, heads=2,
                 rope_sections=(4, 6, 6), text_layers=1, text_heads=2, vocab_size=len(v.tokens),
                 max_tokens=v.max_tokens, attention="full", steps=6, guidance=4.0, shift=3.0,
                 guidance_interval=interval)
    model = ReelDiT(cfg)
    with torch.no_grad():
        for p in model.parameters():   # the zero-initialised output layers would make every output 0
            p.add_(0.05 * torch.randn(p.shape))
    return model.eval(), v


class GuidanceIntervalTest(unittest.TestCase):
    def test_steps_outside_the_interval_take_the_conditional_output_alone(self):
        model, v = tiny_latent_model((0.8, 1.0))
        ts = flow.timesteps(6, 3.0)
        self.assertEqual([flow.guided_at(t, 4.0, (0.8, 1.0)) for t in ts[:-1]],
                         [bool(t >= 0.8) for t in ts[:-1]])
        self.assertFalse(flow.guided_at(0.9, 1.0, (0.8, 1.0)), "a scale of 1 is no guidance")
        prompts, seeds = ["a red circle moving right", "a blue square static"], [3, 4]
        got = generate(model, v, prompts, seeds)          # the model's interval
        # the same loop by hand: guided where t >= 0.8, the conditional forward alone below
        enc = [v.encode(p) for p in prompts]
        ids, lens = torch.tensor([e[0] for e in enc]), torch.tensor([e[1] for e in enc])
        u = v.encode("")
        x = torch.stack([torch.from_numpy(philox.noise((4, 8, 4, 4), s, 0)) for s in seeds])
        with torch.no_grad():
            for i in range(6):
                t = float(ts[i])
                if t >= 0.8:
                    o = model(torch.cat([x, x]), torch.full((4,), t), torch.cat([ids, torch.tensor([u[0]] * 2)]),
                              torch.cat([lens, torch.tensor([u[1]] * 2)]))
                    out = o[2:] + 4.0 * (o[:2] - o[2:])
                else:
                    out = model(x, torch.full((2,), t), ids, lens)
                x = x + float(ts[i + 1] - ts[i]) * out
        self.assertLess((got - x).abs().max().item(), 1e-5)
        everywhere = generate(model, v, prompts, seeds, interval=(0.0, 1.0))
        self.assertGreater((everywhere - got).abs().max().item(), 1e-3, "the interval changed nothing")

    def test_the_interval_survives_the_model_folder(self):
        model, v = tiny_latent_model((0.85, 1.0))
        with tempfile.TemporaryDirectory() as d:
            modelfolder.write(d, model)
            back, _, cfgj = modelfolder.read(d)
            self.assertEqual(cfgj["guidance_interval"], [0.85, 1.0])
            self.assertEqual(tuple(back.cfg.guidance_interval), (0.85, 1.0))


class DecoderPairsTest(unittest.TestCase):
    def test_shards_are_reproducible_train_split_and_re_render_exactly(self):
        model, v = tiny_latent_model((0.85, 1.0))
        with tempfile.TemporaryDirectory() as d:
            ae = tiny_autoencoder_folder(d).eval()
            args = type("A", (), dict(seed=1, t_min=0.5, t_max=0.95))()
            a = make_decoder_pairs.make_shard(model, ae, v, 2, 3, args)
            b = make_decoder_pairs.make_shard(model, ae, v, 2, 3, args)
            c = make_decoder_pairs.make_shard(model, ae, v, 3, 3, args)
            self.assertTrue(np.array_equal(a["z_gen"], b["z_gen"]))
            self.assertFalse(np.array_equal(a["z"], c["z"]))
            self.assertEqual(a["z"].shape, (3, 4, 8, 4, 4))
            self.assertFalse(np.allclose(a["z"], a["z_gen"]), "the transformer changed nothing")
            ts = flow.timesteps(6, 3.0).numpy()
            for t0 in a["t0"]:
                self.assertTrue(np.isclose(ts, t0, atol=1e-6).any() and t0 <= 0.95, t0)   # a point of the grid at or below t_max
            for i in range(3):
                self.assertNotIn((v.colours[a["colour"][i]], v.shapes[a["shape"][i]]), v.held_out)
            # the stored geometry re-renders the video z encodes
            np.savez(d + "/pairs-00000.npz", **a)
            pairs = train_decoder.Pairs(d, v)
            cap, geo = pairs.caps[1], pairs.geo[1]
            video, _ = data.render(cap, v, 8, 32, random.Random(0), params=dict(geo), scaled=True)
            z = ae.encode_video(torch.from_numpy(video[None] * 2 - 1)).numpy()
            self.assertLess(np.abs(z - a["z"][1].astype(np.float32)).max(), 2e-2)   # float16 storage
            frame, _, _ = data.render_frame(cap, v, 8, 32, random.Random(0), t=5, params=geo)
            self.assertTrue(np.allclose(frame, video[:, 5], atol=1e-6))
            u, x = pairs.batch(6, random.Random(2), 8, 32)
            self.assertEqual(tuple(u.shape), (6, 4, 4, 4))
            self.assertEqual(tuple(x.shape), (6, 3, 32, 32))
            self.assertTrue(-1 <= x.min() and x.max() <= 1)


if __name__ == "__main__":
    unittest.main()
