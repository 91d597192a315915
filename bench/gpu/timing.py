"""Device timing shared by the bench/gpu scripts."""
import statistics

import torch


def seconds(fn, iters=20, reps=5, warmup=3):
    """Median over `reps` runs of the mean time of `iters` back-to-back calls, timed with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    runs = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        torch.cuda.synchronize()
        runs.append(start.elapsed_time(end) / iters * 1e-3)
    return statistics.median(runs)
