"""Writes the model card (README.md in the model folder) of a latent embedded model — a reel-dit
on the latents of a reel-vae-2d autoencoder — from its config, the training checkpoint's loss
log, the autoencoder's measurement and the adherence measurement; optionally rewrites the
adherence section of bench/RESULTS.md.

  /usr/bin/python3 tools/card_latent.py --adherence tools/checkpoints/adherence.json \\
      --autoencoder-metrics tools/checkpoints/autoencoder-metrics.json --checkpoint CK \\
      --forward-seconds 0.05 --decode-seconds 0.4 --date 2026-12-01 --results bench/RESULTS.md"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from card import loss_table, write_section
from export import EMBEDDED, HERE
from reel import modelfolder
from reel.autoencoder import parameter_count
from reel.vocab import Vocabulary

TARGETS = {"colour": 0.95, "direction": 0.90, "shape": 0.90, "background": 0.95}
MAD_TARGET = 3.0  # /255
NAMES = {"seen": "seen in training", "held_out": "held out of training", "all": "all"}


def pct(v):
    return "n/a" if v is None else "%.1f%%" % (100 * v)


def adherence_table(a):
    rows = ["| combinations | pairs | colour | shape (strict fill rule) | shape (template rule) | direction | "
            "background named (pairs) | background MAD mean / max |",
            "|---|---|---|---|---|---|---|---|"]
    for k in ("seen", "held_out", "all"):
        t = a["table"][k]
        mad = "n/a" if t["background_mad_mean"] is None else "%.2f / %.2f /255" % (
            255 * t["background_mad_mean"], 255 * t["background_mad_max"])
        rows.append("| %s | %d | %s | %s | %s | %s | %s (%d) | %s |" % (
            NAMES[k], t["n"], pct(t["colour"]), pct(t["shape"]), pct(t["shape_template"]), pct(t["direction"]),
            pct(t["background"]), t["background_stated"], mad))
    h = a["table"]["held_out"]
    verdict = []
    for k, target in TARGETS.items():
        v = h[k]
        verdict.append("%s %s against %d%%: %s" % ("background colour" if k == "background" else k, pct(v),
                                                 round(100 * target), "met" if v is not None and v >= target else "NOT met"))
    mad = 255 * h["background_mad_mean"]
    verdict.append("background MAD %.2f/255 against %g/255: %s" % (mad, MAD_TARGET, "met" if mad <= MAD_TARGET else "NOT met"))
    return "\n".join(rows), "On the held-out combinations: " + "; ".join(verdict) + "."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=EMBEDDED)
    ap.add_argument("--checkpoint", required=True, help="the reel-dit's training checkpoint (its loss log)")
    ap.add_argument("--adherence", required=True)
    ap.add_argument("--autoencoder-metrics", required=True, help="eval_autoencoder.py --json output")
    ap.add_argument("--autoencoder-frames", type=int, required=True, help="frames the autoencoder trained on")
    ap.add_argument("--latent-videos", type=int, required=True, help="videos in the latent training set")
    ap.add_argument("--init-steps", type=int, default=15067, help="the pixel model's steps it started from")
    ap.add_argument("--forward-seconds", type=float, required=True)
    ap.add_argument("--decode-seconds", type=float, required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--commit", default="")
    ap.add_argument("--note", default="")
    ap.add_argument("--results", help="bench/RESULTS.md: its adherence section is rewritten")
    ap.add_argument("--decoder-checkpoint", help="tools/train_decoder.py's checkpoint, when the decoder was fine-tuned "
                                                 "on the transformer's latents (its arguments and evaluations)")
    ap.add_argument("--decoder-pairs", type=int, help="videos in the decoder's pair set")
    ap.add_argument("--checkpoint-commit", help="the commit whose tree last held the checkpoints (the model is final "
                                                "and they left the tree)")
    ap.add_argument("--decoder-t0", default="0.5,0.95", help="make_decoder_pairs.py's --t-min,--t-max")
    ap.add_argument("--adherence-before", help="the adherence of the same transformer with the decoder before its fine-tune")
    args = ap.parse_args()
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    with open(args.adherence) as f:
        adh = json.load(f)
    with open(args.autoencoder_metrics) as f:
        aem = json.load(f)
    ck = torch.load(args.checkpoint)
    ae = modelfolder.read_autoencoder(args.model)
    aec = cfg["autoencoder"]
    vocab = Vocabulary.load(os.path.join(args.model, "vocabulary.json"))
    dit_bytes = os.path.getsize(os.path.join(args.model, "model.safetensors"))
    ae_bytes = os.path.getsize(os.path.join(args.model, modelfolder.AE_FILE))
    table, verdict = adherence_table(adh)
    held = ", ".join("%s %s" % p for p in sorted(vocab.held_out))
    f = aec["downsample"]
    side = cfg["height"] * f
    pt, ph, pw = cfg["patch"]
    grid = (cfg["frames"] // pt, cfg["height"] // ph, cfg["width"] // pw)
    targs = ck.get("args", {})
    steps = cfg["steps"]
    with open(os.path.join(HERE, "reel", "architecture.md")) as fh:
        arch = fh.read()
    lo, hi = cfg.get("guidance_interval", [0.0, 1.0])
    guided = ("guidance %g at every step" % cfg["guidance"] if (lo, hi) == (0.0, 1.0) else
              "guidance %g at the steps whose t lies in [%g, %g] and the conditional output alone below "
              "(guidance in a limited interval: guiding the later steps rounds the corners of squares)"
              % (cfg["guidance"], lo, hi))
    where_ck = ("is `tools/checkpoints/reel-latent.pt`" if not args.checkpoint_commit else
                "was `tools/checkpoints/reel-latent.pt`; the model is final, and the file is in the history at commit "
                + args.checkpoint_commit)
    finetune = ""
    if args.decoder_checkpoint:
        dk = torch.load(args.decoder_checkpoint)
        da, e0, e1 = dk["args"], dk["evals"][0], dk["evals"][-1]
        before = ""
        if args.adherence_before:
            with open(args.adherence_before) as fb:
                hb = json.load(fb)["table"]
            before = (" With the decoder before the fine-tune, the same transformer and sampler scored shape "
                      "(strict rule) %s seen / %s held out, colour %s / %s, direction %s / %s."
                      % tuple(pct(hb[k][a]) for a in ("shape", "colour", "direction") for k in ("seen", "held_out")))
        finetune = f"""

### The decoder, fine-tuned on the transformer's latents

The transformer's samples are a little off the autoencoder's latent manifold: decoded, their
squares have wavy sides and uneven corners, which the strict fill rule reads as circles. So the
decoder (the encoder frozen: the latent space the transformer learnt does not move) was
fine-tuned on pairs made by the transformer itself (`tools/make_decoder_pairs.py`,
`tools/train_decoder.py`): {args.decoder_pairs or 0:,} training renders (held-out colour-shape pairs never drawn),
each encoded, noised to a level t0 drawn from [{args.decoder_t0.replace(',', ', ')}] and sampled
back to t = 0 by the transformer with its prompt and default sampler (SDEdit); the decoder learns
to draw that sample as the render it came from. Half of each batch of {da['batch']} frames is such pairs,
half plain reconstructions of the encoder's latents. Loss as for the autoencoder (L1 + L2 + the
edge term), AdamW lr {da['lr']:g}, EMA {da['ema']:g}, {dk['step']} steps, {dk['samples']:,} frames. On the 64
held-out renders (encoder latents): PSNR {e0['psnr']:.1f} → {e1['psnr']:.1f} dB, edge rise width
{e0['edge_width']:.2f} → {e1['edge_width']:.2f} px (ground truth {e1['edge_width_gt']:.2f}), flat-region RMSE
{e0['flat_rmse']:.4f} → {e1['flat_rmse']:.4f} (`tools/checkpoints/decoder-eval.csv`). Its checkpoint (decoder and EMA in
bfloat16, 2.5 MB) {where_ck.replace('reel-latent', 'decoder')}.{before}"""
    text = f"""# reel-shapes-128: Reel's embedded text-to-video model

A reel-dit transformer ({dit_bytes/4e6:.2f} M parameters) that denoises in the latent space of
a small convolutional autoencoder, reel-vae-2d ({parameter_count(ae)/1e6:.2f} M parameters:
encoder {parameter_count(ae.encoder)/1e6:.2f} M, decoder {parameter_count(ae.decoder)/1e6:.2f} M),
both trained by `tools/` on the 2-core CPU on procedural videos of one coloured shape moving over
a plain background. It makes `generate("a red circle moving right")` write {cfg['frames']} frames
of {side}×{side} (2 s at 8 fps) with no download, and what it draws can be checked by measurement
(`tools/evaluate_video.py`). It knows only its vocabulary: a test instrument and a demonstration,
not a general video model.

## Files

| file | what |
|---|---|
| `config.json` | the transformer's sizes, patches, latent frames and size, default sampler / steps / guidance and its interval / shift; its `autoencoder` block (tools/reel/autoencoder.md) |
| `model.safetensors` | the transformer's EMA weights, float32 ({dit_bytes/1e6:.1f} MB) |
| `autoencoder.safetensors` | the encoder and decoder, float32 ({ae_bytes/1e6:.2f} MB); the encoder is what video-to-video (`--init`) needs |
| `vocabulary.json` | the prompt grammar, the word list (token ids are positions in `tokens`), colours' and backgrounds' RGB, the held-out colour-shape pairs |
| `README.md` | this card |

## Video, latent and defaults

A video is {cfg['frames']} RGB frames of {side}×{side} in [−1, 1]. The autoencoder codes each frame
on its own (2D, {f}× smaller in height and width, {aec['latent_channels']} channels:
{3*side*side // (aec['latent_channels']*cfg['height']*cfg['width'])}× fewer numbers), so the transformer
sees a latent of {aec['latent_channels']}×{cfg['frames']}×{cfg['height']}×{cfg['width']}, each
channel normalised by the `latent_mean` / `latent_std` measured on 512 training frames. Per frame
and not also in time because on two cores a 2D network of under a million parameters trains to
44 dB in hours, and the transformer's patches (t, h, w) = ({pt}, {ph}, {pw}) already group
{pt} frames per token: {grid[0]}×{grid[1]}×{grid[2]} = {grid[0]*grid[1]*grid[2]} tokens. Width
{cfg['hidden']}, {cfg['depth']} blocks, {cfg['heads']} heads, {cfg['attention']} 3D attention,
text encoder of {cfg['text_layers']} layers. Default sampler `{cfg['sampler']}`, {steps} steps,
shift {cfg['shift']}, {guided}, negative prompt empty; the latent is decoded
after the last step.

Cost in the PyTorch twin on the 2-core development CPU (torch 1.13, OpenBLAS; other jobs on the
machine): one forward of the conditional + unconditional batch {args.forward_seconds:.3f} s (median of 10),
the decode of {cfg['frames']} frames {args.decode_seconds:.2f} s. The Java runtime's figures are in
bench/RESULTS.md.

## The autoencoder

Layers exactly as in `tools/reel/autoencoder.md`; trained on {args.autoencoder_frames:,} single frames
of {side}×{side} renders (a random frame of a random {cfg['frames']}-frame video each, shapes and
speeds scaled with the frame, edges with exact coverage), loss L1 + L2 + an edge term + a small KL.
Measured on 64 held-out renders (`tools/eval_autoencoder.py`, the EMA weights shipped here):
PSNR {aem['psnr']:.1f} dB (worst frame {aem['psnr_min']:.1f} dB; {aem['psnr_train_pairs']:.1f} dB on training
colour-shape pairs, {aem['psnr_held_out_pairs']:.1f} dB on held-out ones), edge 10–90% rise width
{aem['edge_width']:.2f} px against {aem['edge_width_gt']:.2f} px for the ground truth itself (the
reconstruction's coverage read back along the background-to-object colour line over a 3-pixel
band at the boundary, per unit of perimeter: `tools/reel/aemetrics.py`), gradient energy in that
band {100*aem['grad_energy_ratio']:.0f}% of the ground truth's, flat-region RMSE {aem['flat_rmse']:.4f}.{finetune}

## Prompts

Grammar: {vocab.data['grammar']['description']}
Either article may stand before any word ("a orange circle" means "an orange circle"; training
swaps an article in a quarter of its prompts, and the Java runtime also normalises them).
Colours: {', '.join(vocab.colours)}. Shapes: {', '.join(vocab.shapes)}. Directions: {', '.join(vocab.directions)}
(`static` is written "standing still" or "static"). Backgrounds: {', '.join(vocab.backgrounds)}.
A word outside the vocabulary is an error that names the word and lists the known words.

## Training

The transformer started from the pixel-space embedded model (8 frames of 32×32, step
{args.init_steps}): its token grid is the same 4×8×8 over the same stretch of time and space, so
every tensor but the patch embedding and the final linear layer carried over (their shapes
differ); the final layer was refitted by ridge regression on the network's own features. Data:
{args.latent_videos:,} training videos (held-out colour-shape pairs never drawn) rendered at {side}×{side}
and encoded once by the frozen encoder (`tools/make_latents.py`); each draw plays a video
backwards half the time — the encoder codes frames one by one, so the reversed latent is exactly
the latent of the reversed video, which the data's start positions make a video of the opposite
direction — with its caption built afresh (background stated in half, an article swapped in a
quarter). Rectified flow, loss the mean squared velocity error; timesteps: uniform with
probability {targs.get('uniform_fraction', 0.3):.2f}, uniform in (0.9, 1) with probability
{targs.get('top_fraction', 0.2):.2f}, else logit-normal shifted by {targs.get('shift', cfg['shift']):g};
classifier-free guidance dropout {targs.get('cfg_dropout', 0.1):.0%}; AdamW lr {targs.get('lr', 4e-4):g}
after {targs.get('warmup', 200)} warm-up steps (annealed to a tenth over a run's last minutes), batch
{targs.get('batch', 32)}, bfloat16 autocast, EMA 0.999 exported here. {cfg.get('trained_steps', ck['step'])} optimizer
steps, {cfg.get('trained_samples', ck['samples']):,} samples on the latents. Its checkpoint (weights and EMA in bfloat16,
≤ 15 MB, no AdamW moments) {where_ck}.

{loss_table(ck['log'])}

## Prompt adherence (measured {args.date})

{adh['table']['all']['n']} prompt × seed pairs sampled by the PyTorch twin with the defaults
({adh['steps']} steps, {guided.split(' (')[0]}, Philox noise seeds 1000 and up) and decoded, half of
them from the colour-shape combinations held out of training ({held}); a quarter written with the
other article. Scored by `tools/reel/evaluate.py` with the strict rules: colour the nearest named
colour of the object's pixels; shape from the fill of the object's bounding box (square above
0.88, circle 0.65–0.88, triangle and diamond below, told apart by the centroid's offset), the
template rule beside it; direction from the centroid's track (eight directions or static);
background the nearest named background of the frames' median, counted where the prompt names
one; background MAD the mean absolute deviation from the frame's median colour of the pixels
farther than 3 px from the object (target ≤ 3/255). Ground-truth renders score 100% on each.
`tools/adherence.py --model java/src/main/resources/dev/reel/model/embedded --pairs {adh['table']['all']['n']}`.

{table}

{verdict}

{args.note}

{arch}"""
    with open(os.path.join(args.model, "README.md"), "w") as fh:
        fh.write(text)
    if args.results:
        section = f"""## Embedded model: prompt adherence

Measured {args.date} at commit {args.commit}, 2-core Intel Xeon (AVX-512 with `avx512_bf16`; shared with other jobs), PyTorch twin
(torch 1.13, OpenBLAS), the latent model `java/src/main/resources/dev/reel/model/embedded`
({cfg['frames']} frames of {side}×{side}) after {cfg.get('trained_steps', ck['step'])} optimizer steps on latents.
{adh['table']['all']['n']} prompt × seed pairs, default sampler ({adh['steps']} flow Euler steps, shift
{cfg['shift']}, {guided.split(' (')[0]}), decoded and scored by `tools/reel/evaluate.py` with the strict
rules (the model card says how); held out of training: {held}.

{table}

{verdict}

{args.note}

Twin, same CPU: forward of the conditional + unconditional batch {args.forward_seconds:.3f} s (median of
10), decode of {cfg['frames']} frames {args.decode_seconds:.2f} s.

"""
        write_section(args.results, "## Embedded model: prompt adherence", section)
    print(table)
    print(verdict)


if __name__ == "__main__":
    main()
