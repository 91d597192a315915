"""Writes the prompts the Java tokenizer is checked against, with what reel/vocab.py makes of
each: the ids and length, or the error message.

  java/src/test/resources/dev/reel/model/fixtures/prompts.json

Valid prompts from the grammar in mixed case, with punctuation and every kind of white space
Python's str.split() splits on, and broken ones (a word dropped, two swapped, an unknown word,
a word too many). Only prompts whose articles already agree with the next word are kept:
Reel's Java side also fixes "a orange" to "an orange", which vocab.py does not do.

  /usr/bin/python3 tools/make_prompt_fixture.py"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel.vocab import PromptError, Vocabulary

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "java", "src", "test", "resources",
                   "dev", "reel", "model", "fixtures", "prompts.json")
SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x85", "\u202f"]


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def articles_agree(words):
    return all(not (w in ("a", "an") and i + 1 < len(words) and w != article(words[i + 1]))
               for i, w in enumerate(words))


def valid(rng, v):
    colour = rng.choice(v.colours)
    words = [article(colour), colour, rng.choice(v.shapes)]
    motion = rng.randrange(3)
    if motion == 0:
        words += ["moving", rng.choice([d for d in v.directions if d != "static"])]
    elif motion == 1:
        words += ["standing", "still"]
    else:
        words += ["static"]
    if rng.random() < 0.4:
        bg = rng.choice(v.backgrounds)
        words += ["on", article(bg), bg, "background"]
    return words


def broken(rng, v, words):
    words = list(words)
    kind = rng.randrange(5)
    if kind == 0 and words:
        del words[rng.randrange(len(words))]
    elif kind == 1 and len(words) > 1:
        i, j = rng.sample(range(len(words)), 2)
        words[i], words[j] = words[j], words[i]
    elif kind == 2:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["blob", "quickly", "<s>", "<pad>", "the", "reds"]))
    elif kind == 3:
        words.append(rng.choice(v.known_words()))
    else:
        words = words[: rng.randrange(len(words) + 1)]
    return words


def render(rng, words):
    out = ""
    for i, w in enumerate(words):
        w = "".join(c.upper() if rng.random() < 0.2 else c for c in w)
        out += (rng.choice(SPACES) if i else rng.choice(["", " ", "\n"])) + w
        if rng.random() < 0.15:
            out += rng.choice(",.!;")
    return out + rng.choice(["", "", ".", "!", " ", "\t"])


def main():
    v = Vocabulary.load()
    rng = random.Random(20261201)
    cases, seen = [], set()
    for prompt in ["", "   ", ",.!;", "a red circle moving right", "A Red Circle, moving RIGHT!",
                   "an orange diamond standing still on a navy background", "a white square static"]:
        seen.add(prompt)
        cases.append(prompt)
    while len(cases) < 600:
        words = valid(rng, v)
        if rng.random() < 0.5:
            words = broken(rng, v, words)
        if not articles_agree([w.lower() for w in words]):
            continue
        prompt = render(rng, words)
        if prompt not in seen:
            seen.add(prompt)
            cases.append(prompt)
    out = []
    for prompt in cases:
        try:
            ids, n = v.encode(prompt)
            out.append({"prompt": prompt, "ids": ids, "length": n})
        except PromptError as e:
            out.append({"prompt": prompt, "error": str(e)})
    with open(OUT, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=True) for c in out) + "\n]\n")
    print("%d prompts, %d refused -> %s" % (len(out), sum("error" in c for c in out), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
