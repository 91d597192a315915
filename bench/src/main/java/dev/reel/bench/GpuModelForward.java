package dev.reel.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import dev.reel.model.PromptContext;
import dev.reel.model.VideoModel;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times one conditional + unconditional forward (2 rows) of a reel-dit model on a device,
 * for {@code bench/gpu/model/bench.py}, which runs it through {@code bench/gpu/java run} and
 * sets it beside PyTorch in the same run:
 *
 * <pre>
 * GpuModelForward --model embedded|FOLDER --device cuda|cpu --x X.f32 [--out OUT.f32]
 *                 [--warmup 2] [--repeats 5]
 * </pre>
 *
 * {@code X.f32} holds the two rows' latents, little-endian fp32 {@code [2, C, T, H, W]}; the
 * last forward's output is written to {@code OUT.f32} the same way, so that the caller can
 * compare it with PyTorch's. The prompts are "a red circle moving right" and "" (the
 * unconditional row), both rows at t = 0.5.
 *
 * <p>It uses four calls of the model API and nothing else: {@code VideoModel.load(Path, Device)}
 * / {@code VideoModel.embedded(Device)}, {@code encode} and {@code forward}. Those taking a
 * {@link Device} are looked up by reflection, so that this compiles against a reel-core whose
 * model still runs on the CPU only; there, {@code --device cuda} reports the forward as absent.
 * Each timed forward is followed by a device-wide synchronisation
 * ({@code cudaDeviceSynchronize} through the CUDA presets when they load, else
 * {@code reel_synchronize} on the legacy default stream), so the time is the forward's
 * whole device work. The output is poisoned with NaN first and must come back finite.
 *
 * <p>Prints one JSON object: {@code status} ("ok", "absent" or "failed"), {@code reason} when
 * not ok, and the load, encode and forward times (every forward's milliseconds and their median).
 */
public final class GpuModelForward {
    private static final List<String> PROMPTS = List.of("a red circle moving right", "");

    private GpuModelForward() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("system", "Reel");
        result.put("model", opt.get("model"));
        int code;
        try {
            code = run(opt, result);
        } catch (Absent e) {
            result.put("status", "absent");
            result.put("reason", e.getMessage());
            code = 0;
        } catch (Throwable e) {
            Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
            result.put("status", "failed");
            result.put("reason", cause.getClass().getName() + ": " + cause.getMessage());
            cause.printStackTrace();
            code = 1;
        }
        System.out.println(new ObjectMapper().writeValueAsString(result));
        System.exit(code);
    }

    /** The forward API is not in this build of reel-core (or not for this device). */
    private static final class Absent extends Exception {
        private static final long serialVersionUID = 1L;

        Absent(String message) {
            super(message);
        }
    }

    private static int run(Map<String, String> opt, Map<String, Object> result) throws Exception {
        String model = opt.get("model");
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "2"));
        int repeats = Integer.parseInt(opt.getOrDefault("repeats", "5"));
        result.put("libreel", Reel.version());
        result.put("libreel_cuda", Reel.builtWithCuda());
        Device device = device(opt.getOrDefault("device", "cuda"));
        result.put("device", device.toString());

        long start = System.nanoTime();
        try (VideoModel video = open(model, device)) {
            result.put("load_s", (System.nanoTime() - start) / 1e9);
            result.put("model_device", video.device().toString());
            if (!video.device().equals(device)) {
                throw new Absent("the model was loaded on " + video.device() + ", not on " + device);
            }
            Sync sync = Sync.of(device);
            result.put("sync", sync.name);
            long n = video.latentSize();
            float[] x = readFloats(Path.of(opt.get("x")), 2 * n);
            start = System.nanoTime();
            try (PromptContext prompts = video.encode(PROMPTS);
                 Tensor xt = Tensor.allocate(device, DType.F32, Shape.of(2, n));
                 Tensor out = Tensor.allocate(device, DType.F32, Shape.of(2, n))) {
                sync.run();
                result.put("encode_ms", (System.nanoTime() - start) / 1e6);
                xt.copyFrom(x);
                float[] nan = new float[x.length];
                Arrays.fill(nan, Float.NaN);
                out.copyFrom(nan);
                float[] t = {0.5f, 0.5f};
                for (int i = 0; i < warmup; i++) {
                    video.forward(prompts, xt, t, out);
                    sync.run();
                }
                double[] ms = new double[repeats];
                for (int i = 0; i < repeats; i++) {
                    long s = System.nanoTime();
                    video.forward(prompts, xt, t, out);
                    sync.run();
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
                float[] y = out.toFloatArray();
                long bad = 0;
                for (float v : y) {
                    if (!Float.isFinite(v)) {
                        bad++;
                    }
                }
                if (bad > 0) {
                    throw new IllegalStateException(bad + " of " + y.length + " output values are not finite");
                }
                if (opt.containsKey("out")) {
                    writeFloats(Path.of(opt.get("out")), y);
                }
                result.put("warmup", warmup);
                result.put("forward_ms", ms);
                result.put("median_ms", median(ms));
            }
        }
        result.put("status", "ok");
        return 0;
    }

    private static Device device(String name) throws Absent {
        if ("cpu".equals(name)) {
            return Device.CPU;
        }
        if (!"cuda".equals(name)) {
            throw new IllegalArgumentException("--device must be cuda or cpu, got " + name);
        }
        List<Device> devices = Reel.cudaDevices();
        if (devices.isEmpty()) {
            throw new Absent("Reel.cudaDevices() is empty: " + Reel.cudaUnavailableReason());
        }
        return devices.get(0);
    }

    /** {@code VideoModel.load(Path, Device)} / {@code embedded(Device)}, or the CPU-only forms for the CPU. */
    private static VideoModel open(String model, Device device) throws Exception {
        boolean embedded = "embedded".equals(model);
        Method withDevice = find(embedded ? "embedded" : "load", embedded ? new Class<?>[] {Device.class}
                : new Class<?>[] {Path.class, Device.class});
        if (withDevice != null) {
            Object[] args = embedded ? new Object[] {device} : new Object[] {Path.of(model), device};
            return (VideoModel) withDevice.invoke(null, args);
        }
        if (device.isCuda()) {
            throw new Absent("this reel-core has no VideoModel." + (embedded ? "embedded(Device)" : "load(Path, Device)")
                    + ": its model runs on the CPU only");
        }
        return embedded ? VideoModel.embedded() : VideoModel.load(Path.of(model));
    }

    private static Method find(String name, Class<?>[] params) {
        try {
            return VideoModel.class.getMethod(name, params);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** Waits for all of the device's work. */
    private static final class Sync {
        final String name;
        final Runnable run;

        private Sync(String name, Runnable run) {
            this.name = name;
            this.run = run;
        }

        void run() {
            run.run();
        }

        static Sync of(Device device) {
            if (!device.isCuda()) {
                return new Sync("none (CPU calls return when done)", () -> { });
            }
            try {
                Method m = Class.forName("org.bytedeco.cuda.global.cudart").getMethod("cudaDeviceSynchronize");
                Object probe = m.invoke(null);
                if (probe instanceof Integer && (Integer) probe == 0) {
                    return new Sync("cudaDeviceSynchronize", () -> {
                        try {
                            int s = (Integer) m.invoke(null);
                            if (s != 0) {
                                throw new IllegalStateException("cudaDeviceSynchronize returned " + s);
                            }
                        } catch (ReflectiveOperationException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                }
            } catch (ReflectiveOperationException | LinkageError e) {
                // the CUDA presets are not on the class path or their natives do not load
            }
            int ordinal = device.ordinal();
            return new Sync("reel_synchronize (legacy default stream)", () -> {
                int s = ReelNative.reel_synchronize(ordinal, 0L);
                if (s != ReelNative.REEL_OK) {
                    throw new IllegalStateException("reel_synchronize: status " + s);
                }
            });
        }
    }

    private static float[] readFloats(Path file, long count) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != count * 4) {
            throw new IllegalArgumentException(file + " holds " + bytes.length + " bytes; the model's 2 rows need "
                    + count * 4 + " (fp32)");
        }
        float[] v = new float[(int) count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static void writeFloats(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        List<String> known = new ArrayList<>(List.of("model", "device", "x", "out", "warmup", "repeats"));
        for (int i = 0; i < args.length; i += 2) {
            String k = args[i].startsWith("--") ? args[i].substring(2) : "";
            if (!known.contains(k) || i + 1 >= args.length) {
                System.err.println("usage: GpuModelForward --model embedded|FOLDER --device cuda|cpu --x X.f32 "
                        + "[--out OUT.f32] [--warmup 2] [--repeats 5]");
                System.exit(2);
            }
            opt.put(k, args[i + 1]);
        }
        for (String required : List.of("model", "x")) {
            if (!opt.containsKey(required)) {
                System.err.println("GpuModelForward: --" + required + " is required");
                System.exit(2);
            }
        }
        return opt;
    }
}
