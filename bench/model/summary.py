"""Prints the Markdown summary of a bench/model/run session from the raw results it left in OUTDIR
(session.txt, large-config.json, twin-*.json, jmh-*.json, profile.jsonl):

  /usr/bin/python3 bench/model/summary.py OUTDIR LARGE_MODEL_PATH

LARGE_MODEL_PATH is the large folder's path as the session passed it to JMH (its "model"
parameter); the folder itself may be gone. Reel's times are JMH sample-mode medians (every call
timed), the twin's the medians of twin.py; ModelProfile's figures are medians over its rounds (each
round's own figure a median over its forwards)."""
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED = os.path.join(HERE, "..", "..", "java", "src", "main", "resources", "dev", "reel", "model", "embedded")


def main():
    out, large = sys.argv[1], sys.argv[2]

    def load(name):
        with open(os.path.join(out, name)) as f:
            text = f.read()
        return json.loads(text) if name.startswith("jmh") else json.loads(text.strip().splitlines()[-1])

    def p50(results, bench, model):
        for r in results:
            if r["benchmark"].endswith("." + bench) and r["params"]["model"] == model:
                return r["primaryMetric"]["scorePercentiles"]["50.0"]
        return None

    def fmt(v, digits=1):
        return "not measured" if v is None else "%.*f" % (digits, v)

    def pct(v):
        return "—" if v is None else "%.0f%%" % (100 * v)

    emb, big = load("jmh-embedded.json"), load("jmh-large.json")
    twin_e, twin_l = load("twin-embedded.json"), load("twin-large.json")
    with open(os.path.join(out, "profile.jsonl")) as f:
        runs = [json.loads(line) for line in f if line.strip()]

    def profile(model, mode):
        rows = [r for r in runs if r["model"] == model and r["gemm_threading"] == mode]
        if not rows:
            return None
        keys = ("forward_ms", "gemm_ms", "attention_ms", "other_ms", "gemm_share", "gemm_gflops")
        summary = {k: statistics.median(r[k] for r in rows) for k in keys}
        summary["rounds"] = len(rows)
        return summary

    prof_e, prof_l = profile("embedded", "split"), profile(large, "split")
    shapes = load("jmh-gemm-shapes.json")
    with open(os.path.join(EMBEDDED, "config.json")) as f:
        cfg_e = json.load(f)
    with open(os.path.join(out, "large-config.json")) as f:
        cfg_l = json.load(f)

    with open(os.path.join(out, "session.txt")) as f:
        print("  \n".join(f.read().strip().splitlines()))
    print()
    print("| model | run | Reel ms | twin ms | twin / Reel | target | Reel GEMM share | twin GEMM share |")
    print("|---|---|---:|---:|---:|---|---:|---:|")
    rows = [("embedded (256 tokens, width 128, 6 blocks)", "cond + uncond forward", p50(emb, "forward", "embedded"),
             twin_e["forward_s"] * 1e3, "≥ 2", prof_e["gemm_share"], twin_e["gemm_share"]),
            ("embedded", "25-step loop", p50(emb, "denoise", "embedded"), twin_e["loop_s"] * 1e3, "≥ 2", None, None),
            ("large random (1,024 tokens, width 512, 12 blocks)", "cond + uncond forward", p50(big, "forward", large),
             twin_l["forward_s"] * 1e3, "≥ 1.5", prof_l["gemm_share"], twin_l["gemm_share"])]
    for model, run, reel, twin, target, share, twin_share in rows:
        ratio = twin / reel if reel and twin else None
        print("| %s | %s | %s | %s | %s | %s | %s | %s |"
              % (model, run, fmt(reel), fmt(twin), fmt(ratio, 2), target, pct(share), pct(twin_share)))

    print()
    print("Reel's forward by kind of kernel call (ModelProfile, -Dreel.profile=true, split threading; medians):")
    print()
    print("| model | rounds | forward ms | GEMM ms | attention ms | other kernels ms | GEMM share | GEMM GFLOP/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, p in (("embedded", prof_e), ("large", prof_l)):
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f | %s | %.0f |" % (name, p["rounds"], p["forward_ms"], p["gemm_ms"],
              p["attention_ms"], p["other_ms"], pct(p["gemm_share"]), p["gemm_gflops"]))
    print()
    print("One block's GEMMs at the model's own shapes (ModelGemmBenchmark; medians):")
    print()
    print("| model | GFLOP per block | OpenBLAS, its own threads (ceiling) ms | GFLOP/s | Reel Gemm ms | GFLOP/s"
          " | Reel / ceiling |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, model, cfg in (("embedded", "embedded", cfg_e), ("large", large, cfg_l)):
        p = cfg["patch"]
        r = 2 * (cfg["frames"] // p[0]) * (cfg["height"] // p[1]) * (cfg["width"] // p[2])
        d, m = cfg["hidden"], cfg["hidden"] * cfg["mlp_ratio"]
        flops = 2.0 * (2 * d * 6 * d + r * d * 3 * d + 3 * r * d * d + 2 * r * d * m)
        ceiling, reel = p50(shapes, "openBlas", model), p50(shapes, "reel", model)
        gf = (lambda ms: flops / ms / 1e6 if ms else None)
        print("| %s | %.3f | %s | %s | %s | %s | %s |" % (name, flops / 1e9, fmt(ceiling, 2), fmt(gf(ceiling), 0),
              fmt(reel, 2), fmt(gf(reel), 0), fmt(ceiling / reel if ceiling and reel else None, 2)))

    print()
    print("Reel's forward under each GEMM threading (-Dreel.gemm; ModelProfile, interleaved rounds; medians):")
    print()
    print("| model | threading | rounds | forward ms | GEMM ms | GEMM GFLOP/s | forward vs split |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, model in (("embedded", "embedded"), ("large", large)):
        base = profile(model, "split")
        for mode in ("split", "serial", "openblas"):
            p = profile(model, mode)
            if p is None:
                continue
            print("| %s | %s | %d | %.1f | %.1f | %.0f | %.2f |" % (name, mode, p["rounds"], p["forward_ms"],
                  p["gemm_ms"], p["gemm_gflops"], p["forward_ms"] / base["forward_ms"]))


if __name__ == "__main__":
    main()
