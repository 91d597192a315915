"""The prompt grammar and tokenizer, read from vocabulary.json (the same file the Java runtime reads)."""
import json
import os
from dataclasses import dataclass

DEFAULT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vocabulary.json")


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class Caption:
    colour: str
    shape: str
    direction: str
    background: str = None  # None: the prompt does not name one


class Vocabulary:
    def __init__(self, data):
        self.data = data
        self.colours = list(data["colours"])
        self.shapes = list(data["shapes"])
        self.directions = list(data["directions"])
        self.backgrounds = list(data["backgrounds"])
        self.tokens = list(data["tokens"])
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.max_tokens = int(data["max_tokens"])
        self.pad_id = self.index[data["pad_token"]]
        self.begin_id = self.index[data["begin_token"]]
        self.held_out = {tuple(p) for p in data["held_out"]}

    @staticmethod
    def load(path=DEFAULT_PATH):
        with open(path) as f:
            return Vocabulary(json.load(f))

    def known_words(self):
        return [t for t in self.tokens if not t.startswith("<")]

    @staticmethod
    def words(prompt):
        for ch in ",.!;":
            prompt = prompt.replace(ch, " ")
        return prompt.lower().split()

    def _check_words(self, words, prompt):
        for w in words:
            if w not in self.index or w.startswith("<"):
                raise PromptError("unknown word '%s' in prompt '%s'; known words: %s"
                                  % (w, prompt, ", ".join(self.known_words())))

    def parse(self, prompt):
        """Returns the Caption a prompt states, or raises PromptError saying what is wrong."""
        words = self.words(prompt)
        self._check_words(words, prompt)
        pos = 0

        def expect(kind, options):
            nonlocal pos
            if pos >= len(words):
                raise PromptError("prompt '%s' ends where %s was expected (one of: %s)"
                                  % (prompt, kind, ", ".join(options)))
            w = words[pos]
            if w not in options:
                raise PromptError("'%s' in prompt '%s' is not %s (one of: %s)"
                                  % (w, prompt, kind, ", ".join(options)))
            pos += 1
            return w

        articles = self.data["grammar"]["article"]
        expect("an article", articles)
        colour = expect("a colour", self.colours)
        shape = expect("a shape", self.shapes)
        first = expect("a motion", ["moving", "standing", "static"])
        if first == "moving":
            direction = expect("a direction", [d for d in self.directions if d != "static"])
        elif first == "standing":
            expect("'still'", ["still"])
            direction = "static"
        else:
            direction = "static"
        background = None
        if pos < len(words):
            expect("'on'", ["on"])
            expect("an article", articles)
            background = expect("a background", self.backgrounds)
            expect("'background'", ["background"])
        if pos < len(words):
            raise PromptError("unexpected '%s' after the end of prompt '%s'" % (words[pos], prompt))
        return Caption(colour, shape, direction, background)

    def encode(self, prompt):
        """Token ids: <s> then one id per word; the empty prompt is [<s>] (unconditional).
        Returns (ids padded to max_tokens with <pad>, valid length)."""
        words = self.words(prompt)
        if words:
            self.parse(prompt)
        ids = [self.begin_id] + [self.index[w] for w in words]
        if len(ids) > self.max_tokens:
            raise PromptError("prompt '%s' has %d words; at most %d"
                              % (prompt, len(words), self.max_tokens - 1))
        n = len(ids)
        return ids + [self.pad_id] * (self.max_tokens - n), n

    @staticmethod
    def caption_text(c, still_words="standing still"):
        article = "an" if c.colour[0] in "aeiou" else "a"
        motion = still_words if c.direction == "static" else "moving " + c.direction
        text = "%s %s %s %s" % (article, c.colour, c.shape, motion)
        if c.background is not None:
            text += " on a %s background" % c.background
        return text
