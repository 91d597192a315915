package dev.reel.model;

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
    final FloatPointer t;     // [R] timesteps, host memory the timestep kernel reads
    final AttentionParams full, spatial, temporal, cross;

    private final List<Tensor> owned = new ArrayList<>();

    Workspace(Device device, Sizes s, long rows) {
        this.rows = rows;
        long rn = rows * s.tokens;
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
        t = new FloatPointer(rows);
        full = AttentionCalls.self(s, rows, ReelNative.REEL_ATTENTION_FULL);
        spatial = AttentionCalls.self(s, rows, ReelNative.REEL_ATTENTION_SPATIAL);
        temporal = AttentionCalls.self(s, rows, ReelNative.REEL_ATTENTION_TEMPORAL);
        cross = AttentionCalls.cross(s, rows);
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
