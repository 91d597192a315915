package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Scope;
import dev.reel.Shape;
import dev.reel.Tensor;

/** Long-lived buffers of a model: never owned by a caller's open {@link Scope}, whose close would free them under us. */
final class Buffers {
    private Buffers() {}

    static Tensor owned(Device device, long elements) {
        try (Scope mine = Scope.open()) {
            return mine.keep(Tensor.allocate(device, DType.F32, Shape.of(elements)));
        }
    }
}
