package dev.reel.cli;

import dev.reel.Device;
import dev.reel.model.VideoModel;
import dev.reel.pipeline.GeneratedVideo;
import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import dev.reel.pipeline.Phase;
import dev.reel.pipeline.Progress;
import dev.reel.pipeline.ProgressListener;
import dev.reel.provenance.MarkedWriter;
import dev.reel.provenance.Provenance;
import dev.reel.provenance.SigningKey;
import dev.reel.provenance.Watermark;
import dev.reel.provenance.WatermarkKey;
import dev.reel.sampling.SamplerKind;
import dev.reel.video.FrameRate;
import dev.reel.video.Video;
import dev.reel.video.VideoFormat;
import dev.reel.video.VideoWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reel generate}: text (or video) to video files. Every file it writes carries
 * Reel's watermark in its pixels, and every video its signed manifest
 * ({@link MarkedWriter}); the contact sheet carries the mark of the first video.
 */
@Command(name = "generate", sortOptions = false,
        description = "Generate videos from a prompt with the embedded model (or --model) and write them as MP4, WebM, "
                + "GIF or PNG frames.")
final class Generate implements Callable<Integer> {
    /** The shortest side a watermark fits in (Watermark.embed refuses less). */
    private static final int MIN_MARKED_SIDE = 32;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT",
            description = "What to show, e.g. \"a red circle moving right\". Repeat for a batch of prompts.")
    List<String> prompts;

    @Option(names = "--negative", paramLabel = "TEXT", description = "Negative prompt (default: none).")
    String negative = "";

    @Option(names = "--seed", description = "Seed of the first video (default: ${DEFAULT-VALUE}).")
    long seed = GenerationRequest.DEFAULT_SEED;

    @Option(names = "--steps", description = "Sampler steps (default: the model's).")
    Integer steps;

    @Option(names = "--sampler", paramLabel = "NAME",
            description = "euler, heun, dpm-solver-2m, ddim, ddpm or euler-ancestral (default: the model's).")
    String sampler;

    @Option(names = "--guidance", description = "Classifier-free guidance scale (default: the model's).")
    Double guidance;

    @Option(names = "--guidance-interval", paramLabel = "FROM,TO",
            description = "Apply guidance only at noise levels t in [FROM, TO], 0 <= FROM <= TO <= 1; 0,1: every step "
                    + "(default: the model's).")
    String guidanceInterval;

    @Option(names = "--variations", description = "Videos per prompt, with seeds seed, seed+1, ... "
            + "(files named by seed, plus a contact sheet).")
    int variations = 1;

    @Option(names = "--batch", description = "At most this many videos per batched forward (default: ${DEFAULT-VALUE}).")
    int batch = GenerationRequest.DEFAULT_MAX_BATCH;

    @Option(names = "--init", paramLabel = "FILE", description = "Start from this video or image (video-to-video).")
    Path init;

    @Option(names = "--strength", description = "How far --init is noised: 0 keeps it, 1 ignores it (default: 0.6).")
    Double strength;

    @Option(names = "--size", paramLabel = "WxH", description = "Output size (default: at least 256 pixels on the short side).")
    String size;

    @Option(names = "--fps", description = "Output frame rate (default: the model's).")
    Double fps;

    @Option(names = "--scaling", paramLabel = "FILTER",
            description = "nearest (pixel-exact, the default), bilinear, bicubic or lanczos.")
    String scaling;

    @Option(names = "--interpolate", description = "Make the frames of a higher --fps by motion interpolation.")
    boolean interpolate;

    @Option(names = "--format", paramLabel = "FORMAT", description = "mp4, webm, gif or png (default: from --out, else mp4).")
    String format;

    @Option(names = {"-o", "--out"}, paramLabel = "PATH", description = "Output file (default: reel.mp4).")
    Path out;

    @Option(names = "--model", paramLabel = "FOLDER", description = "A reel-dit model folder (default: the embedded model).")
    Path model;

    @Option(names = {"--device", "--backend"}, paramLabel = "cpu|cuda[:N]",
            description = "Where the model runs (default: CUDA if a device is found, else the CPU; REEL_BACKEND=cpu|cuda "
                    + "overrides the default).")
    String device;

    @Option(names = "--watermark-key", paramLabel = "FILE",
            description = "Watermark key file, 64 hex digits (default: Reel's public key, which anyone can check).")
    Path watermarkKey;

    @Option(names = "--signing-key", paramLabel = "FILE",
            description = "Ed25519 private key (PKCS#8 PEM) that signs the manifest (default: ~/.reel/signing-key.pem, "
                    + "made on first use).")
    Path signingKey;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Device where = Cli.device(device);
        GenerationRequest request = request();
        VideoFormat fmt = format(request);
        Path target = out != null ? out : Path.of("reel." + (fmt == VideoFormat.PNG ? "frames" : fmt.extension()));
        Cli.requireWritableParent(target);
        VideoWriter writer = writer(fmt);
        WatermarkKey wk = watermarkKey == null ? WatermarkKey.defaultKey() : readKey(watermarkKey, WatermarkKey::read);
        SigningKey sk = signingKey == null ? SigningKey.loadOrCreateDefault() : readKey(signingKey, SigningKey::read);

        Progressbar progress = new Progressbar(err, quiet);
        long start = System.nanoTime();
        // The model and every prompt are checked before anything is printed, so a mistake is one line.
        try (VideoModel vm = model == null ? VideoModel.embedded(where) : VideoModel.load(model, where);
             Generator generator = Generator.of(vm)) {
            for (String p : request.prompts()) {
                vm.vocabulary().encode(p);
            }
            vm.vocabulary().encode(request.negativePrompt());
            progress.onProgress(new Progress(Phase.LOAD, 0, 0, 0, 0, Progressbar.since(start), null,
                    (model == null ? "embedded model" : model.toString()) + String.format(Locale.ROOT, " on %s in %.2f s",
                            where.isCuda() ? "cuda:" + where.ordinal() : "the CPU",
                            Progressbar.since(start).toMillis() / 1000.0)));
            MarkedWriter marked = MarkedWriter.builder(vm).writer(writer).watermarkKey(wk).signingKey(sk)
                    .clock(clock()).build();
            List<GeneratedVideo> videos = generator.generate(request, progress);
            List<Path> written = new ArrayList<>();
            for (GeneratedVideo v : videos) {
                Path file = videos.size() == 1 ? target : Cli.numbered(target, fmt, v, request);
                progress.onProgress(new Progress(Phase.WRITE, 0, 0, 0, 0, Progressbar.since(start), null, file.toString()));
                marked.write(v, file);
                written.add(file);
            }
            if (request.variations() > 1) {
                Path sheet = Cli.sibling(target, "contact.png");
                List<Video> frames = new ArrayList<>();
                List<Long> seeds = new ArrayList<>();
                for (GeneratedVideo v : videos) {
                    frames.add(v.video());
                    seeds.add(v.seed());
                }
                long id = Provenance.generationId(videos.get(0), vm);
                ContactSheet.write(frames, seeds, 192, sheetPicture -> Watermark.embed(sheetPicture, wk, id), sheet);
                written.add(sheet);
            }
            progress.done();
            for (Path p : written) {
                stdout.println(p.toAbsolutePath());
            }
            stdout.flush();
            if (!quiet) {
                err.printf(Locale.ROOT, "wrote %d file(s) in %.2f s: %s%n", written.size(),
                        Progressbar.since(start).toMillis() / 1000.0, request);
                err.flush();
            }
        }
        return ExitCodes.OK;
    }

    /** A key file read, its problems as usage (bad content) or I/O errors (unreadable). */
    private static <T> T readKey(Path file, java.util.function.Function<Path, T> reader) {
        if (!Files.isReadable(file)) {
            throw new Cli.IoError("cannot read key " + file + ": no such readable file");
        }
        try {
            return reader.apply(file);
        } catch (java.io.UncheckedIOException e) {
            throw new Cli.IoError("cannot read key " + file + ": " + e.getCause().getMessage());
        }
    }

    /**
     * The clock of the manifest's creation time: the system's, or the fixed time in
     * {@code SOURCE_DATE_EPOCH} (seconds since 1970, the reproducible-builds convention),
     * with which the same command writes the same file byte for byte.
     */
    private static Clock clock() {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch == null || epoch.isBlank()) {
            return Clock.systemUTC();
        }
        try {
            return Clock.fixed(Instant.ofEpochSecond(Long.parseLong(epoch.trim())), ZoneOffset.UTC);
        } catch (NumberFormatException e) {
            throw new Cli.UsageError("SOURCE_DATE_EPOCH is '" + epoch + "': expected whole seconds since 1970");
        }
    }

    private GenerationRequest request() {
        GenerationRequest.Builder b = GenerationRequest.builder().prompts(prompts).negativePrompt(negative).seed(seed)
                .variations(variations).maxBatch(batch);
        if (steps != null) {
            b.steps(steps);
        }
        if (sampler != null) {
            b.sampler(samplerOf(sampler));
        }
        if (guidance != null) {
            b.guidance(guidance);
        }
        if (guidanceInterval != null) {
            try {
                b.guidanceInterval(guidanceInterval);
            } catch (IllegalArgumentException e) {
                // the builder says "guidance interval must ...": name the option instead
                throw new Cli.UsageError("--guidance-interval " + e.getMessage().replaceFirst("^guidance interval ", ""));
            }
        }
        if (strength != null && init == null) {
            throw new Cli.UsageError("--strength needs --init");
        }
        if (init != null) {
            if (!Files.isReadable(init)) {
                throw new Cli.IoError("--init " + init + ": no such readable file");
            }
            b.init(init, strength == null ? GenerationRequest.DEFAULT_STRENGTH : strength);
        }
        if (size != null) {
            String[] wh = size.toLowerCase(Locale.ROOT).split("x");
            try {
                if (wh.length != 2) {
                    throw new NumberFormatException();
                }
                int w = Integer.parseInt(wh[0].trim()), h = Integer.parseInt(wh[1].trim());
                b.size(w, h);
                if (Math.min(w, h) < MIN_MARKED_SIDE) {
                    throw new Cli.UsageError("--size " + size + ": every file Reel writes carries a watermark, which "
                            + "needs at least " + MIN_MARKED_SIDE + " pixels on the short side");
                }
            } catch (NumberFormatException e) {
                throw new Cli.UsageError("--size must be WIDTHxHEIGHT, e.g. 512x512, got '" + size + "'");
            }
        }
        if (fps != null) {
            b.fps(fps);
        }
        return b.build();
    }

    private VideoFormat format(GenerationRequest request) {
        if (format != null) {
            switch (format.toLowerCase(Locale.ROOT)) {
                case "mp4": return VideoFormat.MP4;
                case "webm": return VideoFormat.WEBM;
                case "gif": return VideoFormat.GIF;
                case "png": return VideoFormat.PNG;
                default: throw new Cli.UsageError("--format must be mp4, webm, gif or png, got '" + format + "'");
            }
        }
        return out == null ? VideoFormat.MP4 : VideoFormat.of(out);
    }

    private VideoWriter writer(VideoFormat fmt) {
        VideoWriter.Builder w = VideoWriter.builder().format(fmt);
        if (size != null) {
            String[] wh = size.toLowerCase(Locale.ROOT).split("x");
            w.size(Integer.parseInt(wh[0].trim()), Integer.parseInt(wh[1].trim()));
        }
        if (fps != null) {
            w.frameRate(FrameRate.of(fps)).interpolate(interpolate);
        } else if (interpolate) {
            throw new Cli.UsageError("--interpolate needs --fps (a rate above the model's)");
        }
        if (scaling != null) {
            try {
                w.scaling(dev.reel.video.Scaling.valueOf(scaling.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Cli.UsageError("--scaling must be nearest, bilinear, bicubic or lanczos, got '" + scaling + "'");
            }
        }
        return w.build();
    }

    static SamplerKind samplerOf(String name) {
        try {
            return SamplerKind.named(name);
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError(e.getMessage());
        }
    }
}
