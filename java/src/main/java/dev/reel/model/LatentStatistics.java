package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Tensor;

/** What the decoder and the encoder share: per-channel vectors on the CPU and the checks of a caller's tensor. */
final class LatentStatistics {
    private LatentStatistics() {}

    /** A [n] F32 CPU tensor holding {@code values}, each rounded once to float. */
    static Tensor vector(double[] values) {
        Tensor t = Buffers.owned(Device.CPU, values.length);
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        t.copyFrom(f);
        return t;
    }

    static void requireTensor(String name, Tensor tensor) {
        requireTensor(name, tensor, Device.CPU);
    }

    /** A caller's F32 tensor, open and on {@code device} (where the decoder or encoder runs). */
    static void requireTensor(String name, Tensor tensor, Device device) {
        if (tensor == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (tensor.isClosed()) {
            throw new IllegalArgumentException(name + " is closed");
        }
        if (!tensor.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + tensor.device() + "; the autoencoder runs on "
                    + (device.isCuda() ? device.toString() : "the CPU"));
        }
        if (tensor.dtype() != DType.F32) {
            throw new IllegalArgumentException(name + " must be F32, got " + tensor.dtype());
        }
    }
}
