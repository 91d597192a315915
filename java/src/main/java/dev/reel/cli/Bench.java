package dev.reel.cli;

import dev.reel.CpuInfo;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.attention.AttentionMode;
import dev.reel.attention.SpacetimeAttention;
import dev.reel.model.PromptContext;
import dev.reel.model.VideoModel;
import dev.reel.sampling.SchedulerStep;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code reel bench}: a quick timing on this machine (median of a few runs) of the
 * CPU attention, one fused sampler step and one forward of the embedded model.
 * Not a benchmark of record: those are JMH in bench/ (see bench/RESULTS.md).
 */
@Command(name = "bench", description = "Time the attention, a sampler step and one model forward on this machine.")
final class Bench implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--repeats", description = "Timed runs per case (default: ${DEFAULT-VALUE}).")
    int repeats = 7;

    @Override
    public Integer call() {
        if (repeats < 1 || repeats > 1000) {
            throw new Cli.UsageError("--repeats must be in [1, 1000], got " + repeats);
        }
        PrintWriter out = spec.commandLine().getOut();
        CpuInfo cpu = Reel.cpu();
        out.printf(Locale.ROOT, "CPU: %d threads, ISA %s%n", cpu.threads(),
                cpu.avx512bf16() ? "AVX-512 + BF16" : cpu.avx512f() ? "AVX-512" : cpu.avx2() ? "AVX2" : "generic");
        long n = 4096, heads = 1, d = 64;
        try (Tensor q = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, n, heads, d));
             Tensor k = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, n, heads, d));
             Tensor v = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, n, heads, d));
             Tensor o = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, n, heads, d))) {
            float[] values = new float[(int) q.numel()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) Math.sin(i * 0.1);
            }
            q.copyFrom(values);
            k.copyFrom(values);
            v.copyFrom(values);
            SpacetimeAttention att = SpacetimeAttention.builder().mode(AttentionMode.FULL).video(16, 16, 16).build();
            double ms = median(() -> att.forward(q, k, v, o));
            out.printf(Locale.ROOT, "attention FULL fp32, N=%d, d=%d: %.2f ms (%.1f GFLOP/s)%n", n, d, ms,
                    4.0 * n * n * d / ms / 1e6);
        }
        long elements = 1 << 20;
        try (Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(elements));
             Tensor c = Tensor.allocate(Device.CPU, DType.F32, Shape.of(elements));
             Tensor u = Tensor.allocate(Device.CPU, DType.F32, Shape.of(elements))) {
            float[] zeros = new float[(int) elements];
            x.copyFrom(zeros);
            c.copyFrom(zeros);
            u.copyFrom(zeros);
            SchedulerStep step = SchedulerStep.builder().guidance(4).out(1, -0.04, 0, 0).build();
            double ms = median(() -> step.apply(x, c, u, null, x, null));
            out.printf(Locale.ROOT, "sampler step (Euler + guidance), %d elements: %.3f ms (%.1f GB/s)%n", elements, ms,
                    16.0 * elements / ms / 1e6);
        }
        try (VideoModel model = VideoModel.embedded();
             PromptContext prompts = model.encode(List.of("a red circle moving right", ""));
             Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * model.latentSize()));
             Tensor y = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * model.latentSize()))) {
            x.copyFrom(new float[(int) x.numel()]);
            double ms = median(() -> model.forward(prompts, x, new float[] {0.5f, 0.5f}, y));
            out.printf(Locale.ROOT, "embedded model, one cond + uncond forward: %.2f ms (%d steps: %.2f s)%n", ms,
                    model.config().steps(), ms * model.config().steps() / 1000);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private double median(Runnable r) {
        r.run();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }
}
