package dev.reel.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The application {@code spark-submit} runs:
 * {@code BatchJob --input URI --out URI [--model FOLDER] [--batch N] [--partitions N]}.
 * The input is JSON Lines (read as {@code reel batch} reads it) or, for a name
 * ending in {@code .csv}, CSV with a header, read by Spark; the master and every other setting come from
 * {@code spark-submit} (or {@code -Dspark.master=local[2]} when run directly).
 * It prints the counts by status and the throughput, and exits 1 when a video failed.
 */
public final class BatchJob {
    private BatchJob() {}

    public static void main(String[] args) {
        String input = null, out = null;
        Options.Builder options = Options.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                usage("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--input" -> input = v;
                case "--out" -> out = v;
                case "--model" -> options.model(v);
                case "--batch" -> options.maxBatch(number(a, v));
                case "--partitions" -> options.partitions(number(a, v));
                default -> usage("unknown option " + a);
            }
        }
        if (input == null || out == null) {
            usage("--input and --out are required");
        }
        SparkSession spark = SparkSession.builder().appName("reel batch").getOrCreate();
        int status = 0;
        try {
            long t0 = System.nanoTime();
            Dataset<Row> results = input.toLowerCase(Locale.ROOT).endsWith(".csv")
                    ? ReelSpark.generate(spark.read().option("header", true).option("multiLine", true)
                            .option("escape", "\"").csv(input), out, options.build())
                    : ReelSpark.generateJson(spark.read().textFile(input), out, options.build());
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<String> counts = new ArrayList<>();
            long ok = 0, failed = 0;
            for (Row r : results.groupBy("status").count().orderBy("status").collectAsList()) {
                counts.add(r.getLong(1) + " " + r.getString(0));
                ok += r.getString(0).equals("ok") ? r.getLong(1) : 0;
                failed += r.getString(0).equals("failed") ? r.getLong(1) : 0;
            }
            System.err.printf(Locale.ROOT, "reel-spark: %s in %.1f s (%.1f videos/min made); results in %s/%s%n",
                    String.join(", ", counts), seconds, ok / seconds * 60, out, ReelSpark.RESULTS);
            status = failed > 0 ? 1 : 0;
        } finally {
            spark.stop();
        }
        System.exit(status);
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            usage(option + " needs a whole number, got '" + value + "'");
            return 0;
        }
    }

    private static void usage(String why) {
        System.err.println("reel-spark: " + why + "; usage: BatchJob --input URI --out URI [--model FOLDER] "
                + "[--batch N] [--partitions N]");
        System.exit(2);
    }
}
