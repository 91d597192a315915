package dev.reel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorTest {
    private final Random random = new Random();

    private float[] randomValues(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    @Test
    void f32RoundTripsExactly() {
        float[] v = randomValues(1234);
        try (Reel reel = Reel.open(Backend.CPU); Tensor t = reel.tensor(v, DType.F32, Shape.of(2, 617))) {
            assertArrayEquals(v, t.toFloatArray());
            assertEquals(1234 * 4, t.byteSize());
            assertEquals(Device.CPU, t.device());
        }
    }

    @Test
    void conversionBetweenDtypesKeepsRoundedValues() {
        float[] v = randomValues(500);
        try (Reel reel = Reel.open(Backend.CPU);
                Tensor f = reel.tensor(v, DType.F32, Shape.of(500));
                Tensor b = f.to(DType.BF16);
                Tensor back = b.to(DType.F32)) {
            float[] got = back.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(DTypeReference.bf16ToFloat(DTypeReference.toBf16(v[i])), got[i], 0f);
            }
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        Tensor t = Tensor.allocate(Device.CPU, DType.F32, Shape.of(4));
        t.close();
        t.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, t::address);
        assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
        assertThrows(IllegalStateException.class, () -> Noise.fillNormal(t, 1, 0, 0));
    }

    @Test
    void eachAllocationIsFreedExactlyOnce() {
        long before = Tensor.liveAllocations();
        Tensor a = Tensor.allocate(Device.CPU, DType.F32, Shape.of(8));
        Tensor b = Tensor.allocate(Device.CPU, DType.BF16, Shape.of(8));
        assertEquals(before + 2, Tensor.liveAllocations());
        a.close();
        a.close();
        assertEquals(before + 1, Tensor.liveAllocations());
        b.close();
        assertEquals(before, Tensor.liveAllocations());
    }

    @Test
    void scopeClosesWhatItOwnsButNotWhatItKeeps() {
        Tensor inner, kept;
        try (Scope scope = Scope.open()) {
            inner = Tensor.allocate(Device.CPU, DType.F32, Shape.of(3));
            kept = scope.keep(Tensor.allocate(Device.CPU, DType.F32, Shape.of(3)));
        }
        assertTrue(inner.isClosed());
        assertFalse(kept.isClosed());
        kept.close();
    }

    @Test
    void forgottenTensorsAreFreedByTheCleaner() throws InterruptedException {
        long before = Tensor.liveAllocations();
        for (int i = 0; i < 100; i++) {
            Tensor.allocate(Device.CPU, DType.F32, Shape.of(1024));
        }
        for (int i = 0; i < 100 && Tensor.liveAllocations() > before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Tensor.liveAllocations() <= before, "live allocations: " + Tensor.liveAllocations() + " > " + before);
    }

    @Test
    void wrappedMemoryIsNotFreed() {
        try (Tensor owner = Tensor.allocate(Device.CPU, DType.F32, Shape.of(4))) {
            owner.copyFrom(new float[] {1, 2, 3, 4});
            Tensor view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(4), owner.address());
            view.close();
            assertArrayEquals(new float[] {1, 2, 3, 4}, owner.toFloatArray());
        }
    }

    @Test
    void badArgumentsNameTheProblem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.of(1L << 40, 1L << 40));
        assertTrue(e.getMessage().contains("overflow"), e.getMessage());
        try (Tensor t = Tensor.allocate(Device.CPU, DType.F32, Shape.of(4))) {
            e = assertThrows(IllegalArgumentException.class, () -> t.copyFrom(new float[5]));
            assertTrue(e.getMessage().contains("5 elements"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.copyFrom(null));
            assertTrue(e.getMessage().contains("null"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, t::toBits);
            assertTrue(e.getMessage().contains("BF16 or F16"), e.getMessage());
        }
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(Device.CPU, DType.F32, Shape.of(1), 0));
        assertTrue(e.getMessage().contains("address"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(null, DType.F32, Shape.of(1)));
        assertTrue(e.getMessage().contains("device"), e.getMessage());
    }

    @Test
    void hostMemoryExhaustionIsAReelException() {
        ReelException e = assertThrows(ReelException.class,
                () -> Tensor.allocate(Device.CPU, DType.F32, Shape.of(1L << 60)));
        assertEquals(ReelException.Status.OUT_OF_MEMORY, e.status());
        assertTrue(e.getMessage().contains("reel_malloc"), e.getMessage());
    }

    @Test
    void emptyTensorsWork() {
        try (Tensor t = Tensor.allocate(Device.CPU, DType.F32, Shape.of(0, 5))) {
            assertEquals(0, t.toFloatArray().length);
            Noise.fillNormal(t, 1, 0, 0);
        }
    }
}
