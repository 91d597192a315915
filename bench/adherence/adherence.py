"""Prompt adherence of files written by Reel's CLI, scored by the evaluator (tools/reel/evaluate.py,
through tools/reel/frames_io.py as tools/evaluate_video.py reads them). bench/adherence/run
drives it:

  plan  DIR --prompts N --seeds S   the prompts (tools/adherence.py's sequence, repeats dropped,
                                    N/2 seen and N/2 held-out pairs) and the CLI calls that make
                                    them, S seeds each (--variations); writes DIR/plan.json and
                                    DIR/calls/NN.args (one CLI argument a line)
  score DIR [--twin]                scores DIR/*.npy (decoded from the CLI's MP4s), and with --twin
                                    the PyTorch twin's videos of the same prompt x seed pairs;
                                    prints a Markdown table with the model card's twin figures
                                    (tools/checkpoints/adherence.json) beside, writes DIR/scores.json"""
import argparse
import json
import os
import random
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from reel import evaluate, frames_io  # noqa: E402
from reel.vocab import Vocabulary  # noqa: E402

import adherence as twin_adherence  # noqa: E402  tools/adherence.py: the model card's prompt sequence

MODEL = os.path.join(ROOT, "java", "src", "main", "resources", "dev", "reel", "model", "embedded")
CARD = os.path.join(ROOT, "tools", "checkpoints", "adherence.json")
FIRST_SEED = 1000
PROMPTS_PER_CALL = 20
ATTRIBUTES = [("colour", "colour"), ("direction", "direction"), ("shape", "shape, template rule"),
              ("shape_fill", "shape, fill rule"), ("background", "background (when stated)")]


def plan(args):
    vocab = Vocabulary.load()
    wanted = {"seen": args.prompts // 2, "held_out": args.prompts - args.prompts // 2}
    chosen, seen_text = [], set()
    for text, caption, split, _ in twin_adherence.prompts(vocab, 8 * args.prompts, 7):
        if text in seen_text or wanted[split] == 0:
            continue
        seen_text.add(text)
        wanted[split] -= 1
        chosen.append(dict(prompt=text, split=split))
        if not any(wanted.values()):
            break
    if any(wanted.values()):
        raise SystemExit("the prompt sequence ran out of distinct prompts")
    calls = []
    for i in range(0, len(chosen), PROMPTS_PER_CALL):
        chunk = chosen[i:i + PROMPTS_PER_CALL]
        base = "c%02d" % len(calls)
        calls.append(dict(out=base + ".mp4", prompts=[c["prompt"] for c in chunk], seed=FIRST_SEED,
                          variations=args.seeds))
    videos = []
    for call in calls:
        base = call["out"][:-4]
        for k, p in enumerate(call["prompts"]):
            split = next(c["split"] for c in chosen if c["prompt"] == p)
            for v in range(call["variations"]):
                seed = call["seed"] + v
                if len(call["prompts"]) == 1 and call["variations"] == 1:
                    name = base
                elif len(call["prompts"]) == 1:
                    name = "%s-seed%d" % (base, seed)
                else:
                    name = "%s-p%d-seed%d" % (base, k + 1, seed)  # the CLI's names (Cli.numbered)
                videos.append(dict(file=name + ".npy", prompt=p, split=split, seed=seed))
    os.makedirs(os.path.join(args.dir, "calls"), exist_ok=True)
    for i, call in enumerate(calls):
        argv = []
        for p in call["prompts"]:
            argv += ["--prompt", p]
        argv += ["--seed", str(call["seed"]), "--variations", str(call["variations"]),
                 "--out", os.path.join(args.dir, call["out"])]
        with open(os.path.join(args.dir, "calls", "%02d.args" % i), "w") as f:
            f.write("\n".join(argv) + "\n")
    with open(os.path.join(args.dir, "plan.json"), "w") as f:
        json.dump(dict(calls=calls, videos=videos), f, indent=1)
    print("%d prompts (%d seen, %d held out) x %d seeds = %d videos in %d CLI calls"
          % (len(chosen), sum(c["split"] == "seen" for c in chosen), sum(c["split"] == "held_out" for c in chosen),
             args.seeds, len(videos), len(calls)))


def judge(r, caption):
    out = {}
    for key, _ in ATTRIBUTES:
        if key == "background":
            out[key] = None if caption.background is None else r["background"] == caption.background
        else:
            out[key] = r[key] == getattr(caption, "shape" if key == "shape_fill" else key)
    out["found"] = (r["colour"], r["shape"], r["shape_fill"], r["direction"], r["background"])
    return out


def twin_videos(videos, vocab, batch=24):
    import torch
    from reel import modelfolder
    from reel.generate import generate
    torch.set_num_threads(2)
    model, mvocab, _ = modelfolder.read(MODEL)
    frames, t0 = [], time.time()
    for i in range(0, len(videos), batch):
        chunk = videos[i:i + batch]
        with torch.no_grad():
            out = generate(model, mvocab, [v["prompt"] for v in chunk], [v["seed"] for v in chunk])
        frames += [evaluate.video_to_frames(o.numpy()) for o in out]
        print("twin: %d/%d videos, %.0f s" % (len(frames), len(videos), time.time() - t0), file=sys.stderr, flush=True)
    return frames


def table(rows):
    t = {}
    for split in ("seen", "held_out", "all"):
        sel = [r for r in rows if split == "all" or r["split"] == split]
        t[split] = dict(n=len(sel))
        for key, _ in ATTRIBUTES:
            judged = [r[key] for r in sel if r[key] is not None]
            t[split][key] = (sum(judged), len(judged))
    return t


def score(args):
    vocab = Vocabulary.load()
    with open(os.path.join(args.dir, "plan.json")) as f:
        videos = json.load(f)["videos"]
    java, t0 = [], time.time()
    for v in videos:
        frames = frames_io.read_frames(os.path.join(args.dir, v["file"]))
        r = judge(evaluate.analyse(frames, vocab), vocab.parse(v["prompt"]))
        java.append(dict(v, **r, size="%dx%d" % (frames.shape[2], frames.shape[1])))
    print("scored %d files in %.0f s" % (len(java), time.time() - t0), file=sys.stderr)
    sources = [("Java CLI, MP4 files (%s, H.264)" % java[0]["size"], java)]
    agreement = None
    if args.twin:
        twin = []
        for v, frames in zip(videos, twin_videos(videos, vocab)):
            twin.append(dict(v, **judge(evaluate.analyse(frames, vocab), vocab.parse(v["prompt"]))))
        sources.append(("PyTorch twin, same prompts and seeds (32x32, float)", twin))
        agreement = sum(a["found"] == b["found"] for a, b in zip(java, twin))
    with open(CARD) as f:
        card = json.load(f)["table"]

    def cell(hit_n):
        h, n = hit_n
        return "%.1f%% (%d/%d)" % (100.0 * h / n, h, n) if n else "n/a"

    print("| combinations | source | videos | " + " | ".join(name for _, name in ATTRIBUTES) + " |")
    print("|---|---|---|" + "---|" * len(ATTRIBUTES))
    tables = [(name, table(rows)) for name, rows in sources]
    for split, label in (("seen", "seen in training"), ("held_out", "held out of training"), ("all", "all")):
        for name, t in tables:
            print("| %s | %s | %d | %s |" % (label, name, t[split]["n"],
                                            " | ".join(cell(t[split][k]) for k, _ in ATTRIBUTES)))
        c = card[split]
        print("| %s | PyTorch twin, model card (its own %d pairs) | %d | %s |" % (
            label, c["n"], c["n"], " | ".join("%.1f%%" % (100 * c[k]) if k in c else "not measured"
                                            for k, _ in ATTRIBUTES)))
    if agreement is not None:
        print("\nJava files and twin measured the same (colour, shape by both rules, direction, background) "
              "in %d of %d videos." % (agreement, len(java)))
    with open(os.path.join(args.dir, "scores.json"), "w") as f:
        json.dump(dict(sources={name: rows for name, rows in sources}), f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan")
    p.add_argument("dir")
    p.add_argument("--prompts", type=int, default=80)
    p.add_argument("--seeds", type=int, default=3)
    s = sub.add_parser("score")
    s.add_argument("dir")
    s.add_argument("--twin", action="store_true")
    args = ap.parse_args()
    plan(args) if args.command == "plan" else score(args)


if __name__ == "__main__":
    main()
