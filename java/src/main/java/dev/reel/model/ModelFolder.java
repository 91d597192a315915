package dev.reel.model;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.ReelException;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.ffi.ReelNative;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model folder, opened and checked: {@code config.json}, {@code vocabulary.json} and the
 * weights, {@code model.safetensors} or shards listed by {@code model.safetensors.index.json}.
 *
 * <p>{@link #open} refuses, with a {@link ModelFormatException} naming the file and the
 * tensor or field, a missing folder or file, a config or vocabulary that does not parse or
 * does not hold (see {@link ModelConfig}, {@link Vocabulary}), a vocabulary whose size or
 * length differs from the config's, a safetensors file that does not hold (see
 * {@link SafeTensors}), a tensor that the configuration expects and the weights lack, a
 * tensor the weights have and the configuration does not expect (a wrong or mixed-up file),
 * a tensor of another shape, and a NaN or infinite weight. A config with an
 * {@code "autoencoder"} block also opens the autoencoder's weights and checks them the same
 * way ({@link Autoencoder}; they must be F32). The config is checked before the weights are
 * mapped, so an absurd configuration is refused before anything is allocated.
 *
 * <pre>{@code
 * try (ModelFolder model = ModelFolder.embedded()) {
 *     Prompt p = model.vocabulary().encode("a red circle moving right");
 *     Tensor w = model.weight("blocks.0.attn.qkv.weight");   // F32 on the CPU, owned by the folder
 * }
 * }</pre>
 *
 * <p>Tensors from {@link #weight} belong to the folder: F32 weights are views of the mapping
 * (no copy), BF16 and F16 weights are converted to F32 once, on first use. Closing the
 * folder closes those tensors (using one afterwards is an IllegalStateException), frees the
 * converted copies and unmaps the file. Safe for concurrent use until closed.
 */
public final class ModelFolder implements AutoCloseable {
    public static final String CONFIG = "config.json";
    public static final String VOCABULARY = "vocabulary.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** Where the embedded model lies on the class path. */
    public static final String EMBEDDED_RESOURCE = "/dev/reel/model/embedded/";

    private final String name;
    private final String location;
    private final ModelConfig config;
    private final Vocabulary vocabulary;
    private final SafeTensors weights;
    private final Autoencoder autoencoder;   // null: a pixel-space model
    private final Map<String, Tensor> views = new HashMap<>();
    private final Converted converted = new Converted();
    private final Cleaner.Cleanable cleanable;
    private String sha256;
    private boolean closed;

    private ModelFolder(String name, String location, ModelConfig config, Vocabulary vocabulary, SafeTensors weights,
            Autoencoder autoencoder) {
        this.name = name;
        this.location = location;
        this.config = config;
        this.vocabulary = vocabulary;
        this.weights = weights;
        this.autoencoder = autoencoder;
        this.cleanable = CLEANER.register(this, converted);
    }

    private static final Cleaner CLEANER = Cleaner.create();

    /**
     * The F32 copies of BF16 / F16 weights, by name; freed by close or, for a folder that was
     * never closed, once it is unreachable (as its mapping is).
     */
    private static final class Converted implements Runnable {
        final Map<String, Long> addresses = new HashMap<>();

        @Override
        public synchronized void run() {
            for (long address : addresses.values()) {
                ReelNative.reel_free(Device.CPU.ordinal(), address);
            }
            addresses.clear();
        }
    }

    /** Opens and checks the model folder at {@code folder}. */
    public static ModelFolder open(Path folder) {
        if (folder == null) {
            throw new IllegalArgumentException("folder is null");
        }
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return open(folder, name == null ? folder.toString() : name.toString());
    }

    private static ModelFolder open(Path folder, String name) {
        if (!Files.exists(folder)) {
            throw new ModelFormatException(folder, "folder", "does not exist");
        }
        if (!Files.isDirectory(folder)) {
            throw new ModelFormatException(folder, "folder", "is a file, not a model folder");
        }
        Path configFile = folder.resolve(CONFIG);
        Path vocabularyFile = folder.resolve(VOCABULARY);
        byte[] config = SafeTensors.readSmallFile(configFile, ModelConfig.MAX_FILE_BYTES);
        byte[] vocabulary = SafeTensors.readSmallFile(vocabularyFile, Vocabulary.MAX_FILE_BYTES);
        Path single = folder.resolve(WEIGHTS);
        Path index = folder.resolve(INDEX);
        boolean sharded = Files.exists(index);
        if (sharded && Files.exists(single)) {
            throw new ModelFormatException(folder, "weights", "holds both " + WEIGHTS + " and " + INDEX
                    + "; keep one");
        }
        if (!sharded && !Files.exists(single)) {
            throw new ModelFormatException(single, "file", "missing (nor is there a " + INDEX + ")");
        }
        return load(name, folder.toString(), configFile.toString(), config, vocabularyFile.toString(), vocabulary,
                () -> sharded ? SafeTensors.openIndex(index) : SafeTensors.open(single),
                ae -> Autoencoder.open(folder, ae));
    }

    /**
     * Opens the model shipped in Reel's jar under {@link #EMBEDDED_RESOURCE}. From a class
     * folder the weights are memory-mapped; from inside a jar they are read into a direct
     * buffer (no temporary file).
     */
    public static ModelFolder embedded() {
        return fromResources(ModelFolder.class.getClassLoader(), EMBEDDED_RESOURCE.substring(1), "embedded");
    }

    /** The model folder whose files are the class-path resources under {@code prefix} ("a/b/"). */
    static ModelFolder fromResources(ClassLoader loader, String prefix, String name) {
        URL config = loader.getResource(prefix + CONFIG);
        if (config == null) {
            throw new ModelFormatException(prefix + CONFIG, "resource", "missing from the class path");
        }
        if (config.getProtocol().equals("file")) {
            try {
                return open(Path.of(config.toURI()).getParent(), name);
            } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                // not a plain file after all: read it like a jar entry
            }
        }
        byte[] configBytes = resource(loader, prefix + CONFIG);
        byte[] vocabularyBytes = resource(loader, prefix + VOCABULARY);
        String weightsName = prefix + WEIGHTS;
        return load(name, config.toString(), prefix + CONFIG, configBytes, prefix + VOCABULARY, vocabularyBytes,
                () -> SafeTensors.fromBuffer(weightsName, directResource(loader, weightsName)),
                ae -> Autoencoder.fromBuffer(name, ae, prefix + ae.weightsFile(),
                        directResource(loader, prefix + ae.weightsFile())));
    }

    private static byte[] resource(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ModelFormatException(resource, "resource", "missing from the class path");
            }
            return in.readNBytes((int) Vocabulary.MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new ModelFormatException(resource, "resource", "cannot be read: " + e, e);
        }
    }

    private static ByteBuffer directResource(ClassLoader loader, String resource) {
        URL url = loader.getResource(resource);
        if (url == null) {
            throw new ModelFormatException(resource, "resource", "missing from the class path");
        }
        try {
            URLConnection connection = url.openConnection();
            connection.setUseCaches(false); // else the jar stays open after the read
            long size = connection.getContentLengthLong();
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(resource, "resource", "is " + size
                        + " bytes, more than one buffer holds; ship the weights as a folder");
            }
            try (InputStream in = connection.getInputStream(); ReadableByteChannel channel = Channels.newChannel(in)) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(size >= 0 ? (int) size : 1 << 20);
                while (true) {
                    if (!buffer.hasRemaining()) {
                        if (size >= 0) {
                            if (in.read() >= 0) {
                                throw new ModelFormatException(resource, "resource", "is longer than its "
                                        + size + " bytes recorded in the jar");
                            }
                            break;
                        }
                        buffer = grow(resource, buffer);
                    }
                    if (channel.read(buffer) < 0) {
                        break;
                    }
                }
                return buffer.flip();
            }
        } catch (IOException e) {
            throw new ModelFormatException(resource, "resource", "cannot be read: " + e, e);
        }
    }

    private static ByteBuffer grow(String resource, ByteBuffer full) {
        long next = 2L * full.capacity();
        if (next > Integer.MAX_VALUE) {
            throw new ModelFormatException(resource, "resource", "is more than one buffer holds");
        }
        ByteBuffer bigger = ByteBuffer.allocateDirect((int) next);
        bigger.put(full.flip());
        return bigger;
    }

    interface WeightsOpener {
        SafeTensors open();
    }

    interface AutoencoderOpener {
        Autoencoder open(AutoencoderConfig config);
    }

    /** {@link #load} of a source that holds no autoencoder weights (a config with the block is refused). */
    static ModelFolder load(String name, String location, String configFile, byte[] config, String vocabularyFile,
            byte[] vocabulary, WeightsOpener weightsOpener) {
        return load(name, location, configFile, config, vocabularyFile, vocabulary, weightsOpener, ae -> {
            throw new ModelFormatException(configFile, "autoencoder", "this model source holds no autoencoder weights");
        });
    }

    /** Checks config and vocabulary, then opens the weights (and the autoencoder's) and checks them against both. */
    static ModelFolder load(String name, String location, String configFile, byte[] config, String vocabularyFile,
            byte[] vocabulary, WeightsOpener weightsOpener, AutoencoderOpener autoencoderOpener) {
        ModelConfig cfg = ModelConfig.parse(configFile, config);
        Vocabulary vocab = Vocabulary.parse(vocabularyFile, vocabulary);
        if (vocab.size() != cfg.vocabSize()) {
            throw new ModelFormatException(configFile, "vocab_size", cfg.vocabSize() + ", but " + vocabularyFile
                    + " has " + vocab.size() + " tokens");
        }
        if (vocab.maxTokens() != cfg.maxTokens()) {
            throw new ModelFormatException(configFile, "max_tokens", cfg.maxTokens() + ", but " + vocabularyFile
                    + " has max_tokens " + vocab.maxTokens());
        }
        SafeTensors weights = weightsOpener.open();
        Autoencoder autoencoder = null;
        try {
            TensorCheck.check(weights, cfg.expectedTensors(), ModelConfig.ARCHITECTURE, cfg.file(), false);
            if (cfg.autoencoder().isPresent()) {
                autoencoder = autoencoderOpener.open(cfg.autoencoder().get());
            }
            return new ModelFolder(name, location, cfg, vocab, weights, autoencoder);
        } catch (RuntimeException | Error e) {
            if (autoencoder != null) {
                autoencoder.close();
            }
            weights.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- access

    /** The folder's name ({@code embedded} for the embedded model). */
    public String name() {
        return name;
    }

    /** Where the folder is: its path, or the resource URL of the embedded model. */
    public String location() {
        return location;
    }

    public ModelConfig config() {
        return config;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** The checked weights, as mapped. */
    public SafeTensors weights() {
        return weights;
    }

    /**
     * The folder's video autoencoder, opened and checked with the folder when config.json has
     * an {@code "autoencoder"} block; owned by the folder (closed with it).
     */
    public java.util.Optional<Autoencoder> autoencoder() {
        return java.util.Optional.ofNullable(autoencoder);
    }

    /**
     * The weight as an F32 tensor on the CPU with the shape of
     * {@link ModelConfig#expectedTensors()}; owned by the folder (closing it is allowed and
     * harmless; a later call hands out a fresh view). An unknown name is a
     * {@link ModelFormatException}.
     *
     * <p>The tensor is read-only (an F32 weight is the read-only mapping itself) and views
     * memory the folder owns: keep the folder open, and reachable, while the tensor is in
     * use. Closing the folder closes the tensor; a folder dropped without close releases
     * its memory when collected, under any tensor still in use.
     */
    public synchronized Tensor weight(String tensor) {
        requireOpen();
        Tensor view = views.get(tensor);
        if (view != null && !view.isClosed()) {
            return view;
        }
        SafeTensors.Entry e = weights.entry(tensor);
        long address = e.address();
        if (e.dtype() != DType.F32) {
            synchronized (converted) {
                Long copy = converted.addresses.get(tensor);
                if (copy == null) {
                    copy = convert(e);
                    converted.addresses.put(tensor, copy);
                }
                address = copy;
            }
        }
        view = Tensor.wrap(Device.CPU, DType.F32, Shape.of(e.shape()), address);
        views.put(tensor, view);
        return view;
    }

    /** An F32 copy of a BF16 / F16 weight in memory that the folder frees on close. */
    private static long convert(SafeTensors.Entry e) {
        long[] out = new long[1];
        int cpu = Device.CPU.ordinal();
        ReelException.check(ReelNative.reel_malloc(cpu, Math.max(4 * e.numel(), 1), out));
        try {
            ReelException.check(ReelNative.reel_convert(cpu, 0L, out[0], DType.F32.code(), e.address(),
                    e.dtype().code(), e.numel()));
        } catch (RuntimeException failed) {
            ReelNative.reel_free(cpu, out[0]);
            throw failed;
        }
        return out[0];
    }

    /**
     * The SHA-256 (lower-case hex) of the weight file's bytes (shards: one after another in
     * file-name order), computed on first call.
     */
    public synchronized String weightsSha256() {
        requireOpen();
        if (sha256 == null) {
            sha256 = weights.sha256();
        }
        return sha256;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("model folder " + name + " is closed");
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** Closes the weight tensors handed out, frees converted copies and unmaps the weights. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Tensor t : views.values()) {
            t.close();
        }
        views.clear();
        cleanable.clean();
        weights.close();
        if (autoencoder != null) {
            autoencoder.close();
        }
    }

    @Override
    public String toString() {
        return "ModelFolder(" + name + ", " + config + (closed ? ", closed)" : ")");
    }
}
