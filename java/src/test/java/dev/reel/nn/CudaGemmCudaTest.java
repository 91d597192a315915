package dev.reel.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.CudaDevices;
import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cuBLASLt products against a float64 reference on the same bf16-rounded inputs: the
 * linear layer's epilogues (bias, GELU), the fallbacks (SiLU), accumulation and row strides,
 * and the convolution's {@code c = a · b}. Skipped,
 * with the reason printed, where no CUDA device is present.
 */
class CudaGemmCudaTest {
    private Device gpu;

    @BeforeEach
    void needDevice() {
        gpu = CudaDevices.firstOrSkip(CudaGemmCudaTest.class);
    }

    @Test
    void productsMatchAFloat64Reference() {
        long[][] shapes = {{1, 32, 64}, {37, 96, 200}, {512, 128, 384}, {1024, 512, 128}};
        try (Gemm gemm = new Gemm()) {
            for (long[] sh : shapes) {
                for (Activation act : Activation.values()) {
                    check(gemm, (int) sh[0], (int) sh[1], (int) sh[2], 0, act, true, false);
                }
                check(gemm, (int) sh[0], (int) sh[1], (int) sh[2], 0, Activation.NONE, false, false);
                check(gemm, (int) sh[0], (int) sh[1], (int) sh[2], 8, Activation.NONE, true, false);
                check(gemm, (int) sh[0], (int) sh[1], (int) sh[2], 0, Activation.NONE, false, true);
            }
        }
    }

    @Test
    void convolutionProductsMatchAFloat64Reference() {
        int[][] shapes = {{16, 300, 27}, {64, 1024, 576}, {3, 4096, 288}};
        try (Gemm gemm = new Gemm()) {
            for (int[] sh : shapes) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    multiply(gemm, sh[0], sh[1], sh[2], accumulate);
                }
            }
        }
    }

    /** {@code c[m, n] (+)= a[m, k] · b[k, n]}, c with 5 elements of padding per row. */
    private void multiply(Gemm gemm, int m, int n, int k, boolean accumulate) {
        Random r = new Random(m * 131L + n * 17L + k);
        int cs = n + 5;
        float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * cs);
        try (Tensor da = Tensor.allocate(gpu, DType.BF16, Shape.of(a.length));
             Tensor dbm = Tensor.allocate(gpu, DType.BF16, Shape.of(b.length));
             Tensor dc = Tensor.allocate(gpu, DType.F32, Shape.of(c0.length))) {
            da.copyFrom(a);
            dbm.copyFrom(b);
            dc.copyFrom(c0);
            float[] ar = da.toFloatArray(), br = dbm.toFloatArray();
            gemm.multiply(gpu, 0L, m, n, k, da.address(), k, dbm.address(), n, dc.address(), cs, accumulate);
            float[] got = dc.toFloatArray();
            double err = 0, norm = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = accumulate ? c0[i * cs + j] : 0;
                    for (int q = 0; q < k; q++) {
                        sum += (double) ar[i * k + q] * br[q * n + j];
                    }
                    double d = got[i * cs + j] - sum;
                    err += d * d;
                    norm += sum * sum;
                }
                for (int j = n; j < cs; j++) {
                    assertTrue(got[i * cs + j] == c0[i * cs + j], "the padding of row " + i + " was written");
                }
            }
            double rel = Math.sqrt(err / norm);
            assertTrue(rel < 2e-4, String.format("[%d, %d] x [%d, %d] accumulate=%b: relative error %.3g", m, k, k, n,
                    accumulate, rel));
        }
    }

    @Test
    void aBadArgumentIsAnIllegalArgumentException() {
        try (Gemm gemm = new Gemm()) {
            assertThrows(IllegalArgumentException.class,
                    () -> gemm.linearBias(gpu, 0L, 0, 4, 4, 1, 4, 1, 0, 1, 4, Activation.NONE));
            assertThrows(IllegalArgumentException.class,
                    () -> gemm.linearBias(gpu, 0L, 4, 4, 4, 0, 4, 1, 0, 1, 4, Activation.NONE));
        }
    }

    /** One product, {@code pad} extra elements per row of x and y, against float64. */
    private void check(Gemm gemm, int rows, int in, int out, int pad, Activation act, boolean withBias,
                       boolean accumulate) {
        Random r = new Random(rows * 31L + in * 7L + out);
        int xs = in + pad, ys = out + pad;
        float[] x = random(r, rows * xs), w = random(r, out * in), b = random(r, out), y0 = random(r, rows * ys);
        try (Tensor dx = Tensor.allocate(gpu, DType.BF16, Shape.of(x.length));
             Tensor dw = Tensor.allocate(gpu, DType.BF16, Shape.of(w.length));
             Tensor db = Tensor.allocate(gpu, DType.F32, Shape.of(out));
             Tensor dy = Tensor.allocate(gpu, DType.F32, Shape.of(y0.length))) {
            dx.copyFrom(x);
            dw.copyFrom(w);
            db.copyFrom(b);
            dy.copyFrom(y0);
            float[] xr = dx.toFloatArray(), wr = dw.toFloatArray();
            if (accumulate) {
                gemm.linear(gpu, rows, in, out, dx.address(), xs, dw.address(), dy.address(), ys, true);
            } else {
                gemm.linearBias(gpu, 0L, rows, in, out, dx.address(), xs, dw.address(), withBias ? db.address() : 0,
                        dy.address(), ys, act);
            }
            float[] got = dy.toFloatArray();
            double err = 0, norm = 0;
            for (int i = 0; i < rows; i++) {
                for (int o = 0; o < out; o++) {
                    double s = 0;
                    for (int k = 0; k < in; k++) {
                        s += (double) xr[i * xs + k] * wr[o * in + k];
                    }
                    double want = accumulate ? y0[i * ys + o] + s : activate(s + (withBias ? b[o] : 0), act);
                    double d = got[i * ys + o] - want;
                    err += d * d;
                    norm += want * want;
                }
                for (int o = out; o < ys; o++) {
                    assertTrue(got[i * ys + o] == y0[i * ys + o], "the padding of row " + i + " was written");
                }
            }
            double rel = Math.sqrt(err / Math.max(norm, 1e-30));
            // fp32 accumulation of exact bf16 products; cuBLASLt's GELU may use a faster tanh
            double tolerance = act == Activation.GELU_TANH && withBias ? 2e-3 : 2e-4;
            assertTrue(rel < tolerance, String.format("[%d, %d] x [%d, %d] %s bias=%b accumulate=%b pad=%d: relative error %.3g",
                    rows, in, in, out, act, withBias, accumulate, pad, rel));
        }
    }

    private static double activate(double v, Activation act) {
        return switch (act) {
            case NONE -> v;
            case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            case SILU -> v / (1 + Math.exp(-v));
        };
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
