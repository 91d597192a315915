package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Tensor;
import dev.reel.nn.Linear;
import java.util.HashMap;
import java.util.Map;

/**
 * Named weight addresses of a loaded model folder, the names as in {@code model.safetensors}.
 * On the CPU they are the folder's fp32 tensors themselves. On a CUDA device each is
 * uploaded once, when first asked for: a linear layer's matrix as bf16 (what
 * {@link dev.reel.nn.CudaGemm} multiplies), everything else — norms, biases, embeddings
 * — as fp32; the copies are freed by {@link #close}.
 */
final class Weights implements AutoCloseable {
    private final ModelFolder folder;
    private final Device device;
    private final Map<String, Tensor> uploaded = new HashMap<>();

    Weights(ModelFolder folder) {
        this(folder, Device.CPU);
    }

    Weights(ModelFolder folder, Device device) {
        this.folder = folder;
        this.device = device;
    }

    long address(String name) {
        return at(name, DType.F32);
    }

    Linear linear(String prefix) {
        Tensor w = folder.weight(prefix + ".weight");
        long[] shape = w.shape().dims();
        return new Linear(prefix, shape[1], shape[0], at(prefix + ".weight", DType.BF16), address(prefix + ".bias"));
    }

    /** A LayerNorm's (weight, bias) or an RMSNorm's weight. */
    long weight(String prefix) {
        return address(prefix + ".weight");
    }

    long bias(String prefix) {
        return address(prefix + ".bias");
    }

    /** Bytes of device memory the uploaded weights take (0 on the CPU). */
    long deviceBytes() {
        long sum = 0;
        for (Tensor t : uploaded.values()) {
            sum += t.byteSize();
        }
        return sum;
    }

    private long at(String name, DType onDevice) {
        Tensor host = folder.weight(name);
        if (!device.isCuda()) {
            return host.address();
        }
        String key = onDevice + ":" + name;
        Tensor copy = uploaded.get(key);
        if (copy == null) {
            copy = upload(host, onDevice);
            uploaded.put(key, copy);
        }
        return copy.address();
    }

    private Tensor upload(Tensor host, DType dtype) {
        return Buffers.upload(device, host.address(), host.numel(), dtype);
    }

    @Override
    public void close() {
        uploaded.values().forEach(Tensor::close);
        uploaded.clear();
    }
}
