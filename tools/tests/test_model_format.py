import math
import os
import tempfile
import unittest

import numpy as np
import torch

from reel import modelfolder, safetensors
from reel.model import Config, ReelDiT, patchify, unpatchify
from reel.vocab import Vocabulary

torch.set_num_threads(1)  # small models: a second thread only adds synchronisation


def tiny(attention="factorised", **kw):
    v = Vocabulary.load()
    c = dict(frames=4, height=16, width=16, patch=(2, 4, 4), hidden=32, depth=2, heads=2,
             rope_sections=(4, 6, 6), text_layers=1, text_heads=2, vocab_size=len(v.tokens),
             max_tokens=v.max_tokens, timestep_dim=32, attention=attention)
    c.update(kw)
    return Config(**c)


def randomise(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    return model


class FormatTest(unittest.TestCase):
    def test_safetensors_round_trips_and_is_the_documented_layout(self):
        t = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([1.5], np.float32)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            safetensors.write(p, t, {"k": "v"})
            with open(p, "rb") as f:
                raw = f.read()
            n = int.from_bytes(raw[:8], "little")
            self.assertEqual(n % 8, 0)
            self.assertEqual(len(raw), 8 + n + 4 * 7)
            back, meta = safetensors.read(p)
            self.assertEqual(meta, {"k": "v"})
            for k in t:
                np.testing.assert_array_equal(back[k], t[k])

    def test_safetensors_reader_rejects_a_bad_offset_naming_the_tensor(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            safetensors.write(p, {"w": np.zeros(4, np.float32)})
            raw = bytearray(open(p, "rb").read())
            raw = raw.replace(b'"data_offsets":[0,16]', b'"data_offsets":[0,32]')
            open(p, "wb").write(raw)
            with self.assertRaisesRegex(safetensors.FormatError, "tensor w"):
                safetensors.read(p)

    def test_model_folder_round_trips(self):
        for att in ("factorised", "full"):
            m = randomise(ReelDiT(tiny(att)))
            with tempfile.TemporaryDirectory() as d:
                modelfolder.write(d, m)
                self.assertTrue(os.path.exists(os.path.join(d, "vocabulary.json")))
                back, vocab, cfg = modelfolder.read(d)
                self.assertEqual(cfg["attention"], att)
                for k, v in m.state_dict().items():
                    torch.testing.assert_close(back.state_dict()[k], v, rtol=0, atol=0)


class ModelTest(unittest.TestCase):
    def test_patchify_is_t_major_and_inverts(self):
        x = torch.randn(2, 3, 4, 8, 12)
        p = patchify(x, (2, 4, 4))
        self.assertEqual(p.shape, (2, 2 * 2 * 3, 96))
        # token n = (t*Hp + h)*Wp + w, vector (c, dt, dh, dw)
        torch.testing.assert_close(p[1, (1 * 2 + 1) * 3 + 2, 1 * 32 + 1 * 16 + 2 * 4 + 3], x[1, 1, 3, 6, 11])
        torch.testing.assert_close(unpatchify(p, (2, 4, 4), 3, (2, 2, 3)), x)

    def test_spatial_attention_of_a_single_latent_frame_equals_full(self):
        cfg_f = tiny("factorised", frames=2, depth=1)
        cfg_3 = tiny("full", frames=2, depth=1)
        a = randomise(ReelDiT(cfg_f))
        b = ReelDiT(cfg_3)
        b.load_state_dict(a.state_dict())
        x = torch.randn(2, 3, 2, 16, 16)
        t = torch.tensor([0.3, 0.9])
        ids = torch.randint(2, 30, (2, 16))
        n = torch.tensor([5, 1])
        torch.testing.assert_close(a(x, t, ids, n), b(x, t, ids, n))

    def test_padding_tokens_do_not_change_the_output(self):
        m = randomise(ReelDiT(tiny()))
        x = torch.randn(1, 3, 4, 16, 16)
        t = torch.tensor([0.5])
        ids = torch.randint(2, 30, (1, 16))
        ids2 = ids.clone()
        ids2[0, 6:] = 0
        n = torch.tensor([6])
        torch.testing.assert_close(m(x, t, ids, n), m(x, t, ids2, n))

    def test_a_fresh_model_predicts_zero(self):
        m = ReelDiT(tiny())
        out = m(torch.randn(1, 3, 4, 16, 16), torch.tensor([0.5]), torch.zeros(1, 16, dtype=torch.long), torch.tensor([1]))
        self.assertEqual(float(out.abs().max()), 0.0)

    def test_sample_prediction_gives_the_exact_velocity(self):
        from reel import flow
        g = torch.Generator().manual_seed(11)
        x0 = torch.randn(3, 3, 4, 8, 8, generator=g, dtype=torch.float64)
        noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
        t = torch.tensor([0.9, 0.3, 0.02], dtype=torch.float64)
        xt = (1 - t)[:, None, None, None, None] * x0 + t[:, None, None, None, None] * noise
        torch.testing.assert_close(flow.velocity(x0, xt, t, "flow_sample"), noise - x0)
        torch.testing.assert_close(flow.velocity(x0[1], xt[1], 0.3, "flow_sample"), (noise - x0)[1])
        torch.testing.assert_close(flow.velocity(noise - x0, xt, t, "flow_velocity"), noise - x0)
        # the training floor changes only t below it
        floored = flow.velocity(x0, xt, t, "flow_sample", floor=0.05)
        torch.testing.assert_close(floored[:2], (noise - x0)[:2])
        torch.testing.assert_close(floored[2], (xt[2] - x0[2]) / 0.05)
        with self.assertRaisesRegex(ValueError, "unknown prediction 'eps'"):
            flow.velocity(x0, xt, t, "eps")

    def test_a_model_folder_with_an_unknown_prediction_is_refused(self):
        import json
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            modelfolder.write(d, ReelDiT(tiny()))
            with open(os.path.join(d, "config.json")) as f:
                c = json.load(f)
            c["prediction"] = "epsilon"
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(c, f)
            with self.assertRaisesRegex(ValueError, "prediction 'epsilon'"):
                modelfolder.read(d)

    def test_training_timestep_mixture(self):
        """The shares of the mixture land where train.sample_t says, against the shifted
        logit-normal's own tail computed in float64."""
        from train import sample_t
        n = 400000
        t = sample_t(n, torch.Generator().manual_seed(3), 3.0, 0.3, 0.2).double()
        self.assertTrue(bool(((t > 0) & (t < 1)).all()))

        def lognorm_above(x):  # P(t > x) for t = 3u / (1 + 2u), u = sigmoid(N(0, 1))
            u = x / (3 - 2 * x)
            z = math.log(u / (1 - u))
            return 0.5 * math.erfc(z / math.sqrt(2))
        for x in (0.5, 0.9, 0.98):
            want = 0.3 * (1 - x) + 0.2 * min(1.0, (1 - x) / 0.1) + 0.5 * lognorm_above(x)
            self.assertAlmostEqual(float((t > x).double().mean()), want, delta=0.004, msg="P(t > %g)" % x)
        # without the extra shares it is the plain shifted logit-normal
        t0 = sample_t(n, torch.Generator().manual_seed(4), 3.0, 0.0, 0.0).double()
        self.assertAlmostEqual(float((t0 > 0.9).double().mean()), lognorm_above(0.9), delta=0.004)

    def test_tiny_model_overfits_one_batch(self):
        for prediction in ("flow_velocity", "flow_sample"):
            with self.subTest(prediction=prediction):
                self._overfit(prediction)

    def _overfit(self, prediction):
        import random
        from reel import data
        from train import flow_loss
        torch.manual_seed(0)
        v = Vocabulary.load()
        cfg = tiny("factorised")
        cfg.prediction = prediction
        m = ReelDiT(cfg)
        vids, ids, lens, _ = data.batch(v, 4, 4, 16, random.Random(0))
        x0, ids, lens = torch.from_numpy(vids), torch.from_numpy(ids), torch.from_numpy(lens)
        opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
        uncond = torch.tensor(v.encode("")[0])
        losses = []
        for i in range(150):
            gen = torch.Generator().manual_seed(0)  # one fixed (noise, t) draw
            loss = flow_loss(m, x0, ids, lens, gen, 0.0, uncond)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertLess(np.mean(losses[-10:]), 0.4 * np.mean(losses[:5]))


if __name__ == "__main__":
    unittest.main()
