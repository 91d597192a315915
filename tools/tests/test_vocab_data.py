import random
import unittest

from reel import data
from reel.vocab import Caption, PromptError, Vocabulary


class VocabularyTest(unittest.TestCase):
    def setUp(self):
        self.v = Vocabulary.load()

    def test_vocabulary_has_the_required_words(self):
        self.assertGreaterEqual(len(self.v.colours), 9)
        self.assertGreaterEqual(len(self.v.shapes), 4)
        self.assertEqual(len(self.v.directions), 9)
        self.assertIn("static", self.v.directions)
        self.assertGreaterEqual(len(self.v.backgrounds), 2)

    def test_parses_the_documented_prompts(self):
        self.assertEqual(self.v.parse("a red circle moving right"), Caption("red", "circle", "right", None))
        self.assertEqual(self.v.parse("A red circle moving right on a black background."),
                         Caption("red", "circle", "right", "black"))
        self.assertEqual(self.v.parse("an orange square standing still"), Caption("orange", "square", "static"))

    def test_unknown_word_names_it_and_lists_known_words(self):
        with self.assertRaises(PromptError) as e:
            self.v.parse("a red blob moving right")
        self.assertIn("'blob'", str(e.exception))
        self.assertIn("circle", str(e.exception))
        self.assertIn("purple", str(e.exception))

    def test_malformed_prompt_is_an_error(self):
        for p in ["red circle moving right", "a red circle moving", "a circle red moving left",
                  "a red circle moving right on a black", "a red circle moving static"]:
            with self.assertRaises(PromptError, msg=p):
                self.v.parse(p)

    def test_captions_parse_back_to_their_attributes(self):
        rng = random.Random(3)
        for _ in range(300):
            c = data.random_caption(self.v, rng, "all")
            if rng.random() < 0.5:
                c = Caption(c.colour, c.shape, c.direction, None)
            for still in ("standing still", "static"):
                self.assertEqual(self.v.parse(Vocabulary.caption_text(c, still)), c)

    def test_training_split_never_draws_a_held_out_pair(self):
        rng = random.Random(4)
        for _ in range(2000):
            c = data.random_caption(self.v, rng, "train")
            self.assertNotIn((c.colour, c.shape), self.v.held_out)
        for _ in range(50):
            c = data.random_caption(self.v, rng, "held_out")
            self.assertIn((c.colour, c.shape), self.v.held_out)

    def test_encode_pads_and_marks_the_empty_prompt_unconditional(self):
        ids, n = self.v.encode("")
        self.assertEqual(n, 1)
        self.assertEqual(ids[0], self.v.begin_id)
        self.assertEqual(len(ids), self.v.max_tokens)
        ids, n = self.v.encode("a red circle moving right")
        self.assertEqual(n, 6)
        self.assertEqual(ids[2], self.v.index["red"])

    def test_batch_shapes_and_range(self):
        vids, ids, lens, caps = data.batch(self.v, 4, 8, 32, random.Random(0))
        self.assertEqual(vids.shape, (4, 3, 8, 32, 32))
        self.assertLessEqual(vids.max(), 1.0)
        self.assertGreaterEqual(vids.min(), -1.0)
        self.assertEqual(ids.shape, (4, self.v.max_tokens))


if __name__ == "__main__":
    unittest.main()
