"""Times the PyTorch twin of reel-dit (tools/reel/model.py) on the CPU, for comparison with
Reel's JMH ModelBenchmark on the same model folder, inputs and thread count:

  /usr/bin/python3 bench/model/twin.py --model FOLDER --threads 2 [--steps 25] [--repeats 10]

Prints one JSON line: the median seconds of one conditional + unconditional forward (batch 2)
and of a whole flow-Euler denoising loop of --steps steps (prompt encoding included), and the
median share of the forward spent in torch's matrix products (nn.Linear), measured with the
autograd profiler. --loops 0 skips the loop (loop_s is then null), for models whose loop is too long.
For a latent model (a folder with an autoencoder) it also times the decode of the loop's result
(decode_s) and their sum (generation_s: the twin's time for what generate() does, file aside)."""
import argparse
import json
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from reel import modelfolder  # noqa: E402
from reel.generate import generate  # noqa: E402

PROMPT = "a red circle moving right"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--loops", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, vocab, _ = modelfolder.read(a.model)
    model.eval()
    ae = modelfolder.read_autoencoder(a.model)
    cfg = model.cfg
    x = torch.randn(2, cfg.channels, cfg.frames, cfg.height, cfg.width)
    t = torch.tensor([0.5, 0.5])
    c_ids, c_len = vocab.encode(PROMPT)
    u_ids, u_len = vocab.encode("")
    ids = torch.tensor([c_ids, u_ids])
    lengths = torch.tensor([c_len, u_len])
    times = []
    with torch.no_grad():
        for _ in range(2):
            model(x, t, ids, lengths)
        for _ in range(a.repeats):
            start = time.perf_counter()
            model(x, t, ids, lengths)
            times.append(time.perf_counter() - start)
        with torch.autograd.profiler.profile() as prof:
            model(x, t, ids, lengths)
    total = sum(e.self_cpu_time_total for e in prof.key_averages())
    gemm = sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in ("aten::addmm", "aten::mm", "aten::bmm", "aten::matmul"))
    loops, decodes = [], []
    for _ in range(max(0, a.loops)):
        start = time.perf_counter()
        with torch.no_grad():
            latent = generate(model, vocab, [PROMPT], [42], steps=a.steps)
        loops.append(time.perf_counter() - start)
        if ae is not None:
            start = time.perf_counter()
            ae.decode_video(latent)
            decodes.append(time.perf_counter() - start)
    loop_s = statistics.median(loops) if loops else None
    decode_s = statistics.median(decodes) if decodes else None
    print(json.dumps({"system": "twin (PyTorch %s)" % torch.__version__, "model": os.path.abspath(a.model),
                      "threads": a.threads, "tokens": cfg.tokens, "hidden": cfg.hidden, "depth": cfg.depth,
                      "forward_s": statistics.median(times), "loop_s": loop_s, "steps": a.steps, "decode_s": decode_s,
                      "generation_s": loop_s + decode_s if decode_s is not None else loop_s,
                      "gemm_share": gemm / total if total else None}))


if __name__ == "__main__":
    main()
