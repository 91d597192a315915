package dev.reel.nn;

import dev.reel.Device;
import dev.reel.ReelException;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;

/**
 * A CUDA stream that Reel made (through the CUDA presets' runtime), for a model that
 * owns its stream. It is a blocking stream ({@code cudaStreamCreate}): work queued on
 * the legacy default stream — {@link dev.reel.Tensor}'s copies, samplers' steps —
 * waits for it and it waits for them, so results cross between the two in order.
 * Like {@link CudaGemm}, only the CUDA backend loads this class.
 */
public final class CudaStream implements AutoCloseable {
    private final Device device;
    private final CUstream_st stream;
    private boolean closed;

    private CudaStream(Device device, CUstream_st stream) {
        this.device = device;
        this.stream = stream;
    }

    /** A new stream on {@code device}. */
    public static CudaStream create(Device device) {
        if (device == null || !device.isCuda()) {
            throw new IllegalArgumentException("a CUDA stream needs a CUDA device; device is " + device);
        }
        CudaGemm.setDevice(device);
        CUstream_st stream = new CUstream_st();
        int status = cudart.cudaStreamCreate(stream);
        if (status != cudart.cudaSuccess) {
            throw new ReelException(ReelException.Status.CUDA, "cudaStreamCreate on " + device + " failed: "
                    + cudart.cudaGetErrorString(status).getString());
        }
        return new CudaStream(device, stream);
    }

    /** The {@code cudaStream_t}, as libreel's calls take it. */
    public long handle() {
        if (closed) {
            throw new IllegalStateException("this CudaStream is closed");
        }
        return stream.address();
    }

    public Device device() {
        return device;
    }

    /** Destroys the stream; work already queued on it still completes. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CudaGemm.setDevice(device);
            cudart.cudaStreamDestroy(stream);
        }
    }
}
