#!/usr/bin/env python3
"""bench/gpu/scheduler — Reel's fused scheduler step on a CUDA device.

Measures, in one process on one device:
  * the device's copy bandwidth: a large device-to-device torch copy
    (bytes = 2 x size: one read, one write);
  * reel_scheduler_step (libreel through ctypes) for the usual sampler shapes,
    in GB/s of the bytes its contract moves (each input read once, each output
    written once; guidance rescale reads cond and uncond a second time);
  * the same step written as PyTorch eager operations on the device, whose bytes
    are counted op by op (inputs read + output written by each kernel).
Prints and writes (--out) a Markdown table: both times, Reel's GB/s and its
fraction of the copy bandwidth (target >= 90%), and eager time / Reel time
(target >= 3x). Noise cases compare Reel's in-kernel Philox with torch.randn.

Usage (bench/gpu/run does this):  bench.py --lib build/gpu/libreel.so --out table.md
"""
import argparse
import ctypes
import datetime
import subprocess

import torch
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from timing import seconds  # noqa: E402

F32, BF16, F16 = 0, 1, 2
TORCH_DTYPE = {F32: torch.float32, BF16: torch.bfloat16, F16: torch.float16}


class StepParams(ctypes.Structure):
    """reel_step_params of native/include/reel/reel.h, field for field."""
    _fields_ = [("count", ctypes.c_int64), ("batch", ctypes.c_int64),
                ("state_dtype", ctypes.c_int32), ("model_dtype", ctypes.c_int32),
                ("guidance_scale", ctypes.c_double), ("rescale_phi", ctypes.c_double),
                ("c_x", ctypes.c_double), ("c_m", ctypes.c_double), ("c_p", ctypes.c_double),
                ("c_z", ctypes.c_double), ("a_x", ctypes.c_double), ("a_m", ctypes.c_double),
                ("seed", ctypes.c_uint64), ("noise_stream", ctypes.c_uint64), ("noise_offset", ctypes.c_uint64)]


def load(path):
    lib = ctypes.CDLL(path)
    lib.reel_scheduler_step.restype = ctypes.c_int
    lib.reel_scheduler_step.argtypes = [ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(StepParams)] + [ctypes.c_void_p] * 6
    lib.reel_last_error.restype = ctypes.c_char_p
    return lib


def ptr(t):
    return None if t is None else ctypes.c_void_p(t.data_ptr())


def nbytes(t):
    return t.numel() * t.element_size()


class Counter:
    """Adds up the bytes each eager kernel reads and writes."""

    def __init__(self):
        self.bytes = 0

    def op(self, result, *inputs):
        self.bytes += nbytes(result) + sum(nbytes(t) for t in inputs if torch.is_tensor(t))
        return result


def eager_step(k, p, x, c, u, prev, out_aux, gen):
    """The step as PyTorch eager ops in fp32, the way a Python sampler writes it."""
    cf, uf = c.float(), u.float()
    if c.dtype != torch.float32:  # .float() of an fp32 tensor is the tensor itself: no kernel
        k.op(cf, c)
        k.op(uf, u)
    d = k.op(cf - uf, cf, uf)
    m = k.op(torch.add(uf, d, alpha=p.guidance_scale), uf, d)
    if p.rescale_phi > 0:
        dims = list(range(1, m.dim()))
        sc = k.op(cf.std(dim=dims, keepdim=True), cf)
        sm = k.op(m.std(dim=dims, keepdim=True), m)
        factor = 1 - p.rescale_phi + p.rescale_phi * sc / sm  # batch-sized: no bytes worth counting
        m = k.op(m * factor, m)
    out = k.op(x * p.c_x, x)
    out = k.op(out.add_(m, alpha=p.c_m), out, m)
    if p.c_p != 0:
        out = k.op(out.add_(prev, alpha=p.c_p), out, prev)
    if p.c_z != 0:
        z = k.op(torch.randn(x.shape, device=x.device, generator=gen), None)
        out = k.op(out.add_(z, alpha=p.c_z), out, z)
    if out_aux:
        aux = k.op(x * p.a_x, x)
        aux = k.op(aux.add_(m, alpha=p.a_m), aux, m)
        return out, aux
    return out, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, help="path to libreel.so")
    ap.add_argument("--out", required=True, help="Markdown table to write")
    ap.add_argument("--elements", type=int, default=1 << 26, help="elements per tensor (default 64M)")
    args = ap.parse_args()

    lib = load(args.lib)
    dev = torch.device("cuda", 0)
    torch.cuda.set_device(dev)
    n = args.elements
    batch = 4

    big = torch.empty(1 << 28, dtype=torch.float32, device=dev)  # 1 GiB
    big_out = torch.empty_like(big)
    copy_s = seconds(lambda: big_out.copy_(big))
    copy_gbs = 2 * nbytes(big) / copy_s / 1e9
    del big, big_out

    cases = [
        # name, model dtype, c_p, c_z, aux, rescale
        ("Euler / DDIM + CFG, model bf16", BF16, 0.0, 0.0, False, 0.0),
        ("Euler / DDIM + CFG, model fp32", F32, 0.0, 0.0, False, 0.0),
        ("DPM-Solver++ 2M + CFG, model bf16", BF16, 0.02, 0.0, True, 0.0),
        ("DDPM / Euler-a + CFG + noise, model bf16", BF16, 0.0, 0.1, False, 0.0),
        ("Euler + CFG rescale 0.7, model bf16", BF16, 0.0, 0.0, False, 0.7),
    ]
    gen = torch.Generator(device=dev)
    gen.manual_seed(0)
    rows = []
    for name, md, cp, cz, with_aux, phi in cases:
        x = torch.randn(batch, n // batch, device=dev)
        c = torch.randn(batch, n // batch, device=dev).to(TORCH_DTYPE[md])
        u = torch.randn(batch, n // batch, device=dev).to(TORCH_DTYPE[md])
        prev = torch.randn(batch, n // batch, device=dev) if cp else None
        out = torch.empty_like(x)
        aux = torch.empty_like(x) if with_aux else None
        p = StepParams(count=x.numel(), batch=batch, state_dtype=F32, model_dtype=md, guidance_scale=7.5,
                       rescale_phi=phi, c_x=0.98, c_m=-0.05, c_p=cp, c_z=cz, a_x=1.2 if with_aux else 0.0,
                       a_m=-0.3 if with_aux else 0.0, seed=1, noise_stream=1, noise_offset=0)

        def fused():
            s = lib.reel_scheduler_step(0, None, ctypes.byref(p), ptr(x), ptr(c), ptr(u), ptr(prev), ptr(out), ptr(aux))
            if s != 0:
                raise RuntimeError(lib.reel_last_error().decode())

        fused_bytes = nbytes(x) + nbytes(c) + nbytes(u) + nbytes(out)
        fused_bytes += (nbytes(prev) if cp else 0) + (nbytes(aux) if with_aux else 0)
        fused_bytes += (nbytes(c) + nbytes(u)) if phi else 0
        k = Counter()
        eager_out, eager_aux = eager_step(k, p, x, c, u, prev, with_aux, gen)
        eager_bytes = k.bytes
        fused()
        torch.cuda.synchronize()
        if cz == 0:  # same math: agreement up to fp32 rounding (and the rescale sums)
            diff = (out - eager_out).abs().max().item()
            if with_aux:
                diff = max(diff, (aux - eager_aux).abs().max().item())
        else:
            diff = float("nan")
        t_fused = seconds(fused)
        t_eager = seconds(lambda: eager_step(Counter(), p, x, c, u, prev, with_aux, gen))
        gbs = fused_bytes / t_fused / 1e9
        rows.append((name, fused_bytes / n, t_fused * 1e6, gbs, 100 * gbs / copy_gbs, eager_bytes / n,
                     t_eager * 1e6, t_eager / t_fused, diff))
        del x, c, u, prev, out, aux, eager_out, eager_aux
        torch.cuda.empty_cache()

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "unknown"
    lines = [
        f"### Scheduler step on {torch.cuda.get_device_name(dev)} ({datetime.date.today()}, commit {commit or 'unknown'}, "
        f"torch {torch.__version__})",
        "",
        f"{n} elements (batch {batch}), state fp32; device copy bandwidth (torch D2D copy of 1 GiB): "
        f"**{copy_gbs:.0f} GB/s**. Targets: Reel >= 90% of copy bandwidth, >= 3x PyTorch eager.",
        "",
        "| step | Reel B/elem | Reel µs | Reel GB/s | % of copy | eager B/elem | eager µs | eager / Reel | max abs diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]:.0f} | {r[2]:.0f} | {r[3]:.0f} | {r[4]:.0f}% | {r[5]:.0f} | {r[6]:.0f} | "
                     f"{r[7]:.1f}x | {r[8]:.1e} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
