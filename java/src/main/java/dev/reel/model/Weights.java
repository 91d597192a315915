package dev.reel.model;

import dev.reel.nn.Linear;

/** Named fp32 weight addresses of a loaded model folder, the names as in {@code model.safetensors}. */
final class Weights {
    private final ModelFolder folder;

    Weights(ModelFolder folder) {
        this.folder = folder;
    }

    long address(String name) {
        return folder.weight(name).address();
    }

    Linear linear(String prefix) {
        dev.reel.Tensor w = folder.weight(prefix + ".weight");
        long[] shape = w.shape().dims();
        return new Linear(prefix, shape[1], shape[0], w.address(), address(prefix + ".bias"));
    }

    /** A LayerNorm's (weight, bias) or an RMSNorm's weight. */
    long weight(String prefix) {
        return address(prefix + ".weight");
    }

    long bias(String prefix) {
        return address(prefix + ".bias");
    }
}
