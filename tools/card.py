"""Writes the embedded model's card (README.md in the model folder) from its config, the
training checkpoint's loss log and the adherence measurement.

  /usr/bin/python3 tools/card.py --adherence tools/checkpoints/adherence.json --forward-seconds 0.07"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import EMBEDDED, HERE
from reel.vocab import Vocabulary

TARGETS = {"colour": 0.95, "direction": 0.85, "shape": 0.75}
SHIFT_FROM = 909
MIX_FROM = 2745  # the step from which a uniform share of timesteps was mixed in
SAMPLE_FROM = 4765  # the step at which the output changed from the velocity to x0
WORD_SKIP_FROM = 4765  # the step from which the text encoder has its word skip
BF16_FROM = 7014  # the step from which training ran under bfloat16 autocast
TOP_FROM = 9308  # the step from which a share of timesteps was drawn from (0.9, 1)
FULL_FROM = 11889  # the step at which self-attention changed from factorised to full 3D
WORD_SKIP_HISTORY = f"""

At step {WORD_SKIP_FROM} shape and direction were still at chance (48-pair checks), and a
probe showed why: on the same noise at t = 0.8, changing the prompt's direction word moved the
model's output by an RMS of 0.0014 and its shape word by 0.0021, against 0.31 for its colour
word. The text encoder's layers had grown a common component (norm 80 to 170) that the final
LayerNorm shrank the direction word's identity under (its difference in `ctx` 0.17, the colour
word's 6.0). The word skip (`text.word_norm`, zero-initialised) was added there and training
resumed (AdamW moments and EMA restarted); 500 steps later, at step 5267, its gain had grown
only to a norm of 0.07 and was set to 0.5 in every channel (the initial value a fresh model now
gets), after which a direction word moved the output by 0.045 and a shape word by 0.055. An experiment from step {WORD_SKIP_FROM} with the output
changed to the clean video (`prediction: flow_sample`, `final.linear` refitted by ridge regression)
ran about 600 steps and was dropped: at its step 5352 the x₀ error at t = 0.02 was 0.058, the velocity
model's 0.015 at step 4445, and shape and direction did not move."""
BF16_HISTORY = f"""

From step {BF16_FROM} the forward and backward matrix products run in bfloat16 under CPU
autocast (`train.py --precision bf16`; weights, gradients, AdamW and the EMA stay float32): on
this AVX-512-BF16 CPU a batch of 32 took 0.74 s forward and backward against 2.63 s in float32,
at the same loss to four digits, and training went from about 17 to about 44 samples/s."""
LATE_HISTORY = f"""

By step 8765 colour was learnt but shape and direction had not moved in 2,000 steps (48-pair
checks: shape 13/48, direction 11/48, as at step 6773). Two measurements said where: (1) from
noised ground truth, the model's x̂₀ already shows the true direction at t = 0.8 whatever the
prompt says, so the track is decided in the sampler's first steps, t from 1 to about 0.85; there,
at t = 1, the model's x̂₀ (mean over 8 noises) was the same centred round blob for every direction
word, where the true conditional mean (400 rendered videos per prompt) is a smear whose centre
moves 1.5 px per frame the stated way; (2) in the samples, the object's centroid jumped 2.4–3.6 px
(mean of 24 videos) at every boundary between latent frames (frames 1|2, 3|4, 5|6) against
1.1–1.5 px inside one. From
step {TOP_FROM} a fifth of the timesteps is drawn from (0.9, 1) (the logit-normal at shift 3
draws t > 0.98 in under 1% of steps); by step 11889 the excess of the model's t = 1 loss over the
conditional mean's fell from 0.031 to 0.017 and shape rose to 24/48, but the t = 1 mean still did
not move with the direction word and direction stayed at 13/48. At step {FULL_FROM} self-attention
changed from factorised (spatial, temporal) to full 3D over all 256 tokens, the same weights (EMA
restarted): a token can then attend straight to the object in another latent frame at another
place, with the 3D RoPE giving the offset, where the factorised blocks need a spatial and a
temporal hop. Under bf16 autocast a full-attention step costs about 16% more than a factorised
one (0.86 s against 0.74 s forward and backward for a batch of 32). 1,483 steps later (step 13372)
the t = 1 mean moved +1.27 px per frame for "right", −1.31 for "left", −1.28 and +1.25 for "up"
and "down", its excess loss was 0.010, and the 48-pair check gave shape 34/48 and direction 46/48
against 24/48 and 13/48 for the factorised model at step 11889."""


def adherence_table(a):
    rows = ["| combinations | pairs | colour | shape | direction |", "|---|---|---|---|---|"]
    names = {"seen": "seen in training", "held_out": "held out of training", "all": "all"}
    for k in ("seen", "held_out", "all"):
        t = a["table"][k]
        rows.append("| %s | %d | %.1f%% | %.1f%% | %.1f%% |" % (names[k], t["n"], 100 * t["colour"],
                                                             100 * t["shape"], 100 * t["direction"]))
    h = a["table"]["held_out"]
    verdict = []
    for k, target in TARGETS.items():
        verdict.append("%s %.1f%% against a target of %d%%: %s" % (k, 100 * h[k], round(100 * target),
                                                                   "met" if h[k] >= target else "not met"))
    return "\n".join(rows), "On the held-out combinations: " + "; ".join(verdict) + "."


def loss_table(log, rows=16):
    if not log:
        return "(no loss logged yet)"
    pick = sorted(set([0] + [round(i * (len(log) - 1) / (rows - 1)) for i in range(rows)]))
    out = ["| optimizer steps | samples seen | flow-matching loss (mean of 50 steps) |", "|---|---|---|"]
    for i in pick:
        s, n, l = log[i]
        out.append("| %d | %d | %.4f |" % (s, n, l))
    return "\n".join(out)


def write_section(path, heading, section):
    """Replaces this section of a shared results file (up to the next '## '), or appends it."""
    text = open(path).read() if os.path.exists(path) else "# Reel — measured results\n\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=EMBEDDED)
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "reel-shapes.pt"))
    ap.add_argument("--adherence", required=True)
    ap.add_argument("--forward-seconds", type=float, required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--commit", default="")
    ap.add_argument("--note", default="", help="a closing paragraph on the state of training")
    ap.add_argument("--results", help="bench/RESULTS.md: its adherence section is rewritten")
    args = ap.parse_args()
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    with open(args.adherence) as f:
        adh = json.load(f)
    ck = torch.load(args.checkpoint)
    vocab = Vocabulary.load(os.path.join(args.model, "vocabulary.json"))
    size = os.path.getsize(os.path.join(args.model, "model.safetensors"))
    nparams = size // 4
    table, verdict = adherence_table(adh)
    with open(os.path.join(HERE, "reel", "architecture.md")) as f:
        arch = f.read()
    held = ", ".join("%s %s" % p for p in sorted(vocab.held_out))
    steps = cfg["steps"]
    targs = ck.get("args", {})
    sh = targs.get("shift", cfg["shift"])
    sh1 = sh - 1
    uni = targs.get("uniform_fraction", 0.0)
    top = targs.get("top_fraction", 0.0)
    top_text = (f" with probability {top:.2f} uniform in (0.9, 1), the sampler's first steps, where the object's "
                "place and track are decided and can come only from the prompt;" if top > 0 else "")
    rest = 1 - uni - top
    if cfg["prediction"] == "flow_sample":
        pred_text = ("the model outputs the clean video `x̂₀`, and its velocity is `(x_t − x̂₀) / max(t, 0.05)`, "
                     "so the loss is the x₀ error weighted by `1/t²`")
        switch_text = (f" At step {SAMPLE_FROM}, with shape and direction still not learnt and the "
                       "low-noise denoising poor (the x₀ error at t = 0.1 a third of the noise's), the output "
                       "changed from the velocity to `x̂₀` (`prediction: flow_sample`): a narrow network "
                       "with 4×4×2 pixel patches then need not reproduce the noise in its output. "
                       "`final.linear` was refitted by ridge regression on the network's own features "
                       "over six batches, AdamW's moments and the EMA restarted.")
    else:
        pred_text = "the model outputs the velocity"
        switch_text = ""
    text = f"""# reel-shapes: Reel's embedded text-to-video model

A small reel-dit ({nparams/1e6:.2f} M parameters, {size/1e6:.1f} MB of float32 weights) trained by
`tools/` on procedural videos of one coloured shape moving over a plain background. It makes
`generate("a red circle moving right")` work with no download, and its output can be checked
by measurement (`tools/evaluate_video.py`). It knows only its vocabulary; it is a test
instrument and a demonstration, not a general video model.

## Files

| file | what |
|---|---|
| `config.json` | architecture `reel-dit`, every size, attention kind, patches, frames and resolution, default sampler / steps / guidance |
| `model.safetensors` | the EMA weights, float32, names as in the architecture section |
| `vocabulary.json` | the prompt grammar, the word list (token ids are positions in `tokens`), colours' and backgrounds' RGB, the held-out colour-shape pairs |
| `README.md` | this card |

## Video and defaults

{cfg['frames']} frames of {cfg['height']}×{cfg['width']} RGB; patches {tuple(cfg['patch'])} give
{cfg['frames']//cfg['patch'][0]}×{cfg['height']//cfg['patch'][1]}×{cfg['width']//cfg['patch'][2]} tokens;
width {cfg['hidden']}, {cfg['depth']} blocks, {cfg['heads']} heads, {cfg['attention']} attention,
text encoder of {cfg['text_layers']} layers. Default sampler `{cfg['sampler']}`, {steps} steps,
guidance {cfg['guidance']}, negative prompt empty.

Cost: one forward of the PyTorch twin on the conditional + unconditional batch (batch 2)
takes {args.forward_seconds:.3f} s on the 2-core development CPU (median of 10, training paused but
the CPU shared with other jobs; torch 1.13 with
OpenBLAS, 2 threads), so the default {steps} steps take about {steps*args.forward_seconds:.1f} s of
model time in the twin; the 60 s budget of one default generation in the Java runtime allows a
port {60/(steps*args.forward_seconds):.0f}× slower than the twin.

## Prompts

Grammar: {vocab.data['grammar']['description']}

Colours: {', '.join(vocab.colours)}. Shapes: {', '.join(vocab.shapes)}. Directions: {', '.join(vocab.directions)}
(`static` is written "standing still" or "static"). Backgrounds: {', '.join(vocab.backgrounds)}.
A word outside the vocabulary is an error that names the word and lists the known words.
Examples: "a red circle moving right", "an orange square moving up-left on a gray background",
"a white diamond standing still on a navy background".

## Training

Rectified flow (flow matching), loss the mean squared error of the velocity `noise − x₀`
({pred_text}). Timesteps: with probability
{uni:.2f} uniform in (0, 1),{top_text} otherwise (probability {rest:.2f}) shifted logit-normal (`u = sigmoid(n)`, `n ~ N(0, 1)`,
`t = {sh:g}u / (1 + {sh1:g}u)`). The shift keeps most draws near pure noise, where these very redundant
videos (plain backgrounds, near-identical frames) still depend on the prompt; the uniform share
trains the low-noise end, where the sampler's last steps clean the background and sharpen edges
(the default sampler uses the same shift {cfg['shift']:g}),
classifier-free guidance dropout 10% (the prompt replaced
by the empty prompt), AdamW (lr 6e-4 after 100 warm-up steps, annealed linearly to a tenth over
the last minutes of a session's run, betas 0.9/0.99, weight decay 0.01, gradient norm clipped
to 1), batch 32, EMA of the weights (decay min(0.999, (1+s)/(10+s)), s the steps since the last
restart) exported here. Data are drawn fresh every step (`tools/reel/data.py`): shape size 4.5–6.5 px,
speed 1.2–1.8 px per frame along each moving axis, start positions that keep the whole
track inside the frame; half the captions state the background. Held out of training (never
drawn): {held}.

Trained on the 2-core CPU: {ck['step']} optimizer steps, {ck['samples']} samples at export
(the checkpoint `tools/checkpoints/reel-shapes.pt`, kept in the history at commit 8dee984, resumes training; its full loss log is
`tools/checkpoints/reel-shapes-loss.csv`).

History: steps 0–{SHIFT_FROM} trained with unshifted timesteps, a timestep-only adaLN and
unscaled token embeddings; the model then ignored its prompts (conditional and unconditional
loss equal within 1% at every t), and three changes were made (timesteps shifted by 5,
the pooled text added to the adaLN conditioning `c`, token embeddings scaled by sqrt(D)),
resuming from
that checkpoint (the new `pool` layer zero-initialised, AdamW moments restarted). At step
{MIX_FROM} the samples were still noisy, blocky and static: a shift of 5 alone had drawn t < 0.3
in under 1% of steps, so the low-noise end was never learnt; from there the timesteps are the
mixture above (shift {sh:g}, uniform share {uni:.2f}). Losses from different timestep mixtures
are not comparable.{switch_text}{WORD_SKIP_HISTORY if ck['step'] > WORD_SKIP_FROM else ''}{BF16_HISTORY if ck['step'] > BF16_FROM else ''}{LATE_HISTORY if ck['step'] > FULL_FROM else ''}

{loss_table(ck['log'])}

## Prompt adherence (measured {args.date})

{adh['table']['all']['n']} prompt × seed pairs sampled by the PyTorch twin with the defaults
({adh['steps']} steps, guidance {adh['guidance']}, Philox noise seeds 1000 and up), half of them
from colour-shape combinations held out of training; the evaluator (`tools/reel/evaluate.py`)
finds the object in each frame (pixels far from the median colour, largest connected
component) and measures its colour (nearest named colour of the median interior pixel),
shape (best overlap with the shape templates) and direction (least-squares centroid track,
static below 11% of the frame width). It scores rendered ground-truth videos at 100%.

{table}

{verdict}

{args.note}

{arch}"""
    with open(os.path.join(args.model, "README.md"), "w") as f:
        f.write(text)
    if args.results:
        section = f"""## Embedded model: prompt adherence

Measured {args.date} at commit {args.commit}, 2-core CPU (shared with other jobs), PyTorch
twin (torch 1.13, OpenBLAS, 2 threads), model `java/src/main/resources/dev/reel/model/embedded`
after {ck['step']} optimizer steps ({ck['samples']} samples). {adh['table']['all']['n']} prompt × seed
pairs, default sampler ({adh['steps']} flow Euler steps, shift {cfg['shift']}, guidance {adh['guidance']}),
scored by `tools/reel/evaluate.py`; held out of training: {held}.
Command: `tools/adherence.py --model java/src/main/resources/dev/reel/model/embedded --pairs {adh['table']['all']['n']}`.

{table}

{verdict}

{args.note}

Twin forward, conditional + unconditional batch of 2: {args.forward_seconds:.3f} s (median of 10, training
paused; other jobs on the shared CPU were not).

"""
        write_section(args.results, "## Embedded model: prompt adherence", section)
    print(table)
    print(verdict)


if __name__ == "__main__":
    main()
