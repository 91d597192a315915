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
        generate(model, vocab, [meta["prompt"]], [int(meta["seed"])], int(meta["steps"]),
                 float(meta["guidance"]), trace=trace)
        from reel.generate import initial_noise
        np.testing.assert_array_equal(initial_noise(model.cfg, int(meta["seed"])).numpy(), t["noise"])
        for i, x in enumerate(trace):
            np.testing.assert_allclose(x[0].numpy(), t["step%d" % (i + 1)], rtol=1e-4, atol=1e-4)
