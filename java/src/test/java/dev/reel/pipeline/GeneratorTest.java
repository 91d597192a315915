package dev.reel.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reel.model.PromptException;
import dev.reel.sampling.SamplerKind;
import dev.reel.video.Video;
import dev.reel.video.VideoWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
    private static Generator generator;

    @TempDir
    Path temp;

    @BeforeAll
    static void load() {
        generator = Generator.embedded();
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    private static GenerationRequest.Builder quick(String prompt) {
        return GenerationRequest.builder().prompt(prompt).steps(6);
    }

    @Test
    void aVideoHasTheModelsShape() {
        Video v = generator.generate(quick("a red circle moving right").build()).get(0).video();
        assertEquals(generator.model().config().frames(), v.frames());
        assertEquals(generator.model().videoWidth(), v.width());
        assertEquals(generator.model().videoHeight(), v.height());
        assertEquals(Generator.DEFAULT_FPS, v.fps());
    }

    @Test
    void theSameRequestGivesTheSameBits() {
        GenerationRequest r = quick("a green square moving up").seed(7).build();
        byte[] a = generator.generate(r).get(0).video().rgb();
        byte[] b = generator.generate(r).get(0).video().rgb();
        assertArrayEquals(a, b);
        byte[] other = generator.generate(r.toBuilder().seed(8).build()).get(0).video().rgb();
        assertFalse(java.util.Arrays.equals(a, other), "another seed gave the same video");
    }

    @Test
    void variationsAreSeedsAndBatchingDoesNotChangeThem() {
        GenerationRequest batched = quick("a yellow diamond moving left").seed(100).variations(3).maxBatch(3).build();
        List<GeneratedVideo> together = generator.generate(batched);
        assertEquals(3, together.size());
        for (int v = 0; v < 3; v++) {
            assertEquals(100 + v, together.get(v).seed());
            GenerationRequest alone = quick("a yellow diamond moving left").seed(100 + v).build();
            byte[] single = generator.generate(alone).get(0).video().rgb();
            int maxDiff = maxDiff(single, together.get(v).video().rgb());
            // each video has its own sampler and noise; batched products may round differently in the last bit
            assertTrue(maxDiff <= 1, "variation " + v + " differs from its single run by " + maxDiff + " levels");
        }
    }

    @Test
    void aBatchOfPromptsComesBackInOrder() {
        GenerationRequest r = quick("a red circle moving right").prompt("a blue square moving down").variations(2)
                .maxBatch(3).build();
        List<GeneratedVideo> out = generator.generate(r);
        assertEquals(4, out.size());
        assertEquals(List.of("a red circle moving right", "a red circle moving right", "a blue square moving down",
                "a blue square moving down"), out.stream().map(GeneratedVideo::prompt).toList());
        assertEquals(List.of(42L, 43L, 42L, 43L), out.stream().map(GeneratedVideo::seed).toList());
    }

    @Test
    void compatibleRequestsShareForwardsAndKeepTheirSeeds() {
        GenerationRequest a = quick("a red circle moving right").seed(5).build();
        GenerationRequest b = quick("a blue square moving down").seed(900).variations(2).size(64, 64).build();
        List<GeneratedVideo> out = generator.generate(List.of(a, b), null);
        assertEquals(List.of(5L, 900L, 901L), out.stream().map(GeneratedVideo::seed).toList());
        assertEquals(List.of(a, b, b), out.stream().map(GeneratedVideo::request).toList());
        byte[] alone = generator.generate(b.toBuilder().seed(901).variations(1).build()).get(0).video().rgb();
        assertTrue(maxDiff(alone, out.get(2).video().rgb()) <= 1, "a packed video differs from its single run");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> generator.generate(List.of(a, quick("a red circle moving right").steps(7).build()), null));
        assertTrue(e.getMessage().contains("must share"), e.getMessage());
    }

    @Test
    void everySamplerRuns() {
        for (SamplerKind kind : SamplerKind.values()) {
            Video v = generator.generate(quick("a cyan circle static").sampler(kind).build()).get(0).video();
            assertEquals(generator.model().config().frames(), v.frames(), kind.toString());
        }
    }

    @Test
    void progressSeesEveryPhaseAndStep() {
        List<Progress> seen = new ArrayList<>();
        generator.generate(quick("a white square moving up").build(), seen::add);
        List<Phase> phases = seen.stream().map(Progress::phase).distinct().toList();
        assertEquals(List.of(Phase.ENCODE, Phase.STEP, Phase.DECODE, Phase.DONE), phases);
        List<Progress> steps = seen.stream().filter(p -> p.phase() == Phase.STEP).toList();
        assertEquals(6, steps.size());
        assertEquals(6, steps.get(5).step());
        assertEquals(6, steps.get(5).steps());
        assertTrue(steps.get(0).eta() != null && !steps.get(0).eta().isNegative());
    }

    @Test
    void anUnknownWordFailsBeforeAnyWork() {
        List<Progress> seen = new ArrayList<>();
        PromptException e = assertThrows(PromptException.class,
                () -> generator.generate(quick("a red elephant moving right").build(), seen::add));
        assertTrue(e.getMessage().contains("elephant"), e.getMessage());
        assertTrue(seen.stream().noneMatch(p -> p.phase() == Phase.STEP));
    }

    @Test
    void asyncCancelStopsWithinOneStep() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        List<Progress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<List<GeneratedVideo>> f = generator.generateAsync(
                GenerationRequest.builder().prompt("a red circle moving right").steps(200).build(), p -> {
                    seen.add(p);
                    if (p.phase() == Phase.STEP) {
                        started.countDown();
                    }
                });
        assertTrue(started.await(30, TimeUnit.SECONDS));
        f.cancel(true);
        assertTrue(f.isCancelled());
        // the generator is free again once the run has stopped: the next request runs at once
        long t0 = System.nanoTime();
        generator.generate(quick("a red circle moving right").build());
        long steps = seen.stream().filter(p -> p.phase() == Phase.STEP).count();
        assertTrue(steps < 200, "the cancelled run went on to the end");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20));
    }

    @Test
    void anInterruptCancelsASynchronousRun() throws Exception {
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            caller.interrupt();
        });
        interrupter.start();
        try {
            assertThrows(CancellationException.class,
                    () -> generator.generate(GenerationRequest.builder().prompt("a red circle moving right").steps(500).build()));
        } finally {
            interrupter.join();
            Thread.interrupted();   // clear the flag for the next test
        }
    }

    @Test
    void strengthZeroReturnsTheInputAndOneIgnoresIt() {
        Video source = generator.generate(quick("a magenta triangle moving down").seed(3).build()).get(0).video();
        Path file = temp.resolve("init");
        VideoWriter.builder().format(dev.reel.video.VideoFormat.PNG).size(source.width(), source.height()).build()
                .write(source, file);

        Video kept = generator.generate(quick("a red circle moving right").init(file, 0).build()).get(0).video();
        GenerationRequest t2v = quick("a red circle moving right").seed(5).build();
        Video fromNoise = generator.generate(t2v).get(0).video();
        if (generator.model().hasAutoencoder()) {
            // the input through the autoencoder and back: its reconstruction error (35.7 dB measured on
            // this generated clip, 44 dB on rendered ones), far closer than another video
            double kept0 = psnr(source.rgb(), kept.rgb()), other = psnr(source.rgb(), fromNoise.rgb());
            assertTrue(kept0 >= 32 && kept0 >= other + 10, "strength 0 must return the input: PSNR " + kept0
                    + " dB, another video's " + other + " dB");
        } else {
            assertArrayEquals(source.rgb(), kept.rgb(), "strength 0 must return the input");
        }
        Video ignored = generator.generate(t2v.toBuilder().init(file, 1).build()).get(0).video();
        assertArrayEquals(fromNoise.rgb(), ignored.rgb(), "strength 1 must ignore the input");

        Video halfway = generator.generate(t2v.toBuilder().init(file, 0.5).build()).get(0).video();
        assertTrue(maxDiff(halfway.rgb(), source.rgb()) > 0 && maxDiff(halfway.rgb(), fromNoise.rgb()) > 0);
    }

    @Test
    void theRequestPrintsTheCommandThatReproducesIt() {
        GenerationRequest r = GenerationRequest.builder().prompt("a red circle moving right").negativePrompt("it's blue")
                .steps(10).sampler(SamplerKind.DPM_SOLVER_2M).guidance(3.5).seed(9).variations(4).size(512, 512)
                .fps(24).build();
        assertEquals("reel generate --prompt 'a red circle moving right' --negative 'it'\\''s blue' --steps 10 "
                + "--sampler dpm_solver_2m --guidance 3.5 --seed 9 --variations 4 --size 512x512 --fps 24", r.toString());
        assertEquals(r, r.toBuilder().build());
        GenerationRequest limited = r.toBuilder().guidanceInterval(0.85, 1).build();
        assertTrue(limited.toString().contains(" --guidance 3.5 --guidance-interval 0.85,1 "), limited.toString());
        assertEquals(limited, limited.toBuilder().build());
        assertFalse(limited.equals(r) || limited.sharesSamplingWith(r), "the interval is part of the sampling");
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationRequest.builder().init(Path.of("x.mp4"), 1.5));
        assertTrue(e.getMessage().contains("strength"));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().steps(0));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().guidance(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().guidanceInterval(0.5, 0.2));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().guidanceInterval(0, 1.01));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().size(1, 64));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder().fps(0));
    }

    private static int maxDiff(byte[] a, byte[] b) {
        int m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return m;
    }


    /** Peak signal-to-noise ratio of b against a, 8-bit samples, in dB. */
    private static double psnr(byte[] a, byte[] b) {
        assertEquals(a.length, b.length);
        double se = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (a[i] & 0xff) - (b[i] & 0xff);
            se += d * d;
        }
        return se == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 * a.length / se);
    }
}
