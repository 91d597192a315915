package dev.reel.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Noise;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused step on the CPU backend against a plain double-precision statement
 * of its contract. The kernel evaluates in fp32 with each operation rounded, its
 * coefficients rounded once to fp32: every term carries a relative error of at
 * most a few units of 2^-24, so the bound is {@code 8·2^-24·S}, S the sum of the
 * magnitudes of the terms (m's own terms included), plus half an ulp of a 16-bit
 * output dtype.
 */
class SchedulerStepTest {
    private static final double U = 0x1p-24;
    private final Random random = new Random(20261125);

    private float[] values(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    private static Tensor tensor(float[] v, DType dtype, Shape shape) {
        Tensor t = Tensor.allocate(Device.CPU, dtype, shape);
        t.copyFrom(v);
        return t;
    }

    private static double halfUlp(DType dtype, double v) {
        switch (dtype) {
            case BF16:
                return 0x1p-8 * Math.abs(v);
            case F16:
                return 0x1p-11 * Math.abs(v) + 0x1p-25;
            default:
                return 0;
        }
    }

    private static float[] noise(long seed, long stream, long offset, int n) {
        try (Tensor z = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n))) {
            Noise.fillNormal(z, seed, stream, offset);
            return z.toFloatArray();
        }
    }

    @Test
    void everyDtypePairMatchesTheDoubleReference() {
        int n = 4099;
        Shape shape = Shape.of(n);
        for (DType state : DType.values()) {
            for (DType model : DType.values()) {
                double g = 1 + 9 * random.nextDouble();
                double cx = random.nextGaussian(), cm = random.nextGaussian(), cp = random.nextGaussian();
                double cz = 0.3 * random.nextGaussian(), ax = random.nextGaussian(), am = random.nextGaussian();
                long seed = random.nextLong();
                SchedulerStep step = SchedulerStep.builder().guidance(g).out(cx, cm, cp, cz).aux(ax, am)
                        .noise(seed, 9, 13).build();
                try (Scope scope = Scope.open()) {
                    Tensor x = tensor(values(n, 3), state, shape), c = tensor(values(n, 3), model, shape);
                    Tensor u = tensor(values(n, 3), model, shape), p = tensor(values(n, 3), state, shape);
                    Tensor out = Tensor.allocate(Device.CPU, state, shape), aux = Tensor.allocate(Device.CPU, state, shape);
                    step.apply(x, c, u, p, out, aux);
                    float[] xs = x.toFloatArray(), cs = c.toFloatArray(), us = u.toFloatArray(), ps = p.toFloatArray();
                    float[] z = noise(seed, 9, 13, n), got = out.toFloatArray(), gotAux = aux.toFloatArray();
                    for (int k = 0; k < n; k++) {
                        double m = us[k] + g * (cs[k] - us[k]);
                        double mMag = Math.abs(us[k]) + g * (Math.abs(cs[k]) + Math.abs(us[k]));
                        double want = cx * xs[k] + cm * m + cp * ps[k] + cz * z[k];
                        double mag = Math.abs(cx * xs[k]) + Math.abs(cm) * mMag + Math.abs(cp * ps[k]) + Math.abs(cz * z[k]);
                        assertEquals(want, got[k], 8 * U * mag + halfUlp(state, want), state + "/" + model + " out " + k);
                        double wantAux = ax * xs[k] + am * m;
                        double magAux = Math.abs(ax * xs[k]) + Math.abs(am) * mMag;
                        assertEquals(wantAux, gotAux[k], 8 * U * magAux + halfUlp(state, wantAux),
                                state + "/" + model + " aux " + k);
                    }
                }
            }
        }
    }

    @Test
    void guidanceRescaleMatchesTheDoubleReferencePerSample() {
        int batch = 3, per = 2001, n = batch * per;
        double g = 7.5, phi = 0.7, cx = 0.9, cm = -0.4;
        SchedulerStep step = SchedulerStep.builder().guidance(g).rescale(phi).out(cx, cm, 0, 0).build();
        try (Scope scope = Scope.open()) {
            Shape shape = Shape.of(batch, per);
            float[] xs = values(n, 2), cs = values(n, 1), us = values(n, 1);
            for (int k = per; k < 2 * per; k++) {
                cs[k] *= 3; // samples with different spreads get different factors
            }
            Tensor x = tensor(xs, DType.F32, shape), c = tensor(cs, DType.F32, shape), u = tensor(us, DType.F32, shape);
            Tensor out = Tensor.allocate(Device.CPU, DType.F32, shape);
            step.apply(x, c, u, null, out, null);
            float[] got = out.toFloatArray();
            for (int b = 0; b < batch; b++) {
                double[] m = new double[per], cc = new double[per];
                for (int i = 0; i < per; i++) {
                    int k = b * per + i;
                    m[i] = us[k] + g * (cs[k] - us[k]);
                    cc[i] = cs[k];
                }
                double f = 1 - phi + phi * std(cc) / std(m);
                for (int i = 0; i < per; i++) {
                    int k = b * per + i;
                    double want = cx * xs[k] + cm * f * m[i];
                    double mag = Math.abs(cx * xs[k]) + Math.abs(cm * f) * (Math.abs(us[k]) + g * (Math.abs(cs[k]) + Math.abs(us[k])));
                    // the factor itself: double sums rounded once to fp32
                    assertEquals(want, got[k], 10 * U * mag, "sample " + b + " element " + i);
                }
            }
        }
    }

    private static double std(double[] v) {
        double mean = 0, ss = 0;
        for (double d : v) {
            mean += d;
        }
        mean /= v.length;
        for (double d : v) {
            ss += (d - mean) * (d - mean);
        }
        return Math.sqrt(ss / (v.length - 1));
    }

    @Test
    void inKernelNoiseIsTheNoiseOfFillNormalBitForBit() {
        int n = 1027;
        for (long offset : new long[] {0, 1, 6, 1L << 33}) {
            SchedulerStep step = SchedulerStep.builder().out(0, 0, 0, 1).noise(-5L, 17, offset).build();
            try (Scope scope = Scope.open()) {
                Tensor x = tensor(values(n, 1), DType.F32, Shape.of(n)), out = Tensor.allocate(Device.CPU, DType.F32, Shape.of(n));
                step.apply(x, x, null, null, out, null);
                float[] got = out.toFloatArray(), want = noise(-5L, 17, offset, n);
                for (int k = 0; k < n; k++) {
                    assertEquals(Float.floatToRawIntBits(want[k]), Float.floatToRawIntBits(got[k]), "offset " + offset + " element " + k);
                }
            }
        }
    }

    @Test
    void inPlaceGivesTheSameBitsAsOutOfPlace() {
        int n = 3001;
        SchedulerStep step = SchedulerStep.builder().guidance(4).out(0.7, 0.2, -0.3, 0.1).aux(1, -1).noise(3, 2, 0).build();
        try (Scope scope = Scope.open()) {
            Shape shape = Shape.of(n);
            float[] xs = values(n, 1), ps = values(n, 1);
            Tensor x = tensor(xs, DType.BF16, shape), c = tensor(values(n, 1), DType.F32, shape), u = tensor(values(n, 1), DType.F32, shape);
            Tensor p = tensor(ps, DType.BF16, shape), out = Tensor.allocate(Device.CPU, DType.BF16, shape);
            Tensor aux = Tensor.allocate(Device.CPU, DType.BF16, shape);
            step.apply(x, c, u, p, out, aux);
            step.apply(x, c, u, p, x, p); // out over x, aux over prev
            assertArrayEquals(out.toBits(), x.toBits());
            assertArrayEquals(aux.toBits(), p.toBits());
        }
    }

    @Test
    void badArgumentsAreIllegalArgumentExceptionsNamingTheProblem() {
        assertMessage("guidance scale must be finite and >= 0", () -> SchedulerStep.builder().guidance(Double.NaN));
        assertMessage("guidance scale must be finite and >= 0", () -> SchedulerStep.builder().guidance(-1));
        assertMessage("guidance rescale must be in [0, 1]", () -> SchedulerStep.builder().rescale(1.5));
        assertMessage("cM must be a finite fp32 value", () -> SchedulerStep.builder().out(1, Double.NaN, 0, 0));
        assertMessage("cZ must be a finite fp32 value", () -> SchedulerStep.builder().out(1, 0, 0, 1e300));
        SchedulerStep step = SchedulerStep.builder().out(1, 1, 0.5, 0).build();
        try (Scope scope = Scope.open()) {
            Tensor x = Tensor.allocate(Device.CPU, DType.F32, Shape.of(2, 8));
            Tensor other = Tensor.allocate(Device.CPU, DType.F32, Shape.of(16));
            Tensor bf = Tensor.allocate(Device.CPU, DType.BF16, Shape.of(2, 8));
            Tensor f16 = Tensor.allocate(Device.CPU, DType.F16, Shape.of(2, 8));
            assertMessage("cP is 0.5 but prev is null", () -> step.apply(x, x, null, null, x, null));
            assertMessage("x is null", () -> step.apply(null, x, null, x, x, null));
            assertMessage("cond has shape [16], x has [2, 8]", () -> step.apply(x, other, null, x, x, null));
            assertMessage("out is BF16 but x is F32", () -> step.apply(x, x, null, x, bf, null));
            assertMessage("uncond is F16 but cond is BF16", () -> step.apply(x, bf, f16, x, x, null));
            Tensor shifted = Tensor.wrap(Device.CPU, DType.F32, Shape.of(2, 8), x.address() + 4);
            assertMessage("out and x overlap partially", () -> step.apply(x, bf, null, x, shifted, null));
            assertMessage("batch must be >= 1 and divide count 16", () -> step.apply(Device.CPU, 0, 16, 3, DType.F32,
                    DType.F32, x.address(), x.address(), 0, x.address(), x.address(), 0));
            assertMessage("the prev address is null", () -> step.apply(Device.CPU, 0, 16, 1, DType.F32, DType.F32,
                    x.address(), x.address(), 0, 0, x.address(), 0));
        }
    }

    static void assertMessage(String needle, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(needle), "message '" + e.getMessage() + "' lacks '" + needle + "'");
    }
}
