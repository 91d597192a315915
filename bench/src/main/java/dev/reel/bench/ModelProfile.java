package dev.reel.bench;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.OpTimes;
import dev.reel.model.PromptContext;
import dev.reel.model.VideoModel;
import dev.reel.nn.Gemm;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where Reel's conditional + unconditional forward spends its time: the same
 * forward as {@link ModelBenchmark#forward}, timed per kind of kernel call through
 * {@link OpTimes}. Needs {@code -Dreel.profile=true}; prints one JSON line with
 * medians over the timed forwards (wall time, GEMM, attention, other kernels, and
 * the GEMMs' share of the wall time and their GFLOP/s):
 *
 * <pre>
 * java -Dreel.profile=true -cp bench/target/reel-bench-0.1.0.jar dev.reel.bench.ModelProfile MODEL [FORWARDS [WARMUP]]
 * </pre>
 *
 * {@code MODEL} is {@code embedded} or a model folder. Timing every call costs
 * two {@code nanoTime} reads per kernel (a few hundred per forward), well under
 * 0.1% of a forward; the JMH figures are taken with profiling off.
 */
public final class ModelProfile {
    private ModelProfile() {}

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: ModelProfile MODEL [FORWARDS [WARMUP]]  (with -Dreel.profile=true)");
            System.exit(2);
        }
        if (!OpTimes.enabled()) {
            System.err.println("ModelProfile needs -Dreel.profile=true");
            System.exit(2);
        }
        String model = args[0];
        int forwards = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        try (VideoModel video = "embedded".equals(model) ? VideoModel.embedded() : VideoModel.load(Path.of(model));
             PromptContext prompts = video.encode(List.of("a red circle moving right", ""))) {
            long n = video.latentSize();
            try (Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * n));
                 Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2 * n))) {
                float[] v = new float[(int) (2 * n)];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) Math.sin(i * 0.37);
                }
                x.copyFrom(v);
                float[] t = {0.5f, 0.5f};
                for (int i = 0; i < warmup; i++) {
                    video.forward(prompts, x, t, out);
                }
                double[] wall = new double[forwards], gemm = new double[forwards], attention = new double[forwards];
                double[] other = new double[forwards], share = new double[forwards], gflops = new double[forwards];
                long gemmCalls = 0, attentionCalls = 0, otherCalls = 0;
                for (int i = 0; i < forwards; i++) {
                    video.resetOpTimes();
                    long start = System.nanoTime();
                    video.forward(prompts, x, t, out);
                    long elapsed = System.nanoTime() - start;
                    OpTimes o = video.opTimes();
                    wall[i] = elapsed / 1e6;
                    gemm[i] = o.gemmNanos() / 1e6;
                    attention[i] = o.attentionNanos() / 1e6;
                    other[i] = o.otherNanos() / 1e6;
                    share[i] = (double) o.gemmNanos() / elapsed;
                    gflops[i] = o.gemmGflops();
                    gemmCalls = o.gemmCalls();
                    attentionCalls = o.attentionCalls();
                    otherCalls = o.otherCalls();
                }
                System.out.printf(Locale.ROOT, "{\"system\": \"Reel\", \"model\": \"%s\", \"threads\": %d, "
                                + "\"gemm_threading\": \"%s\", \"forwards\": %d, \"forward_ms\": %.3f, \"gemm_ms\": %.3f, "
                                + "\"attention_ms\": %.3f, \"other_ms\": %.3f, \"gemm_share\": %.4f, \"gemm_gflops\": %.1f, "
                                + "\"calls_per_forward\": {\"gemm\": %d, \"attention\": %d, \"other\": %d}}%n",
                        model.replace("\\", "\\\\").replace("\"", "\\\""), Gemm.threads(),
                        Gemm.THREADING.name().toLowerCase(Locale.ROOT), forwards, median(wall), median(gemm),
                        median(attention), median(other), median(share), median(gflops), gemmCalls, attentionCalls,
                        otherCalls);
            }
        }
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }
}
