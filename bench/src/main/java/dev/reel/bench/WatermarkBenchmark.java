package dev.reel.bench;

import dev.reel.provenance.Watermark;
import dev.reel.provenance.WatermarkKey;
import dev.reel.provenance.WatermarkReading;
import dev.reel.video.Scaling;
import dev.reel.video.Video;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The watermark's cost on one core: embedding and detection on an 8-frame 256×256
 * clip shaped like Reel's output (32×32 frames scaled up 8× with nearest), reported
 * in frames per second (each call handles 8 frames). The ceiling it is measured
 * against is {@link #lumaPass}: one read of every pixel computing its luma, the least
 * any luma watermark must do. Target: both above 200 frames/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@Fork(1)
public class WatermarkBenchmark {
    private static final int FRAMES = 8;

    private Video clip, marked;
    private WatermarkKey key;
    private long payload;
    private byte[] rgb;

    @Setup
    public void setUp() {
        Random r = new Random(42);
        byte[] small = new byte[FRAMES * 32 * 32 * 3];
        r.nextBytes(small);
        clip = Video.ofRgb(small, FRAMES, 32, 32, 8.0).resize(256, 256, Scaling.NEAREST);
        key = WatermarkKey.defaultKey();
        marked = Watermark.embed(clip, key, 1);
        Watermark.detect(marked, key);  // the key's layout for this grid is made once and cached
        rgb = clip.rgb();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public Video embed() {
        return Watermark.embed(clip, key, ++payload);
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public WatermarkReading detect() {
        return Watermark.detect(marked, key);
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long lumaPass() {
        long sum = 0;
        for (int i = 0; i < rgb.length; i += 3) {
            sum += 13933 * (rgb[i] & 0xff) + 46871 * (rgb[i + 1] & 0xff) + 4732 * (rgb[i + 2] & 0xff);
        }
        return sum;
    }
}
