package dev.reel.model;

import dev.reel.nn.Conv2d;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model folder's video autoencoder (reel-vae-2d), opened and checked: the
 * {@code "autoencoder"} block of {@code config.json} ({@link AutoencoderConfig}) and the
 * weights file it names, memory-mapped. Every tensor of the architecture must be there with
 * its shape, as F32 with finite values, and no other tensor; a problem is a
 * {@link ModelFormatException} naming the file and the tensor.
 *
 * <pre>{@code
 * try (Autoencoder ae = Autoencoder.open(folder);
 *      VideoDecoder decoder = ae.decoder()) {
 *     Tensor frames = decoder.decode(latent);   // [B, C, T, h, w] -> [B, 3, T, 8h, 8w]
 * }
 * }</pre>
 *
 * <p>A {@link ModelFolder} whose config has the block opens its autoencoder with it
 * ({@link ModelFolder#autoencoder()}); {@link #open} reads one from any folder, with or
 * without a transformer. Closing unmaps the weights: close the decoders and encoders
 * first (using one afterwards is an IllegalStateException).
 */
public final class Autoencoder implements AutoCloseable {
    private final String name;
    private final AutoencoderConfig config;
    private final SafeTensors weights;
    /** Device copies of weights, by device, dtype and name: made once, freed on close. */
    private final java.util.Map<String, dev.reel.Tensor> onDevice = new java.util.HashMap<>();
    private volatile boolean closed;

    private Autoencoder(String name, AutoencoderConfig config, SafeTensors weights) {
        this.name = name;
        this.config = config;
        this.weights = weights;
    }

    /** Opens the autoencoder of the model folder {@code folder} (config.json's "autoencoder" block and its file). */
    public static Autoencoder open(Path folder) {
        if (folder == null) {
            throw new IllegalArgumentException("folder is null");
        }
        if (!Files.isDirectory(folder)) {
            throw new ModelFormatException(folder, "folder", Files.exists(folder) ? "is a file, not a model folder"
                    : "does not exist");
        }
        Path configFile = folder.resolve(ModelFolder.CONFIG);
        byte[] json = SafeTensors.readSmallFile(configFile, ModelConfig.MAX_FILE_BYTES);
        return open(folder, AutoencoderConfig.parse(configFile.toString(), json));
    }

    /** Opens the weights that {@code config} names in {@code folder} and checks them. */
    static Autoencoder open(Path folder, AutoencoderConfig config) {
        Path file = folder.resolve(config.weightsFile());
        if (!Files.exists(file)) {
            throw new ModelFormatException(file, "file", "missing (" + config.source() + "'s autoencoder.file names it)");
        }
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return checked(name == null ? folder.toString() : name.toString(), config, SafeTensors.open(file));
    }

    /** An autoencoder whose weights are the bytes of a class-path resource. */
    static Autoencoder fromBuffer(String name, AutoencoderConfig config, String resource, ByteBuffer bytes) {
        return checked(name, config, SafeTensors.fromBuffer(resource, bytes));
    }

    private static Autoencoder checked(String name, AutoencoderConfig config, SafeTensors weights) {
        try {
            TensorCheck.check(weights, config.expectedTensors(), AutoencoderConfig.ARCHITECTURE, config.source(), true);
            return new Autoencoder(name, config, weights);
        } catch (RuntimeException | Error e) {
            weights.close();
            throw e;
        }
    }

    public AutoencoderConfig config() {
        return config;
    }

    /** The checked weights, as mapped. */
    public SafeTensors weights() {
        return weights;
    }

    /** A decoder of this autoencoder's latents (its own buffers; the weights stay the autoencoder's). */
    public VideoDecoder decoder() {
        requireOpen();
        return new VideoDecoder(this);
    }

    /**
     * A decoder running on {@code device}, every kernel queued on {@code stream}; on CUDA its
     * weights are copied to the device once (convolution matrices bf16, the rest fp32).
     */
    VideoDecoder decoder(dev.reel.Device device, long stream) {
        requireOpen();
        return new VideoDecoder(this, device, stream);
    }

    /** An encoder of videos into this autoencoder's latents. */
    public VideoEncoder encoder() {
        requireOpen();
        return new VideoEncoder(this);
    }

    /** The address of a weight in the mapping (F32, checked at open). */
    long address(String tensor) {
        requireOpen();
        return weights.entry(tensor).address();
    }

    /** The weight where {@code device} reads it: the mapping on the CPU, else a device copy stored as {@code dtype}. */
    synchronized long address(String tensor, dev.reel.Device device, dev.reel.DType dtype) {
        if (!device.isCuda()) {
            return address(tensor);
        }
        String key = device.ordinal() + ":" + dtype + ":" + tensor;
        dev.reel.Tensor copy = onDevice.get(key);
        if (copy == null) {
            copy = Buffers.upload(device, address(tensor), weights.entry(tensor).numel(), dtype);
            onDevice.put(key, copy);
        }
        return copy.address();
    }

    /** The 3×3 convolution {@code prefix} ({@code prefix.weight [out, in, 3, 3]}, {@code prefix.bias}). */
    Conv2d conv(String prefix, int stride) {
        return conv(prefix, stride, dev.reel.Device.CPU);
    }

    /** The convolution as {@code device} runs it: on CUDA its matrix bf16, its bias fp32. */
    Conv2d conv(String prefix, int stride, dev.reel.Device device) {
        long[] shape = weights.entry(prefix + ".weight").shape();
        return new Conv2d(prefix, shape[1], shape[0], (int) shape[2], stride,
                address(prefix + ".weight", device, dev.reel.DType.BF16),
                address(prefix + ".bias", device, dev.reel.DType.F32));
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("autoencoder " + name + " is closed");
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Unmaps the weights. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        onDevice.values().forEach(dev.reel.Tensor::close);
        onDevice.clear();
        weights.close();
    }

    @Override
    public String toString() {
        return "Autoencoder(" + name + ", " + config + (closed ? ", closed)" : ")");
    }
}
