package dev.reel.model;

import dev.reel.Tensor;
import java.util.List;
import org.bytedeco.javacpp.LongPointer;

/**
 * What a forward needs of its prompts, computed once per generation by
 * {@link VideoModel#encode}: the token ids and valid lengths, the text context,
 * the prompt's share of the conditioning vector (the pooled text through
 * {@code pool}, with the biases that add to it), and every block's
 * cross-attention K and V. One row per forward row: conditional and unconditional
 * prompts are separate rows.
 */
public final class PromptContext implements AutoCloseable {
    private final VideoModel model;
    private final List<Prompt> prompts;
    final LongPointer ids;       // [R, L] int64
    final LongPointer lengths;   // [R] int64
    private final Tensor idsOnDevice, lengthsOnDevice;   // CUDA: device copies; null on the CPU
    final long idsAt, lengthsAt;  // where the kernels read ids and lengths: host or device memory
    final Tensor ctx;            // [R, L, D]
    final Tensor promptBias;     // [R, D]
    final Tensor[] kv;           // per block [R, L, 2D], k RMS-normalised
    private boolean closed;

    PromptContext(VideoModel model, List<Prompt> prompts, LongPointer ids, LongPointer lengths, Tensor idsOnDevice,
                  Tensor lengthsOnDevice, Tensor ctx, Tensor promptBias, Tensor[] kv) {
        this.model = model;
        this.prompts = List.copyOf(prompts);
        this.ids = ids;
        this.lengths = lengths;
        this.idsOnDevice = idsOnDevice;
        this.lengthsOnDevice = lengthsOnDevice;
        this.idsAt = idsOnDevice != null ? idsOnDevice.address() : ids.address();
        this.lengthsAt = lengthsOnDevice != null ? lengthsOnDevice.address() : lengths.address();
        this.ctx = ctx;
        this.promptBias = promptBias;
        this.kv = kv;
    }

    /** Rows of a forward that uses this context. */
    public int rows() {
        return prompts.size();
    }

    public List<Prompt> prompts() {
        return prompts;
    }

    VideoModel model() {
        return model;
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this PromptContext is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ctx.close();
        promptBias.close();
        for (Tensor t : kv) {
            if (t != null) {
                t.close();
            }
        }
        ids.close();
        lengths.close();
        if (idsOnDevice != null) {
            idsOnDevice.close();
            lengthsOnDevice.close();
        }
    }
}
