import os
import unittest

import numpy as np
import torch

from reel import modelfolder, safetensors
from export import FIXTURES


class FixturesTest(unittest.TestCase):
    def test_committed_tiny_fixtures_match_the_twin(self):
        for kind in ("factorised", "full"):
            folder = os.path.join(FIXTURES, "tiny-" + kind)
            if not os.path.isdir(folder):
                self.skipTest("no fixtures at " + folder)
            model, _, cfg = modelfolder.read(folder)
            self.assertEqual(cfg["attention"], kind)
            t, _ = safetensors.read(os.path.join(folder, "trace.safetensors"))
            trace = []
            with torch.no_grad():
                out = model(torch.from_numpy(t["input.x"]), torch.from_numpy(t["input.t"]),
                            torch.from_numpy(t["input.ids"]), torch.from_numpy(t["input.lengths"]), trace=trace)
            np.testing.assert_allclose(out.numpy(), t["out"], rtol=1e-4, atol=1e-4)
            for name, v in trace:
                np.testing.assert_allclose(v.numpy(), t[name], rtol=1e-4, atol=1e-4, err_msg=kind + " " + name)

    def test_committed_autoencoder_fixture_matches_the_twin(self):
        from make_autoencoder_fixture import FOLDER, traced
        if not os.path.isdir(FOLDER):
            self.skipTest("no fixture at " + FOLDER)
        ae = modelfolder.read_autoencoder(FOLDER)
        t, meta = safetensors.read(os.path.join(FOLDER, "trace.safetensors"))
        self.assertEqual(meta["layout"], "[B, C, T, H, W]")
        again = traced(ae, torch.from_numpy(t["input.frames"]))
        self.assertEqual(sorted(again), sorted(t))
        for name, v in again.items():
            np.testing.assert_allclose(v, t[name], rtol=1e-5, atol=1e-5, err_msg=name)
        # the decoder's input is the encoder's output, and the output is not trivial
        np.testing.assert_array_equal(t["latent"].shape, (2, 4, 2, 4, 3))
        self.assertGreater(float(np.abs(t["out"]).std()), 0.1)


if __name__ == "__main__":
    unittest.main()


class EmbeddedTrajectoryTest(unittest.TestCase):
    def test_committed_trajectory_matches_the_twin(self):
        from export import EMBEDDED, TRAJECTORY
        from reel.generate import generate
        path = os.path.join(FIXTURES, "embedded-trajectory.safetensors")
        if not os.path.exists(path) or not os.path.isdir(EMBEDDED):
            self.skipTest("no embedded model or trajectory fixture")
        model, vocab, _ = modelfolder.read(EMBEDDED)
        t, meta = safetensors.read(path)
        self.assertEqual(meta["prompt"], TRAJECTORY["prompt"])
        trace = []
        interval = tuple(float(v) for v in meta.get("guidance_interval", "0,1").split(","))
        self.assertEqual(interval, tuple(model.cfg.guidance_interval), "the fixture ran the model's interval")
        generate(model, vocab, [meta["prompt"]], [int(meta["seed"])], int(meta["steps"]),
                 float(meta["guidance"]), trace=trace, interval=interval)
        from reel.generate import initial_noise
        np.testing.assert_array_equal(initial_noise(model.cfg, int(meta["seed"])).numpy(), t["noise"])
        for i, x in enumerate(trace):
            np.testing.assert_allclose(x[0].numpy(), t["step%d" % (i + 1)], rtol=1e-4, atol=1e-4)
