package dev.reel.bench;

import dev.reel.DType;
import dev.reel.Device;
import dev.reel.Shape;
import dev.reel.Tensor;
import dev.reel.model.Autoencoder;
import dev.reel.model.VideoDecoder;
import dev.reel.model.VideoEncoder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reel-vae-2d autoencoder on the CPU: decoding one latent video {@code [C, frames,
 * size/f, size/f]} into {@code frames} frames of {@code size × size}, and encoding them back
 * — the work {@code bench/model/twin_autoencoder.py} times in the PyTorch twin on the same
 * folder, sizes and thread count. {@code folder} is a model folder with an autoencoder (for
 * example one written by {@code tools/eval_autoencoder.py --export}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class AutoencoderBenchmark {
    @Param({""})
    public String folder;

    @Param({"16"})
    public int frames;

    @Param({"128"})
    public int size;

    private Autoencoder autoencoder;
    private VideoDecoder decoder;
    private VideoEncoder encoder;
    private Tensor latent;
    private Tensor video;

    @Setup
    public void setUp() {
        if (folder.isEmpty()) {
            throw new IllegalArgumentException("-p folder=MODEL_FOLDER: a folder with an autoencoder");
        }
        autoencoder = Autoencoder.open(Path.of(folder));
        decoder = autoencoder.decoder();
        encoder = autoencoder.encoder();
        int f = autoencoder.config().downsample(), c = autoencoder.config().latentChannels();
        latent = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, c, frames, size / f, size / f));
        video = Tensor.allocate(Device.CPU, DType.F32, Shape.of(1, 3, frames, size, size));
        float[] v = new float[(int) latent.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * 0.37);
        }
        latent.copyFrom(v);
        decoder.decode(latent, video);
    }

    @Benchmark
    public Tensor decode() {
        decoder.decode(latent, video);
        return video;
    }

    @Benchmark
    public Tensor encode() {
        encoder.encode(video, latent);
        return latent;
    }

    @TearDown
    public void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {latent, video, decoder, encoder, autoencoder}) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
