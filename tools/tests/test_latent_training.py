import os
import random
import tempfile
import unittest

import numpy as np
import torch

from reel import data, evaluate, modelfolder
from reel.autoencoder import AEConfig, Autoencoder
from reel.vocab import Caption, Vocabulary
import make_latents
import train


def tiny_autoencoder_folder(folder):
    torch.manual_seed(3)
    ae = Autoencoder(AEConfig(latent_channels=4, widths=(8, 8, 8, 8), encoder_blocks=1, decoder_blocks=1))
    ae.cfg.latent_mean, ae.cfg.latent_std = (0.1, -0.2, 0.0, 0.3), (0.5, 1.5, 1.0, 2.0)
    modelfolder.write_autoencoder(folder, ae)
    return ae


class LatentDataTest(unittest.TestCase):
    def test_reversal_is_the_latent_of_the_reversed_video_and_its_opposite_caption(self):
        v = Vocabulary.load()
        with tempfile.TemporaryDirectory() as d:
            ae = tiny_autoencoder_folder(d)
            rng = random.Random(5)
            for direction in ("up-left", "right", "static"):
                c = Caption("red", "circle", direction, "black")
                vid, _ = data.render(c, v, 8, 64, rng, scaled=True)
                x = torch.from_numpy(vid[None] * 2 - 1)
                z = ae.encode_video(x)
                z_rev = ae.encode_video(torch.flip(x, dims=[2]))
                self.assertLess((torch.flip(z, dims=[2]) - z_rev).abs().max().item(), 1e-5)
                self.assertEqual(train.REVERSED[train.REVERSED[direction]], direction)
                # the reversed video is scored as moving the opposite way
                r = evaluate.analyse(evaluate.video_to_frames(vid[:, ::-1]), v)
                self.assertEqual(r["direction"], train.REVERSED[direction])

    def test_write_shards_skips_those_present_and_leaves_no_temporary_file(self):
        with tempfile.TemporaryDirectory() as d:
            made = []
            path_of = lambda k: os.path.join(d, "out", "s-%d.npz" % k)
            make = lambda k: made.append(k) or dict(a=np.full(3, k))
            make_latents.write_shards(5, 2, path_of, make)            # 3 shards
            self.assertEqual(made, [0, 1, 2])
            os.remove(path_of(1))
            make_latents.write_shards(5, 2, path_of, make)
            self.assertEqual(made, [0, 1, 2, 1], "only the missing shard is made again")
            self.assertEqual(sorted(os.listdir(os.path.join(d, "out"))), ["s-0.npz", "s-1.npz", "s-2.npz"])
            with np.load(path_of(2)) as s:
                self.assertEqual(s["a"].tolist(), [2, 2, 2])

    def test_shards_are_reproducible_and_the_pool_reads_them(self):
        v = Vocabulary.load()
        with tempfile.TemporaryDirectory() as d:
            ae = tiny_autoencoder_folder(d)
            a = make_latents.make_shard(ae, v, 2, 3, 8, 32, 1)
            b = make_latents.make_shard(ae, v, 2, 3, 8, 32, 1)
            c = make_latents.make_shard(ae, v, 3, 3, 8, 32, 1)
            self.assertTrue(np.array_equal(a["z"], b["z"]))
            self.assertFalse(np.array_equal(a["z"], c["z"]))
            for k in ("colour", "shape"):
                for i in range(3):
                    self.assertNotIn((v.colours[a["colour"][i]], v.shapes[a["shape"][i]]), v.held_out)
            os.makedirs(os.path.join(d, "shards"))
            np.savez(make_latents.shard_path(os.path.join(d, "shards"), 0), **a)
            pool = train.LatentPool(os.path.join(d, "shards"), v)
            self.assertEqual(tuple(pool.shape()), (4, 8, 4, 4))
            x, ids, lens = pool.batch(16, random.Random(1))
            self.assertEqual(x.shape, (16, 4, 8, 4, 4))
            self.assertEqual(x.dtype, np.float32)
            self.assertTrue(all(1 < n <= v.max_tokens for n in lens))


class PromptTextTest(unittest.TestCase):
    def test_every_training_prompt_parses_to_its_caption_and_both_articles_occur(self):
        v = Vocabulary.load()
        rng = random.Random(9)
        seen = set()
        for _ in range(400):
            c = data.random_caption(v, rng, "train")
            text = train.prompt_text(c, rng)
            p = v.parse(text)
            self.assertEqual((p.colour, p.shape, p.direction), (c.colour, c.shape, c.direction))
            self.assertIn(p.background, (None, c.background))
            seen.add(text.split()[0] + " " + ("vowel" if c.colour[0] in "aeiou" else "consonant"))
        self.assertEqual(seen, {"a vowel", "an vowel", "a consonant", "an consonant"})


class BackgroundDeviationTest(unittest.TestCase):
    def test_clean_renders_read_zero_and_noise_reads_its_mean_absolute_value(self):
        v = Vocabulary.load()
        rng = random.Random(4)
        c = Caption("green", "square", "right", "navy")
        vid, _ = data.render(c, v, 8, 128, rng, scaled=True)
        frames = evaluate.video_to_frames(vid * 2 - 1)
        self.assertEqual(evaluate.analyse(frames, v)["background_mad"], 0.0)
        noise = np.random.default_rng(1).uniform(-6 / 255, 6 / 255, frames.shape)
        # navy is near 0 in red and green: keep the noisy frames inside [0, 1] by lifting them
        noisy = np.clip(frames + noise + 0.1, 0, 1)
        r = evaluate.analyse(noisy, v)
        self.assertAlmostEqual(r["background_mad"] * 255, 3.0, delta=0.3)
        self.assertEqual(r["shape_fill"], "square")


if __name__ == "__main__":
    unittest.main()
