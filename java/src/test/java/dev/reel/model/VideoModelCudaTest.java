package dev.reel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.CudaDevices;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.ForwardFixtures.Array;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The forward on a CUDA device against the CPU forward and the twin's traces of the
 * tiny fixtures, stage by stage; CPU tensors through device copies; a steady state that
 * allocates nothing; out of memory as an exception after which the model still works.
 * Skipped, with the reason printed, where no CUDA device is present.
 */
class VideoModelCudaTest {
    private static final String PROMPT = "a red circle moving right on a black background";
    /** bf16 GEMM inputs and attention operands, fp32 everywhere else: the bf16-weights tolerance of the CPU parity test. */
    private static final double TOLERANCE = 2e-2;

    @TempDir
    Path temp;

    private Device gpu;

    @BeforeEach
    void needDevice() {
        gpu = CudaDevices.firstOrSkip(VideoModelCudaTest.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-full", "tiny-factorised"})
    void forwardMatchesTheCpuAndTheTwinStageByStage(String fixture) {
        compare(ForwardFixtures.resource(fixture), fixture, "fp32 weights");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-full", "tiny-factorised"})
    void bf16WeightsMatchTheCpuAndTheTwinStageByStage(String fixture) throws Exception {
        compare(ForwardFixtures.bf16Copy(ForwardFixtures.resource(fixture), temp.resolve(fixture)), fixture, "bf16 weights");
    }

    private void compare(Path folder, String fixture, String what) {
        Map<String, Array> trace = ForwardFixtures.read(ForwardFixtures.resource(fixture).resolve("trace.safetensors"));
        Map<String, float[]> cpu = stages(folder, Device.CPU, trace);
        Map<String, float[]> cuda = stages(folder, gpu, trace);
        Map<String, Double> vsCpu = new LinkedHashMap<>(), vsTwin = new LinkedHashMap<>();
        for (String stage : cpu.keySet()) {
            assertTrue(cuda.containsKey(stage), "the CUDA forward never reported " + stage);
            vsCpu.put(stage, ForwardFixtures.relativeError(cuda.get(stage), toDoubles(cpu.get(stage))));
            vsTwin.put(stage, ForwardFixtures.relativeError(cuda.get(stage), trace.get(stage).values()));
        }
        System.out.println(fixture + " " + what + " CUDA vs CPU ‖Δ‖/‖ref‖: " + vsCpu);
        System.out.println(fixture + " " + what + " CUDA vs twin ‖Δ‖/‖ref‖: " + vsTwin);
        vsCpu.forEach((s, e) -> assertTrue(e <= TOLERANCE, fixture + " " + what + " " + s + " vs CPU: " + e));
        vsTwin.forEach((s, e) -> assertTrue(e <= TOLERANCE, fixture + " " + what + " " + s + " vs twin: " + e));
        // bf16 operands must show, or the device would not be computing in bf16 at all
        assertTrue(vsCpu.get("out") > 1e-6, "the CUDA forward gave the CPU's result exactly: " + vsCpu.get("out"));
    }

    /** Every traced stage of one forward on {@code device}, copied to the host. */
    private static Map<String, float[]> stages(Path folder, Device device, Map<String, Array> trace) {
        Map<String, float[]> seen = new LinkedHashMap<>();
        ReelDit.Probe probe = (name, address, elements) -> {
            // the legacy default stream of the copy waits for the model's (blocking) stream
            try (Tensor view = Tensor.wrap(device, DType.F32, Shape.of(elements), address)) {
                seen.put(name, view.toFloatArray());
            }
        };
        try (VideoModel model = VideoModel.load(folder, device)) {
            assertEquals(device, model.device());
            Prompt cond = model.vocabulary().encode(PROMPT), uncond = model.vocabulary().encode("");
            float[] x = trace.get("input.x").floats();
            float t = (float) trace.get("input.t").values()[0];
            try (PromptContext prompts = model.encodePrompts(List.of(cond, uncond), probe);
                 Tensor in = Tensor.allocate(device, DType.F32, Shape.of(x.length));
                 Tensor out = Tensor.allocate(device, DType.F32, Shape.of(x.length))) {
                in.copyFrom(x);
                model.forward(prompts, in, new float[] {t, t}, out, probe);
                model.synchronize();
                seen.put("out", out.toFloatArray());
            }
        }
        return seen;
    }

    @Test
    void cpuTensorsGoThroughDeviceCopies() {
        try (VideoModel model = VideoModel.load(ForwardFixtures.resource("tiny-full"), gpu);
             PromptContext prompts = model.encode(List.of(PROMPT, ""))) {
            int n = (int) (2 * model.latentSize());
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) Math.sin(i * 0.37);
            }
            float[] onDevice, viaHost;
            try (Tensor in = Tensor.allocate(gpu, DType.F32, Shape.of(n));
                 Tensor out = Tensor.allocate(gpu, DType.F32, Shape.of(n))) {
                in.copyFrom(x);
                model.forward(prompts, in, new float[] {0.4f, 0.4f}, out);
                model.synchronize();
                onDevice = out.toFloatArray();
            }
            try (Tensor in = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
                 Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n))) {
                in.copyFrom(x);
                model.forward(prompts, in, new float[] {0.4f, 0.4f}, out);
                viaHost = out.toFloatArray();
            }
            assertArrayEquals(onDevice, viaHost, 0f, "the same forward through host tensors");
        }
    }

    @Test
    void aSteadyStateForwardAllocatesNothing() {
        VideoModelDeviceTest.assertSteadyStateAllocatesNothing(gpu);
    }

    @Test
    void anAbsurdAllocationIsAnExceptionAndTheNextCallWorks() {
        ReelException e = assertThrows(ReelException.class,
                () -> Tensor.allocate(gpu, DType.F32, Shape.of(1L << 40)).close());
        assertEquals(ReelException.Status.OUT_OF_MEMORY, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(4L << 40)), "the message names the bytes: " + e.getMessage());
        try (Tensor fine = Tensor.allocate(gpu, DType.F32, Shape.of(1024))) {
            fine.copyFrom(new float[1024]);
        }
    }

    @Test
    void aWorkspaceThatDoesNotFitIsAnExceptionAndTheModelStillWorks() {
        try (VideoModel model = VideoModel.load(ForwardFixtures.resource("tiny-full"), gpu);
             PromptContext two = model.encode(List.of(PROMPT, ""))) {
            float[] before = forward(model, two);
            List<String> many = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                many.add(i % 2 == 0 ? PROMPT : "");
            }
            try (PromptContext sixtyFour = model.encode(many)) {
                ReelException e;
                Deque<Tensor> hog = fill(gpu);
                try {
                    e = assertThrows(ReelException.class, () -> forward(model, sixtyFour));
                } finally {
                    hog.forEach(Tensor::close);
                }
                System.out.println("out of memory: " + e.getMessage());
                assertEquals(ReelException.Status.OUT_OF_MEMORY, e.status(), e.getMessage());
                assertTrue(e.getMessage().contains("64 rows") && e.getMessage().contains("GiB free of"),
                        "the message names the request and the device's memory: " + e.getMessage());
                forward(model, sixtyFour);   // with the memory back, the same call works
            }
            assertArrayEquals(before, forward(model, two), 1e-5f, "the model after an out-of-memory error");
        }
    }

    /** Allocates device memory until none is left: chunks of 1 GiB, then 64 MiB, then 1 MiB. */
    private static Deque<Tensor> fill(Device device) {
        Deque<Tensor> hog = new ArrayDeque<>();
        for (long chunk : new long[] {1L << 30, 64L << 20, 1L << 20}) {
            while (true) {
                try {
                    hog.push(Tensor.allocate(device, DType.F32, Shape.of(chunk / 4)));
                } catch (ReelException full) {
                    break;
                }
            }
        }
        return hog;
    }

    private static float[] forward(VideoModel model, PromptContext prompts) {
        int rows = prompts.rows();
        int n = (int) (rows * model.latentSize());
        float[] t = new float[rows];
        java.util.Arrays.fill(t, 0.5f);
        try (Tensor in = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
             Tensor out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n))) {
            in.copyFrom(new float[n]);
            model.forward(prompts, in, t, out);
            return out.toFloatArray();
        }
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
