#!/usr/bin/env python3
"""bench/gpu/model — Reel's reel-dit forward on CUDA against PyTorch, same run, same GPU.

One conditional + unconditional forward (2 rows, prompts "a red circle moving right" and "",
both at t = 0.5) of two models:
  * embedded: the model inside Reel's jar (java/src/main/resources/dev/reel/model/embedded);
  * wan: a Wan2.1-1.3B-sized reel-dit with random weights: 30 blocks, width 1536, 12 heads of
    128, MLP ratio 4 (6144; Wan2.1-1.3B's own FFN is 8960, but a reel-dit config takes an
    integer ratio), full 3D attention, RoPE sections (44, 42, 42) as Wan splits 128, latent
    16 x 21 x 60 x 104 (480p, 81 frames) in patches 1x2x2: 21 x 30 x 52 = 32,760 tokens, and
    as many text tokens as the embedded vocabulary has (16).
The random model is written once per run as a model folder (config.json, bf16
model.safetensors, vocabulary.json) under --work; PyTorch times the very weights it wrote.

Systems, timed in this process or in its child, one after the other:
  * the bf16 matmul peak: torch.matmul of 8192^3 bf16 matrices, TFLOP/s;
  * PyTorch eager: the twin, tools/reel/model.py, in bf16 (weights and activations) on the
    device, with two substitutions: its attend() becomes F.scaled_dot_product_attention (the
    same function; the twin's own materialises the N x N scores, 51 GB for the Wan model) and
    its timestep embedding is cast to bf16 (the twin computes it in fp32);
  * torch.compile of that model (default mode); a failure is caught and reported;
  * Reel: dev.reel.bench.GpuModelForward through bench/gpu/java (the bundle's Java runtime),
    on the same latents (written to --work as fp32), its output compared with PyTorch's.
Times are medians over --repeats forwards after --warmup, each bracketed by CUDA events
(PyTorch) or followed by a device synchronisation (Reel).

FLOPs per forward, counted from the config (B = 2 rows, N tokens, D width, r MLP ratio,
P patch values per token, L text tokens, K_i keys per query in block i: N for full
attention, H*W or T for spatial / temporal blocks):
  GEMM      = B * (depth * 2*N*D*D*(3 + 1 + 1 + 1 + 2r) + 2 * 2*N*P*D)
              (qkv, proj, cross.q, cross.proj, fc1 + fc2; patch embedding and final linear)
  attention = B * sum_i (4*N*K_i*D + 4*N*L*D)   (QK^T and PV, self then cross)
The text encoder, the cross-attention K/V of the prompt and the adaLN products (a few GFLOP)
are left out: Reel computes the prompt's share once per generation, not per forward.

Usage (bench/gpu/run does this):  bench.py --out bench-model.md [--work build/gpu-model]
On a machine without a GPU:  bench.py --device cpu --models small --out /tmp/t.md
  (a small random model, fp32 on the CPU: checks the folder writer, the Java run and the table)
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from reel import model as twin  # noqa: E402
from reel import modelfolder  # noqa: E402
from reel.model import Config, ReelDiT  # noqa: E402
from reel.vocab import DEFAULT_PATH as VOCAB_PATH, Vocabulary  # noqa: E402

EMBEDDED = os.path.join(ROOT, "java", "src", "main", "resources", "dev", "reel", "model", "embedded")
PROMPTS = ["a red circle moving right", ""]
SHAPES = {
    "wan": dict(channels=16, frames=21, height=60, width=104, patch=(1, 2, 2), hidden=1536, depth=30, heads=12,
                mlp_ratio=4, attention="full", rope_sections=(44, 42, 42), text_layers=2, text_heads=12),
    "small": dict(channels=16, frames=3, height=8, width=8, patch=(1, 2, 2), hidden=256, depth=2, heads=2,
                  mlp_ratio=4, attention="full", rope_sections=(44, 42, 42), text_layers=2, text_heads=2),
}
LABEL = {"embedded": "embedded", "wan": "Wan2.1-1.3B-sized, random", "small": "small random (CPU check)"}


# ---------------------------------------------------------------- model folders

def random_model(shape):
    vocab = Vocabulary.load()
    cfg = Config(vocab_size=len(vocab.tokens), max_tokens=vocab.max_tokens, **SHAPES[shape])
    torch.manual_seed(0)
    model = ReelDiT(cfg)   # on the default device: the GPU's when there is one (main)
    with torch.no_grad():   # as bench/model/make_random_model.py: every layer non-zero
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
            elif "norm" not in name:
                p.normal_(0, 0.01)
    return model


def write_bf16_folder(folder, model):
    """A model folder as tools/reel/modelfolder.write makes it, with the weights in BF16."""
    os.makedirs(folder, exist_ok=True)
    cfg = model.cfg.to_json()
    cfg["latent_layout"] = "[C, T, H, W] = [channels, frames, height, width], pixels in [-1, 1]"
    cfg["noise"] = "philox4x32-10 normal, seed = request seed, stream = 0, row-major over [C, T, H, W]"
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    state = model.state_dict()
    header, offset = {"__metadata__": {"format": "pt", "architecture": "reel-dit"}}, 0
    for name in sorted(state):
        n = state[name].numel() * 2
        header[name] = {"dtype": "BF16", "shape": list(state[name].shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(folder, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name in sorted(state):
            t = state[name].detach().to(torch.bfloat16).contiguous().cpu()
            f.write(t.view(torch.int16).numpy().tobytes())
    shutil.copyfile(VOCAB_PATH, os.path.join(folder, "vocabulary.json"))
    return offset


# ---------------------------------------------------------------- FLOPs

def flops(cfg, rows=2):
    n, d, p, r, l = cfg.tokens, cfg.hidden, cfg.patch_dim, cfg.mlp_ratio, cfg.max_tokens
    tg, hg, wg = cfg.grid
    gemm = rows * (cfg.depth * 2 * n * d * d * (3 + 1 + 1 + 1 + 2 * r) + 2 * 2 * n * p * d)
    attn = 0
    for i in range(cfg.depth):
        keys = n if cfg.attention == "full" else (hg * wg if i % 2 == 0 else tg)
        attn += rows * (4 * n * keys * d + 4 * n * l * d)
    return gemm, attn


# ---------------------------------------------------------------- PyTorch

EMBEDDING_DTYPE = [torch.float32]
TWIN_ATTEND = twin.attend


def patch_twin():
    """The twin's attend through SDPA, its timestep embedding in EMBEDDING_DTYPE[0] (the model's dtype)."""
    original = twin.timestep_embedding

    def attend(q, k, v, key_mask=None):
        mask = None if key_mask is None else key_mask[:, None, None, :]
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    if hasattr(F, "scaled_dot_product_attention"):
        twin.attend = attend
    twin.timestep_embedding = lambda t, dim, scale: original(t, dim, scale).to(EMBEDDING_DTYPE[0])


def timed(fn, warmup, repeats, device):
    """Milliseconds of each of `repeats` calls after `warmup`: CUDA events on a GPU, else the host clock."""
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(repeats):
        if device == "cpu":
            s = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - s) * 1e3)
        else:
            torch.cuda.synchronize()
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            ms.append(a.elapsed_time(b))
    return ms


def matmul_peak(device):
    n = 8192
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    ms = timed(lambda: a @ b, 3, 20, device)
    return 2 * n ** 3 / (statistics.median(ms) * 1e-3) / 1e12


def rel_err(a, b):
    a, b = a.double(), b.double()
    return (torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b)).item()


# ---------------------------------------------------------------- Reel (Java)

def reel_forward(folder, x_file, y_file, device, warmup, repeats, log, timeout):
    bundle = os.environ.get("REEL_BUNDLE", os.path.join(ROOT, "build", "gpu-bundle"))
    if not os.path.isfile(os.path.join(bundle, "java.tar.xz")):
        return {"status": "absent", "reason": "no %s/java.tar.xz: make it with bench/gpu/pack where Java is, "
                                              "and carry build/gpu-bundle" % bundle}
    cmd = [os.path.join(ROOT, "bench", "gpu", "java"), "run", "dev.reel.bench.GpuModelForward",
           "--model", folder, "--device", device, "--x", x_file, "--out", y_file,
           "--warmup", str(warmup), "--repeats", str(repeats)]
    start = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        with open(log, "a") as f:
            f.write(" ".join(cmd) + "\n" + (e.stdout or "") + (e.stderr or ""))
        return {"status": "failed", "reason": "no result within %d s" % timeout}
    with open(log, "a") as f:
        f.write(" ".join(cmd) + "\n" + p.stdout + p.stderr + "\n")
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            r = json.loads(line)
            r["wall_s"] = time.time() - start
            return r
    tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"status": "failed", "reason": "exit %d, no result line: %s" % (p.returncode, tail[:300])}


# ---------------------------------------------------------------- one model

def bench_model(name, a, results, log, save):
    """Times one model in PyTorch and Reel, appending its record to results; save() rewrites the table."""
    dev = a.device
    dtype = torch.bfloat16 if dev != "cpu" else torch.float32
    os.makedirs(a.work, exist_ok=True)
    r = {"model": name, "label": LABEL[name]}
    results.append(r)
    EMBEDDING_DTYPE[0] = dtype
    start = time.time()
    if name == "embedded":
        model, _, _ = modelfolder.read(EMBEDDED)
        folder = EMBEDDED
        model = model.to(dev)
    else:
        folder = os.path.join(a.work, name)
        model = random_model(name)
        r["weights_bytes"] = write_bf16_folder(folder, model)
        with torch.no_grad():   # PyTorch runs the weights as written, also where it computes in fp32
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).to(p.dtype))
    r["prepare_s"] = time.time() - start
    cfg = model.cfg
    model = model.to(dtype).eval()
    r["tokens"], r["hidden"], r["depth"] = cfg.tokens, cfg.hidden, cfg.depth
    r["params"] = sum(p.numel() for p in model.parameters())
    r["gemm_flop"], r["attention_flop"] = flops(cfg)
    vocab = Vocabulary.load(os.path.join(folder, "vocabulary.json"))
    enc = [vocab.encode(p) for p in PROMPTS]
    x = torch.randn(2, cfg.channels, cfg.frames, cfg.height, cfg.width, device="cpu",
                    generator=torch.Generator(device="cpu").manual_seed(1))
    x_file = os.path.join(a.work, "x-%s.f32" % name)
    y_file = os.path.join(a.work, "y-%s.f32" % name)
    x.numpy().astype("<f4").tofile(x_file)
    ids = torch.tensor([e[0] for e in enc], device=dev)
    lengths = torch.tensor([e[1] for e in enc], device=dev)
    t = torch.tensor([0.5, 0.5], device=dev)
    xd = x.to(dev, dtype)
    warmup, repeats = (a.warmup, a.repeats) if name != "embedded" else (5, max(a.repeats, 20))

    def forward(m):
        with torch.no_grad():
            return m(xd, t, ids, lengths)

    r["torch"] = "PyTorch eager (%s%s)" % (str(dtype).replace("torch.", ""),
                                           ", SDPA" if twin.attend.__module__ == __name__ else ", the twin's attend")
    r["eager_ms"] = timed(lambda: forward(model), warmup, repeats, dev)
    y_eager = forward(model).float().cpu()
    print(name, "eager %.2f ms" % statistics.median(r["eager_ms"]), flush=True)
    save()
    if name == "embedded" and dev != "cpu":   # the yardstick for bf16 error: the same twin in fp32
        EMBEDDING_DTYPE[0] = torch.float32
        with torch.no_grad():
            ref = model.float()(x.to(dev), t, ids, lengths).cpu()
            sdpa_attend, twin.attend = twin.attend, TWIN_ATTEND   # the substitution checked: SDPA against the twin's attend
            ref_twin = model(x.to(dev), t, ids, lengths).cpu()
            twin.attend = sdpa_attend
        r["eager_vs_fp32"] = rel_err(y_eager, ref)
        r["sdpa_vs_twin_attend_fp32"] = rel_err(ref, ref_twin)
        EMBEDDING_DTYPE[0] = dtype
        model = model.to(dtype)
    if dev != "cpu":
        torch.cuda.empty_cache()

    r["reel"] = reel_forward("embedded" if name == "embedded" else folder, x_file, y_file, a.java_device,
                             warmup, repeats, log, a.java_timeout)
    print(name, "reel", json.dumps(r["reel"])[:400], flush=True)
    if r["reel"].get("status") == "ok":
        y_reel = torch.from_numpy(np.fromfile(y_file, dtype="<f4")).reshape(y_eager.shape)
        r["reel_vs_eager"] = rel_err(y_reel, y_eager)
    save()

    if a.compile and dev != "cpu":
        try:
            compiled = torch.compile(model)
            s = time.time()
            forward(compiled)
            torch.cuda.synchronize()
            r["compile_s"] = time.time() - s
            r["compile_ms"] = timed(lambda: forward(compiled), warmup, repeats, dev)
            print(name, "torch.compile %.2f ms" % statistics.median(r["compile_ms"]), flush=True)
        except Exception as e:  # reported in the table, never hidden
            first = (str(e).strip().splitlines() or [""])[0][:200]
            r["compile_error"] = "%s: %s" % (type(e).__name__, first)
            print(name, "torch.compile failed:", r["compile_error"], flush=True)
    save()
    del model
    if dev != "cpu":
        torch.cuda.empty_cache()


# ---------------------------------------------------------------- table

def table(results, peak, header):
    """The Markdown table: one row per (model, system), then notes."""
    def fraction(tf):
        return "%.0f%%" % (100 * tf / peak) if peak else "—"

    lines = header + ["", "| model | tokens | GFLOP / forward (GEMM + attention) | system | ms / forward | TFLOP/s "
                      "| of bf16 peak | Reel speedup | target |", "|---|---:|---|---|---:|---:|---:|---:|---|"]
    notes = []
    for r in results:
        if "error" in r:
            notes.append("%s: the bench failed: %s" % (r["label"], r["error"]))
        if "gemm_flop" not in r:
            lines.append("| %s | — | — | — | not measured (see the note) | | | | |" % r["label"])
            continue
        total = r["gemm_flop"] + r["attention_flop"]
        cells = "| %s | %d | %.4g (%.4g + %.4g) |" % (r["label"], r["tokens"], total / 1e9, r["gemm_flop"] / 1e9,
                                                      r["attention_flop"] / 1e9)
        reel = r.get("reel", {})
        reel_ms = reel.get("median_ms") if reel.get("status") == "ok" else None
        wan = r["model"] == "wan"
        peers = [(r.get("torch", "PyTorch eager"), r.get("eager_ms"), 1.5, "Reel ≥ 1.5× eager"),
                 ("torch.compile", r.get("compile_ms"), 1.0, "Reel ≥ torch.compile")]
        for system, times, need, target in peers:
            target = target if wan else "—"
            if not times:
                why = ("failed: " + r["compile_error"]) if system == "torch.compile" and "compile_error" in r \
                    else "not measured"
                lines.append("%s %s | %s | | | | %s |" % (cells, system, why, target))
                continue
            ms = statistics.median(times)
            tf = total / (ms * 1e-3) / 1e12
            if reel_ms:
                speedup = "%.2f×" % (ms / reel_ms)
                verdict = (" (%s)" % ("met" if ms / reel_ms >= need else "not met")) if wan else ""
            else:
                speedup, verdict = "—", " (not measured)" if wan else ""
            lines.append("%s %s | %.2f | %.1f | %s | %s | %s%s |" % (cells, system, ms, tf, fraction(tf), speedup,
                                                                    target, verdict))
        if reel_ms:
            tf = total / (reel_ms * 1e-3) / 1e12
            lines.append("%s Reel (%s) | %.2f | %.1f | %s | 1.00× | |" % (cells, reel.get("device", "?"), reel_ms, tf,
                                                                          fraction(tf)))
            notes.append("%s: Reel loaded the model in %.1f s and encoded the prompts in %.1f ms; each forward "
                         "ended with %s; its output against PyTorch eager's: relative error %.2e%s." % (
                             r["label"], reel.get("load_s", float("nan")), reel.get("encode_ms", float("nan")),
                             reel.get("sync", "?"), r.get("reel_vs_eager", float("nan")),
                             (" (PyTorch eager bf16 against the twin in fp32: %.2e)" % r["eager_vs_fp32"])
                             if "eager_vs_fp32" in r else ""))
        else:
            why = "%s: %s" % (reel.get("status", "not run"), reel.get("reason", "")) if reel else "not run"
            lines.append("%s Reel | %s | | | | |" % (cells, why.replace("|", "/")))
        if "sdpa_vs_twin_attend_fp32" in r:
            notes.append("%s: in fp32, the twin with SDPA against the twin with its own attend(): relative error %.2e."
                         % (r["label"], r["sdpa_vs_twin_attend_fp32"]))
        if "compile_s" in r:
            notes.append("%s: torch.compile's first call (compilation) took %.0f s." % (r["label"], r["compile_s"]))
    return "\n".join(lines + [""] + ["- " + n for n in notes]) + "\n"


def source_commit():
    """git's HEAD; where the tree came without .git (a device copy), the commit the bundle was packed at."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except OSError:
        pass
    try:
        with open(os.path.join(ROOT, "build", "gpu-bundle", "BUNDLE.txt")) as f:
            for line in f:
                if line.startswith("commit: "):
                    return line[len("commit: "):].strip() + ", from the bundle"
    except OSError:
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", help="libreel.so (bench/gpu/run passes it; the Java side reads REEL_LIB_DIR)")
    ap.add_argument("--out", required=True, help="Markdown table to write")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "gpu-model"), help="model folder and latents")
    ap.add_argument("--models", default="wan,embedded", help="wan first: what the targets are set on, before a time limit can cut the run")
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu (a check without a GPU)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-compile", dest="compile", action="store_false")
    ap.add_argument("--java-timeout", type=int, default=240, help="seconds for each Reel run")
    a = ap.parse_args()
    a.java_device = "cuda" if a.device != "cpu" else "cpu"
    if a.lib and "REEL_LIB_DIR" not in os.environ:
        os.environ["REEL_LIB_DIR"] = os.path.dirname(os.path.abspath(a.lib))
    dev = a.device
    if dev != "cpu":
        torch.cuda.set_device(0)
        dev = a.device = "cuda"
    patch_twin()
    if dev != "cpu":
        torch.set_default_device(dev)
    peak = matmul_peak(dev) if dev != "cpu" else None
    if peak:
        print("bf16 matmul peak %.0f TFLOP/s" % peak, flush=True)
    commit = source_commit()
    name = torch.cuda.get_device_name(0) if dev != "cpu" else "CPU (no GPU: a check of the script, not a result)"
    header = ["### GPU model forward, %s (%s, commit %s, torch %s)" % (name, datetime.date.today(), commit,
                                                                      torch.__version__), "",
              "One conditional + unconditional forward (2 rows) per call; medians. bf16 matmul peak measured "
              "in this run (torch.matmul 8192^3): %s. FLOPs as bench/gpu/README.md counts them; Reel speedup = "
              "the row's time / Reel's." % ("%.0f TFLOP/s" % peak if peak else "not measured")]
    results = []
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    log = os.path.join(os.path.dirname(os.path.abspath(a.out)), "bench-model-java.log")
    open(log, "w").close()
    def save():   # after every system, so that a run cut short keeps what it measured
        with open(a.out, "w") as f:
            f.write(table(results, peak, header))
        with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
            json.dump({"peak_tflops": peak, "results": results}, f, indent=1)

    for m in a.models.split(","):
        try:
            bench_model(m, a, results, log, save)
        except Exception as e:  # one model failing must not hide the other's figures
            if not results or results[-1]["model"] != m:
                results.append({"model": m, "label": LABEL.get(m, m)})
            results[-1]["error"] = "%s: %s" % (type(e).__name__, str(e).strip()[:300])
            print(m, "failed:", results[-1]["error"], flush=True)
        save()
    text = table(results, peak, header)
    print(text)
    # Reel absent (no device API or bundle yet) is a row of the table; a Reel run or a model that failed fails the bench.
    return 1 if any("error" in r or r.get("reel", {}).get("status") == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
