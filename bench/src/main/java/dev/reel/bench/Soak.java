package dev.reel.bench;

import dev.reel.pipeline.GenerationRequest;
import dev.reel.pipeline.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The soak run of generate(): {@code calls} generations in one JVM (default 1,000, at
 * the embedded model's defaults, a new seed each), resident memory (VmRSS of
 * /proc/self/status) recorded every 50 calls into a CSV, and a verdict: flat
 * within 5% after the first 50 calls. Run by {@code bench/soak/run}; not part of
 * the tests.
 */
public final class Soak {
    private Soak() {}

    public static void main(String[] args) throws IOException {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        Path csv = Path.of(args.length > 1 ? args[1] : "soak.csv");
        List<long[]> rows = new ArrayList<>();
        long start = System.nanoTime();
        try (Generator generator = Generator.embedded()) {
            for (int i = 1; i <= calls; i++) {
                generator.generate(GenerationRequest.builder().prompt(i % 2 == 0 ? "a red circle moving right"
                        : "a blue square moving up on a gray background").seed(i).build());
                if (i % 50 == 0) {
                    long rss = rssKb();
                    rows.add(new long[] {i, rss, (System.nanoTime() - start) / 1_000_000});
                    Runtime rt = Runtime.getRuntime();
                    System.out.printf(Locale.ROOT, "%5d calls  RSS %7.1f MB  heap used %6.1f MB  JavaCPP %6.1f MB  %6.1f s%n",
                            i, rss / 1024.0, (rt.totalMemory() - rt.freeMemory()) / 1048576.0,
                            org.bytedeco.javacpp.Pointer.totalBytes() / 1048576.0, (System.nanoTime() - start) / 1e9);
                }
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
            w.println("calls,rss_kb,elapsed_ms");
            for (long[] r : rows) {
                w.println(r[0] + "," + r[1] + "," + r[2]);
            }
        }
        if (rows.size() < 2) {
            System.out.println("too few calls for a verdict");
            return;
        }
        long base = rows.get(0)[1];
        long max = rows.stream().skip(1).mapToLong(r -> r[1]).max().orElse(base);
        long min = rows.stream().skip(1).mapToLong(r -> r[1]).min().orElse(base);
        double growth = 100.0 * (max - base) / base;
        System.out.printf(Locale.ROOT, "RSS at 50 calls %.1f MB; after it min %.1f MB, max %.1f MB (%+.1f%%): %s%n",
                base / 1024.0, min / 1024.0, max / 1024.0, growth, growth <= 5 ? "flat within 5%" : "GROWS");
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
