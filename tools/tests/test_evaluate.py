import os
import random
import tempfile
import unittest

import numpy as np

from reel import data, evaluate, frames_io
from reel.vocab import Vocabulary


class EvaluatorTest(unittest.TestCase):
    def test_scores_rendered_ground_truth_at_99_percent(self):
        v = Vocabulary.load()
        rng = random.Random(11)
        n, hits = 300, {"colour": 0, "shape": 0, "shape_fill": 0, "direction": 0, "background": 0}
        for _ in range(n):
            c = data.random_caption(v, rng, "all")
            vid, _ = data.render(c, v, 8, 32, rng)
            r = evaluate.analyse(evaluate.video_to_frames(vid * 2 - 1), v)
            for k in hits:
                hits[k] += r[k] == getattr(c, "shape" if k == "shape_fill" else k)
        for k, h in hits.items():
            self.assertGreaterEqual(h / n, 0.99, "%s: %d/%d" % (k, h, n))

    def test_reads_a_folder_of_png_frames(self):
        v = Vocabulary.load()
        c = v.parse("a yellow square moving down-left on a navy background")
        vid, _ = data.render(c, v, 8, 32, random.Random(2))
        frames = evaluate.video_to_frames(vid * 2 - 1)
        with tempfile.TemporaryDirectory() as d:
            for i, f in enumerate(frames):
                frames_io.write_png(os.path.join(d, "%03d.png" % i), f)
            back = frames_io.read_frames(d)
        np.testing.assert_allclose(back, frames, atol=1 / 255)
        r = evaluate.analyse(back, v)
        self.assertEqual((r["colour"], r["shape"], r["direction"]), ("yellow", "square", "down-left"))


if __name__ == "__main__":
    unittest.main()
