#!/usr/bin/env python3
"""bench/gpu/attention — Reel's spacetime attention against PyTorch on one device.

Measures, in one process on the same inputs:
  * the device's bf16 matrix peak: a large torch.matmul (8192^3), TFLOP/s;
  * reel_attention_forward (libreel through ctypes, on torch's current stream);
  * torch scaled_dot_product_attention with each backend forced in turn
    (flash, cuDNN, efficient); for SPATIAL and TEMPORAL the reshapes and
    permutes PyTorch needs between Reel's [B, N, heads, d] layout and its own
    [batch', heads, L, d] are inside the timed call, output back in [B, N, heads, d];
  * for WINDOW, flex_attention (compiled) with a block mask of the same tile window.
FLOPs are 4 * B * heads * d * (query-key pairs computed by the contract): for
WINDOW the pairs of the tiles it keeps. Prints and writes (--out) a Markdown
table: TFLOP/s of each, Reel / best PyTorch, Reel's fraction of the matmul
peak, and Reel's relative error against the best PyTorch output.

Usage (bench/gpu/run does this):  bench.py --lib build/gpu/libreel.so --out table.md
"""
import argparse
import ctypes
import datetime
import subprocess

import torch
import torch.nn.functional as F
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from timing import seconds  # noqa: E402

FULL, SPATIAL, TEMPORAL, WINDOW, CROSS = range(5)
MODE_NAME = ["FULL", "SPATIAL", "TEMPORAL", "WINDOW", "CROSS"]
BF16 = 1


class AttentionParams(ctypes.Structure):
    """reel_attention_params of native/include/reel/reel.h, field for field."""
    _fields_ = [("mode", ctypes.c_int32), ("dtype", ctypes.c_int32)] + \
        [(n, ctypes.c_int64) for n in ("batch", "frames", "height", "width", "heads", "head_dim",
                                        "q_stride_b", "q_stride_n", "q_stride_h", "k_stride_b", "k_stride_n",
                                        "k_stride_h", "v_stride_b", "v_stride_n", "v_stride_h", "o_stride_b",
                                        "o_stride_n", "o_stride_h", "context_len")] + \
        [("context_lens", ctypes.c_void_p)] + \
        [(n, ctypes.c_int64) for n in ("tile_t", "tile_h", "tile_w", "window_t", "window_h", "window_w")] + \
        [(n, ctypes.c_int32) for n in ("rope", "rope_dt", "rope_dh", "rope_dw")] + \
        [(n, ctypes.c_float) for n in ("rope_theta", "rope_t0", "rope_h0", "rope_w0", "scale")]


def load(path):
    lib = ctypes.CDLL(path)
    lib.reel_attention_forward.restype = ctypes.c_int
    lib.reel_attention_forward.argtypes = [ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(AttentionParams)] + \
        [ctypes.c_void_p] * 5
    lib.reel_last_error.restype = ctypes.c_char_p
    return lib


def matmul_peak(dev):
    n = 8192
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    return 2 * n ** 3 / seconds(lambda: a @ b) / 1e12


def window_pairs(T, H, W, tile, win):
    """Query-key pairs WINDOW computes: every query of a tile with every key of the tiles within the window."""
    def axis(n, t, r):
        tiles = [min(t, n - i * t) for i in range((n + t - 1) // t)]
        return sum(tiles[i] * sum(tiles[max(0, i - r):i + r + 1]) for i in range(len(tiles)))
    return axis(T, tile[0], win[0]) * axis(H, tile[1], win[1]) * axis(W, tile[2], win[2])


def pairs(case):
    T, H, W = case["thw"]
    N = T * H * W
    return {FULL: N * N, SPATIAL: N * H * W, TEMPORAL: N * T, CROSS: N * case.get("M", 0),
            WINDOW: window_pairs(T, H, W, case.get("tile", (1, 1, 1)), case.get("win", (0, 0, 0)))}[case["mode"]]


def reel_call(lib, case, q, k, v, o):
    B, N, h, d = q.shape
    T, H, W = case["thw"]
    p = AttentionParams()
    p.mode, p.dtype = case["mode"], BF16
    p.batch, p.frames, p.height, p.width, p.heads, p.head_dim = B, T, H, W, h, d
    for name, t in (("q", q), ("k", k), ("v", v), ("o", o)):
        setattr(p, name + "_stride_b", t.stride(0))
        setattr(p, name + "_stride_n", t.stride(1))
        setattr(p, name + "_stride_h", t.stride(2))
    p.context_len = k.shape[1] if case["mode"] == CROSS else 0
    p.tile_t, p.tile_h, p.tile_w = case.get("tile", (1, 1, 1))
    p.window_t, p.window_h, p.window_w = case.get("win", (0, 0, 0))
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    args = [ctypes.c_void_p(t.data_ptr()) for t in (q, k, v, o)] + [None]

    def run():
        s = lib.reel_attention_forward(0, stream, ctypes.byref(p), *args)
        if s != 0:
            raise RuntimeError(lib.reel_last_error().decode())
    return run


def torch_call(case, q, k, v):
    """PyTorch's way to the same result, output in Reel's [B, N, heads, d] layout."""
    B, N, h, d = q.shape
    T, H, W = case["thw"]
    mode = case["mode"]
    if mode in (FULL, CROSS):
        # Views only: SDPA reads the strided [B, heads, N, d] view; the output stays a view.
        return lambda: F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)).transpose(1, 2)
    if mode == SPATIAL:
        def to(x):
            return x.view(B * T, H * W, h, d).transpose(1, 2)
        return lambda: F.scaled_dot_product_attention(to(q), to(k), to(v)).transpose(1, 2).reshape(B, N, h, d)

    def to_t(x):  # TEMPORAL: [B, T, HW, h, d] -> [B*HW, h, T, d], a copy
        return x.view(B, T, H * W, h, d).permute(0, 2, 3, 1, 4).reshape(B * H * W, h, T, d)

    def back(y):
        return y.view(B, H * W, h, T, d).permute(0, 3, 1, 2, 4).reshape(B, N, h, d)
    return lambda: back(F.scaled_dot_product_attention(to_t(q), to_t(k), to_t(v)))


def flex_call(case, q, k, v):
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    T, H, W = case["thw"]
    tt, th, tw = case["tile"]
    rt, rh, rw = case["win"]
    N = T * H * W

    def mask_mod(b, hh, qi, ki):
        qt, qh, qw = qi // (H * W), (qi // W) % H, qi % W
        kt, kh, kw = ki // (H * W), (ki // W) % H, ki % W
        return (((qt // tt) - (kt // tt)).abs() <= rt) & (((qh // th) - (kh // th)).abs() <= rh) & \
            (((qw // tw) - (kw // tw)).abs() <= rw)
    block_mask = create_block_mask(mask_mod, None, None, N, N, device=q.device)
    flex = torch.compile(flex_attention)
    return lambda: flex(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), block_mask=block_mask).transpose(1, 2)


def rel_err(a, b):
    a, b = a.float(), b.float()
    return (torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b)).item()


def cases():
    wan = dict(thw=(21, 30, 52), heads=12, d=128, tag="Wan2.1-1.3B 480p 81f")
    vid = dict(thw=(16, 32, 32), heads=16, d=64, tag="16x32x32")
    out = []
    for base in (wan, vid):
        for mode in (FULL, SPATIAL, TEMPORAL):
            out.append(dict(base, mode=mode))
        out.append(dict(base, mode=WINDOW, tile=(3, 6, 8) if base is wan else (4, 8, 8), win=(1, 1, 1)))
    out.append(dict(wan, mode=CROSS, M=512))
    for n in (4096, 16384, 32768):
        for d in (64, 128):
            out.append(dict(thw=(1, 1, n), heads=2048 // d, d=d, mode=FULL, tag=f"N={n // 1024}k"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, help="path to libreel.so")
    ap.add_argument("--out", required=True, help="Markdown table to write")
    args = ap.parse_args()

    lib = load(args.lib)
    dev = torch.device("cuda", 0)
    torch.cuda.set_device(dev)
    peak = matmul_peak(dev)
    from torch.nn.attention import SDPBackend, sdpa_kernel
    backends = [("flash", SDPBackend.FLASH_ATTENTION), ("cuDNN", SDPBackend.CUDNN_ATTENTION),
                ("efficient", SDPBackend.EFFICIENT_ATTENTION)]
    rows = []
    for case in cases():
        T, H, W = case["thw"]
        N, h, d = T * H * W, case["heads"], case["d"]
        g = torch.Generator(device=dev).manual_seed(0)
        q = torch.randn(1, N, h, d, device=dev, dtype=torch.bfloat16, generator=g)
        kv_n = case.get("M", N) if case["mode"] == CROSS else N
        k = torch.randn(1, kv_n, h, d, device=dev, dtype=torch.bfloat16, generator=g)
        v = torch.randn(1, kv_n, h, d, device=dev, dtype=torch.bfloat16, generator=g)
        o = torch.empty_like(q)
        flops = 4 * h * d * pairs(case)
        reel = reel_call(lib, case, q, k, v, o)
        t_reel = seconds(reel)
        peers, best, best_out = {}, None, None
        for name, backend in backends:
            try:
                fn = torch_call(case, q, k, v)
                with sdpa_kernel(backend):
                    t = seconds(fn)
                    out = fn()
                peers[name] = flops / t / 1e12
                if best is None or t < best:
                    best, best_out = t, out
            except Exception as e:  # a backend that refuses the shape or the device
                peers[name] = f"n/a ({type(e).__name__})"
        if case["mode"] == WINDOW:
            try:
                fn = flex_call(case, q, k, v)
                t = seconds(fn)
                peers["flex"] = flops / t / 1e12
                if best is None or t < best:
                    best, best_out = t, fn()
            except Exception as e:
                peers["flex"] = f"n/a ({type(e).__name__})"
        reel()
        torch.cuda.synchronize()
        err = rel_err(o, best_out) if best_out is not None else float("nan")
        rows.append((case, flops / t_reel / 1e12, peers, (best / t_reel) if best else float("nan"),
                     flops / t_reel / 1e12 / peak, err))
        print(MODE_NAME[case["mode"]], case["tag"], f"reel {flops / t_reel / 1e12:.1f} TFLOP/s", peers, flush=True)

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "unknown"

    def fmt(x):
        return f"{x:.1f}" if isinstance(x, float) else x
    lines = [f"### Spacetime attention, bf16, {torch.cuda.get_device_name(dev)} "
             f"({datetime.date.today()}, commit {commit}, torch {torch.__version__})", "",
             f"bf16 matmul peak measured here (torch.matmul 8192^3): {peak:.0f} TFLOP/s. "
             "TFLOP/s count the query-key pairs each mode computes; PyTorch's SPATIAL/TEMPORAL "
             "times include its reshapes and permutes, FULL/CROSS pass strided views.", "",
             "| mode | shape | heads x d | Reel | flash | cuDNN | efficient | flex | Reel / best PyTorch | "
             "Reel / matmul peak | rel. error vs best |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for case, tr, peers, ratio, frac, err in rows:
        T, H, W = case["thw"]
        shape = f"{case['tag']} ({T}x{H}x{W}" + (f", M={case['M']}" if case["mode"] == CROSS else "") + \
            (f", tiles {case['tile']} radius {case['win']}" if case["mode"] == WINDOW else "") + ")"
        lines.append(f"| {MODE_NAME[case['mode']]} | {shape} | {case['heads']}x{case['d']} | {tr:.1f} | "
                     f"{fmt(peers.get('flash', '-'))} | {fmt(peers.get('cuDNN', '-'))} | "
                     f"{fmt(peers.get('efficient', '-'))} | {fmt(peers.get('flex', '-'))} | {ratio:.2f} | "
                     f"{frac:.0%} | {err:.1e} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
