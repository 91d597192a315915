package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import dev.reel.ffi.ReelNative.AttentionParams;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Every intermediate buffer of a forward of {@code rows} videos, made once per
 * (model, batch) and reused at every step, so that a steady-state step allocates
 * no memory. Names follow tools/reel/architecture.md.
 */
final class Workspace implements AutoCloseable {
    final long rows;
    final long tokens;        // [R, N, P]: the patches, then the final layer's output
    final long h;             // [R, N, D]: the residual stream
    final long y;             // [R, N, D]: normalised input of a sublayer
    final long qkv;           // [R, N, 3D]
    final long q;             // [R, N, D]: cross-attention queries
    final long o;             // [R, N, D]: attention output
    final long a;             // [R, N, D]: a sublayer's projection, before the residual
    final long f;             // [R, N, mlp]
    final long e;             // [R, timestep_dim]
    final long c1;            // [R, D]
    final long c;             // [R, D]: the conditioning vector
    final long sc;            // [R, D]: SiLU(c)
    final long mod;           // [R, 6D]: one block's adaLN parameters
    final long fmod;          // [R, 2D]: the final layer's
    final FloatPointer t;     // [R] timesteps, host memory
    final long times;         // [R] timesteps where the timestep kernel reads them: t itself, or a device copy
    final AttentionParams full, spatial, temporal, cross;

    private final List<Tensor> owned = new ArrayList<>();

    Workspace(Device device, Sizes s, long rows) {
        this.rows = rows;
        long rn = rows * s.tokens;
        DType dtype = device.isCuda() ? DType.BF16 : DType.F32;
        t = new FloatPointer(rows);
        full = AttentionCalls.self(s, rows, ReelNative.REEL_ATTENTION_FULL, dtype);
        spatial = AttentionCalls.self(s, rows, ReelNative.REEL_ATTENTION_SPATIAL, dtype);
        temporal = AttentionCalls.self(s, rows, ReelNative.REEL_ATTENTION_TEMPORAL, dtype);
        cross = AttentionCalls.cross(s, rows, dtype);
        // an allocation that fails (device memory) frees the buffers made before it
        try {
            tokens = buffer(device, rn * s.patchDim);
            h = buffer(device, rn * s.hidden);
            y = buffer(device, rn * s.hidden);
            qkv = buffer(device, rn * 3 * s.hidden);
            q = buffer(device, rn * s.hidden);
            o = buffer(device, rn * s.hidden);
            a = buffer(device, rn * s.hidden);
            f = buffer(device, rn * s.mlp);
            e = buffer(device, rows * s.timestepDim);
            c1 = buffer(device, rows * s.hidden);
            c = buffer(device, rows * s.hidden);
            sc = buffer(device, rows * s.hidden);
            mod = buffer(device, rows * 6 * s.hidden);
            fmod = buffer(device, rows * 2 * s.hidden);
            times = device.isCuda() ? buffer(device, rows) : t.address();
        } catch (RuntimeException failure) {
            close();
            throw failure;
        }
    }

    /** Bytes of memory where the kernels run that a workspace of {@code rows} takes (its buffers above). */
    static long bytes(Sizes s, long rows) {
        long rn = rows * s.tokens;
        long elements = rn * (s.patchDim + 5 * s.hidden + 3 * s.hidden + s.mlp)
                + rows * (s.timestepDim + 3 * s.hidden + 6 * s.hidden + 2 * s.hidden + 1);
        return 4 * elements;
    }

    private long stagedIn, stagedOut;   // 0 until a caller passes CPU tensors to a CUDA model

    /**
     * CUDA: device buffers for x and out of {@code elements} each, for a forward whose caller
     * passes CPU tensors; made on the first such forward, then reused.
     */
    long[] staged(Device device, long elements) {
        if (stagedIn == 0) {
            long in = buffer(device, elements);
            stagedOut = buffer(device, elements);
            stagedIn = in;
        }
        return new long[] {stagedIn, stagedOut};
    }

    private long buffer(Device device, long elements) {
        Tensor tensor = Buffers.owned(device, elements);
        owned.add(tensor);
        return tensor.address();
    }

    @Override
    public void close() {
        for (Tensor tensor : owned) {
            tensor.close();
        }
        owned.clear();
        t.close();
        full.close();
        spatial.close();
        temporal.close();
        cross.close();
    }
}
