"""Writes the videos the Java port of the evaluator's pixel rules is checked against, with what
reel/evaluate.py measures in each:

  java/src/test/resources/dev/reel/pipeline/evaluator-cases.json

Cases: ground-truth renders (tools/reel/data.py) of random captions; some of them with noise
and a stray blob added (the largest component and the interior-colour quantile then matter);
one upscaled 8x with nearest-pixel blocks, as Reel's writer does; and videos of the embedded
model sampled by the twin (soft, imperfect shapes: the case the rules are for). Every video is
stored as 8-bit RGB [T, H, W, 3], zlib-compressed and base64-encoded, and the evaluator's
results are those of the bytes / 255, so both sides read the same input.

  /usr/bin/python3 tools/make_evaluator_fixture.py"""
import base64
import json
import os
import random
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reel import data, evaluate, modelfolder
from reel.generate import generate
from reel.vocab import Caption, Vocabulary

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "java", "src", "test", "resources", "dev", "reel", "pipeline", "evaluator-cases.json")
MODEL = os.path.join(ROOT, "java", "src", "main", "resources", "dev", "reel", "model", "embedded")
TWIN_PROMPTS = ["a red circle moving right", "a white circle moving up-left on a brown background",
                "an orange diamond moving down", "a cyan triangle standing still on a gray background",
                "a blue square moving down-right on a navy background", "a purple triangle moving left"]


def to_bytes(frames):
    """[T, H, W, 3] in [0, 1] -> uint8, rounding halves up as Reel's Video.fromLatent does."""
    return np.floor(np.clip(frames, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def case(name, prompt, frames_u8, vocab):
    r = evaluate.analyse(frames_u8.astype(np.float64) / 255.0, vocab)
    t, h, w, _ = frames_u8.shape
    return dict(name=name, prompt=prompt, frames=t, height=h, width=w,
                rgb=base64.b64encode(zlib.compress(frames_u8.tobytes(), 9)).decode("ascii"),
                expected=dict(colour=r["colour"], shape=r["shape"], shape_fill=r["shape_fill"],
                              direction=r["direction"], background=r["background"], found=r["found"],
                              object_rgb=r.get("rgb"), velocity=list(r.get("velocity", ())),
                              votes=r.get("votes"), fill=r.get("fill"), offset=r.get("offset"),
                              background_rgb=r["background_rgb"] if "background_rgb" in r else None))


def main():
    vocab = Vocabulary.load()
    rng = random.Random(5)
    noise = np.random.default_rng(5)
    cases = []
    for i in range(12):
        c = data.random_caption(vocab, rng, "all")
        vid, _ = data.render(c, vocab, 8, 32, rng)
        frames = evaluate.video_to_frames(vid * 2 - 1)
        name = "render"
        if i >= 10:
            name = "render+noise"
            frames = frames + noise.normal(0, 0.06, frames.shape)
            y, x = noise.integers(0, 28, 2)
            frames[:, y:y + 3, x:x + 3, :] = noise.uniform(0, 1, 3)  # a stray blob, smaller than the object
        cases.append(case(name, Vocabulary.caption_text(c), to_bytes(frames), vocab))
    c = data.random_caption(vocab, rng, "all")
    vid, _ = data.render(c, vocab, 8, 32, rng)
    big = to_bytes(evaluate.video_to_frames(vid * 2 - 1)).repeat(8, axis=1).repeat(8, axis=2)
    cases.append(case("render 256x256", Vocabulary.caption_text(c), big, vocab))
    torch.set_num_threads(2)
    model, mvocab, _ = modelfolder.read(MODEL)
    with torch.no_grad():
        vids = generate(model, mvocab, TWIN_PROMPTS, [2000 + i for i in range(len(TWIN_PROMPTS))])
    for p, v in zip(TWIN_PROMPTS, vids):
        cases.append(case("twin", p, to_bytes(evaluate.video_to_frames(v.numpy())), vocab))
    doc = dict(note="written by tools/make_evaluator_fixture.py; expected = tools/reel/evaluate.py analyse() "
                    "of rgb / 255; rgb is zlib-compressed uint8 [frames, height, width, 3], base64",
               constants=dict(threshold=evaluate.THRESHOLD, static_fraction=evaluate.STATIC_FRACTION,
                              fill_square=evaluate.FILL_SQUARE, fill_circle=evaluate.FILL_CIRCLE,
                              triangle_offset=evaluate.TRIANGLE_OFFSET),
               cases=cases)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("%s: %d cases, %d bytes" % (OUT, len(cases), os.path.getsize(OUT)))
    for c in cases:
        e = c["expected"]
        print("%-15s %-55s -> %s %s [%s] %s %s" % (c["name"], c["prompt"], e["colour"], e["shape"], e["shape_fill"],
                                                  e["direction"], e["background"]))


if __name__ == "__main__":
    main()
