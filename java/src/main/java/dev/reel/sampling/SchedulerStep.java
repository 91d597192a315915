package dev.reel.sampling;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import java.lang.ref.Reference;
import java.util.Locale;

/**
 * One fused sampler step: classifier-free guidance, the sampler's update (with
 * the prediction-type conversion folded in) and its Philox noise in one pass
 * over the tensors, on the CPU or a CUDA device ({@code reel_scheduler_step};
 * the exact per-element arithmetic is in reel.h). Per element, in fp32:
 *
 * <pre>
 *   m   = uncond == null ? cond : uncond + g·(cond − uncond)      (then ·f_b with rescale φ)
 *   out = cX·x + cM·m + cP·prev + cZ·z,   z = Philox normal (seed, noiseStream, noiseOffset + k)
 *   aux = aX·x + aM·m
 * </pre>
 *
 * <p>{@link Sampler}s compute these coefficients in double from a
 * {@link NoiseSchedule}; this class is for callers that drive the kernel
 * themselves, on {@link Tensor}s or on raw memory with their own CUDA stream.
 * Immutable; build with {@link #builder()}.
 */
public final class SchedulerStep {
    private final double guidanceScale;
    private final double rescalePhi;
    private final double cX;
    private final double cM;
    private final double cP;
    private final double cZ;
    private final double aX;
    private final double aM;
    private final long seed;
    private final long noiseStream;
    private final long noiseOffset;

    private SchedulerStep(Builder b) {
        guidanceScale = b.guidanceScale;
        rescalePhi = b.rescalePhi;
        cX = b.cX;
        cM = b.cM;
        cP = b.cP;
        cZ = b.cZ;
        aX = b.aX;
        aM = b.aM;
        seed = b.seed;
        noiseStream = b.noiseStream;
        noiseOffset = b.noiseOffset;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Coefficients default to 0 (guidance scale 1, no rescale, seed 0, stream 0, offset 0). */
    public static final class Builder {
        private double guidanceScale = 1;
        private double rescalePhi;
        private double cX;
        private double cM;
        private double cP;
        private double cZ;
        private double aX;
        private double aM;
        private long seed;
        private long noiseStream;
        private long noiseOffset;

        private Builder() {}

        /** Classifier-free guidance scale g: finite and >= 0; used when an unconditional output is given. */
        public Builder guidance(double scale) {
            if (!Double.isFinite(scale) || scale < 0) {
                throw new IllegalArgumentException("guidance scale must be finite and >= 0, got " + scale);
            }
            this.guidanceScale = scale;
            return this;
        }

        /** Guidance rescale φ in [0, 1] (Lin et al. 2023); 0 turns it off. */
        public Builder rescale(double phi) {
            if (!(phi >= 0 && phi <= 1)) {
                throw new IllegalArgumentException("guidance rescale must be in [0, 1], got " + phi);
            }
            this.rescalePhi = phi;
            return this;
        }

        /** out = cX·x + cM·m + cP·prev + cZ·z. */
        public Builder out(double x, double m, double prev, double z) {
            this.cX = coefficient("cX", x);
            this.cM = coefficient("cM", m);
            this.cP = coefficient("cP", prev);
            this.cZ = coefficient("cZ", z);
            return this;
        }

        /** aux = aX·x + aM·m, written when an aux tensor is given. */
        public Builder aux(double x, double m) {
            this.aX = coefficient("aX", x);
            this.aM = coefficient("aM", m);
            return this;
        }

        /** The Philox noise of this step: index {@code offset + k} of stream (seed, stream) for element k. */
        public Builder noise(long seed, long stream, long offset) {
            this.seed = seed;
            this.noiseStream = stream;
            this.noiseOffset = offset;
            return this;
        }

        public SchedulerStep build() {
            return new SchedulerStep(this);
        }

        private static double coefficient(String name, double v) {
            if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
                throw new IllegalArgumentException(name + " must be a finite fp32 value, got " + v);
            }
            return v;
        }
    }

    public double guidanceScale() {
        return guidanceScale;
    }

    public double rescalePhi() {
        return rescalePhi;
    }

    public double cX() {
        return cX;
    }

    public double cM() {
        return cM;
    }

    public double cP() {
        return cP;
    }

    public double cZ() {
        return cZ;
    }

    public double aX() {
        return aX;
    }

    public double aM() {
        return aM;
    }

    public long seed() {
        return seed;
    }

    public long noiseStream() {
        return noiseStream;
    }

    public long noiseOffset() {
        return noiseOffset;
    }

    /**
     * Applies the step to tensors on one device. {@code x}, {@code out} and the
     * optional {@code prev} and {@code aux} share a shape and a dtype (the state);
     * {@code cond} and the optional {@code uncond} have that shape and their own
     * dtype. For guidance rescale the first dimension of the shape is the batch.
     * An output may be the same tensor as an input (in place). On CUDA the
     * kernel is queued on the default stream.
     */
    public void apply(Tensor x, Tensor cond, Tensor uncond, Tensor prev, Tensor out, Tensor aux) {
        require(x, "x");
        require(cond, "cond");
        require(out, "out");
        if (cP != 0 && prev == null) {
            throw new IllegalArgumentException("cP is " + cP + " but prev is null");
        }
        Tensor[] all = {x, cond, uncond, prev, out, aux};
        String[] names = {"x", "cond", "uncond", "prev", "out", "aux"};
        for (int i = 1; i < all.length; i++) {
            if (all[i] == null) {
                continue;
            }
            if (!all[i].device().equals(x.device())) {
                throw new IllegalArgumentException(names[i] + " is on " + all[i].device() + ", x on " + x.device());
            }
            if (!all[i].shape().equals(x.shape())) {
                throw new IllegalArgumentException(names[i] + " has shape " + all[i].shape() + ", x has " + x.shape());
            }
            boolean model = i == 1 || i == 2;
            DType want = model ? cond.dtype() : x.dtype();
            if (all[i].dtype() != want) {
                throw new IllegalArgumentException(names[i] + " is " + all[i].dtype() + " but "
                        + (model ? "cond" : "x") + " is " + want);
            }
        }
        for (int o = 4; o < 6; o++) {
            for (int i = 0; i < 4; i++) {
                if (all[o] != null && all[i] != null && all[o].overlaps(all[i])
                        && !(all[o].address() == all[i].address() && all[o].dtype().bytes() == all[i].dtype().bytes())) {
                    throw new IllegalArgumentException(names[o] + " and " + names[i] + " overlap partially");
                }
            }
        }
        if (aux != null && out.overlaps(aux)) {
            throw new IllegalArgumentException("out and aux overlap");
        }
        long batch = x.shape().rank() == 0 || x.numel() == 0 ? 1 : x.shape().dim(0);
        try {
            apply(x.device(), 0L, x.numel(), batch, x.dtype(), cond.dtype(), x.address(), cond.address(),
                    uncond == null ? 0 : uncond.address(), prev == null ? 0 : prev.address(), out.address(),
                    aux == null ? 0 : aux.address());
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(cond);
            Reference.reachabilityFence(uncond);
            Reference.reachabilityFence(prev);
            Reference.reachabilityFence(out);
            Reference.reachabilityFence(aux);
        }
    }

    /**
     * Applies the step to memory the caller owns: host memory for
     * {@link Device#CPU}, device memory for a CUDA device, where the kernel is
     * queued on {@code cudaStream} (0: the default stream) and not waited for.
     * Addresses of the optional {@code uncond}, {@code prev} and {@code aux} may
     * be 0; {@code count} elements form {@code batch} samples (for rescale).
     */
    public void apply(Device device, long cudaStream, long count, long batch, DType stateDtype, DType modelDtype,
            long x, long cond, long uncond, long prev, long out, long aux) {
        if (device == null) {
            throw new IllegalArgumentException("device is null");
        }
        if (stateDtype == null || modelDtype == null) {
            throw new IllegalArgumentException((stateDtype == null ? "stateDtype" : "modelDtype") + " is null");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count is negative: " + count);
        }
        if (batch < 1 || count % batch != 0) {
            throw new IllegalArgumentException("batch must be >= 1 and divide count " + count + ", got " + batch);
        }
        if (count > 0) {
            if (x == 0 || cond == 0 || out == 0) {
                throw new IllegalArgumentException((x == 0 ? "x" : cond == 0 ? "cond" : "out") + " address is null (0)");
            }
            if (cP != 0 && prev == 0) {
                throw new IllegalArgumentException("cP is " + cP + " but the prev address is null (0)");
            }
            if (cZ != 0 && Long.compareUnsigned(noiseOffset, -count) > 0) {
                throw new IllegalArgumentException("noise offset + count - 1 overflows 64 bits");
            }
        }
        try (ReelNative.StepParams p = new ReelNative.StepParams()) {
            p.count(count).batch(batch).state_dtype(stateDtype.code()).model_dtype(modelDtype.code())
                    .guidance_scale(guidanceScale).rescale_phi(rescalePhi).c_x(cX).c_m(cM).c_p(cP).c_z(cZ).a_x(aX)
                    .a_m(aM).seed(seed).noise_stream(noiseStream).noise_offset(noiseOffset);
            ReelException.check(ReelNative.reel_scheduler_step(device.ordinal(), cudaStream, p, x, cond, uncond, prev, out, aux));
        }
    }

    private static void require(Tensor t, String name) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is null");
        }
    }


    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "SchedulerStep(g=%s, phi=%s, out=%s·x + %s·m + %s·prev + %s·z, aux=%s·x + %s·m, noise=(%s, %s, %s))",
                guidanceScale, rescalePhi, cX, cM, cP, cZ, aX, aM, Long.toUnsignedString(seed),
                Long.toUnsignedString(noiseStream), Long.toUnsignedString(noiseOffset));
    }
}
