package dev.reel.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reel.Device;
import dev.reel.Reel;
import dev.reel.pipeline.BatchInput;
import dev.reel.pipeline.BatchRequest;
import dev.reel.pipeline.BatchResult;
import dev.reel.pipeline.BatchRunner;
import dev.reel.pipeline.BatchSummary;
import dev.reel.pipeline.Generator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Batch generation on Apache Spark: the rows of a Dataset of requests become video
 * files under an output URI and a Dataset of results.
 *
 * <pre>{@code
 * Dataset<Row> requests = spark.read().json("hdfs:///jobs/requests.jsonl");
 * Dataset<Row> results = ReelSpark.generate(requests, "hdfs:///jobs/out", Options.defaults());
 * }</pre>
 *
 * <p>The requests' columns are the fields of {@code reel batch}
 * ({@link BatchRequest#FIELDS}; {@code prompt} required, others optional, of any
 * type whose JSON text is right: {@code steps} a number or "4"). Each request is
 * expanded into its videos (one per seed) and the videos are split into
 * {@link Options#partitions} tasks by contiguous ranges. A task runs
 * {@link BatchRunner} on the model of its executor JVM ({@link ExecutorModel},
 * loaded once) and writes its files through Hadoop's FileSystem API to temporary
 * names, renamed when complete ({@link HadoopStore}): a retried or duplicated task
 * leaves exactly one complete file per video, and a video whose file exists is not
 * made again, so a rerun resumes. File names are those of {@code reel batch} for
 * the same request and model.
 *
 * <p>The results ({@link #SCHEMA}: one row per video, and one per request that
 * cannot be read) are written as Parquet to {@code <out>/results.parquet},
 * replacing the last run's, and returned as a Dataset read back from there, so
 * that using it does not generate again.
 */
public final class ReelSpark {
    /** The results' folder under the output URI. */
    public static final String RESULTS = "results.parquet";

    /** The columns of {@link BatchResult#COLUMNS}, then where the model ran, the GPU Spark assigned, and the task attempt. */
    public static final StructType SCHEMA = new StructType()
            .add("line", DataTypes.LongType, false)
            .add("request", DataTypes.StringType)
            .add("seed", DataTypes.LongType)
            .add("path", DataTypes.StringType)
            .add("duration_s", DataTypes.DoubleType)
            .add("elapsed_s", DataTypes.DoubleType)
            .add("watermark", DataTypes.StringType)
            .add("status", DataTypes.StringType, false)
            .add("error", DataTypes.StringType)
            .add("device", DataTypes.StringType, false)
            .add("spark_gpu", DataTypes.StringType)
            .add("attempt", DataTypes.IntegerType, false);

    /** Spark's JSON reader puts a line it cannot parse here. */
    static final String CORRUPT_RECORD = "_corrupt_record";

    /** Sort key of a video: request index × this + variation (a request has at most 10,000 variations). */
    static final long KEY_STRIDE = 10_001;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReelSpark() {}

    /**
     * Generates every request of {@code requests} into {@code outputUri}; returns the results.
     *
     * @throws IllegalArgumentException for a column that is not a request field, or no {@code prompt} column
     */
    public static Dataset<Row> generate(Dataset<Row> requests, String outputUri, Options options) {
        if (requests == null) {
            throw new IllegalArgumentException("requests is null");
        }
        checkColumns(requests.columns());
        return run(requests.sparkSession(), requests.toJSON().javaRDD(), outputUri, options);
    }

    /**
     * The same for JSON Lines text, one request object per element (blank ones are
     * skipped), read exactly as {@code reel batch} reads a {@code .jsonl} file: a
     * line that is not a JSON object, or has a field that is not a request field,
     * fails alone.
     */
    public static Dataset<Row> generateJson(Dataset<String> jsonLines, String outputUri, Options options) {
        if (jsonLines == null) {
            throw new IllegalArgumentException("jsonLines is null");
        }
        return run(jsonLines.sparkSession(), jsonLines.javaRDD().filter(line -> !line.isBlank()), outputUri, options);
    }

    private static Dataset<Row> run(SparkSession spark, JavaRDD<String> json, String outputUri, Options options) {
        if (outputUri == null || options == null) {
            throw new IllegalArgumentException((outputUri == null ? "outputUri" : "options") + " is null");
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path out;
        FileSystem fs;
        HashSet<String> before = new HashSet<>();
        try {
            Path given = new Path(outputUri);
            fs = given.getFileSystem(conf);
            out = fs.makeQualified(given);
            fs.mkdirs(out);
            for (FileStatus s : fs.listStatus(out)) {
                before.add(s.getPath().getName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the output " + outputUri + ": " + e.getMessage(), e);
        }
        Broadcast<HashSet<String>> existing = jsc.broadcast(before);
        Broadcast<SerializableConf> hadoop = jsc.broadcast(new SerializableConf(conf));
        int partitions = options.partitions() > 0 ? options.partitions() : jsc.defaultParallelism();

        JavaPairRDD<Long, String> videos = json.zipWithIndex().flatMapToPair(new Expand());
        JavaRDD<Row> rows = videos.sortByKey(true, partitions)
                .mapPartitions(new GenerateTask(out.toString(), options, existing, hadoop));
        String results = new Path(out, RESULTS).toString();
        try {
            spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.Overwrite).parquet(results);
            fs.delete(new Path(out, HadoopStore.TEMPORARY), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + new Path(out, HadoopStore.TEMPORARY) + ": "
                    + e.getMessage(), e);
        } finally {
            existing.destroy();
            hadoop.destroy();
        }
        return spark.read().schema(SCHEMA).parquet(results);
    }

    static void checkColumns(String[] columns) {
        boolean prompt = false;
        for (String c : columns) {
            String name = c.trim().toLowerCase(Locale.ROOT);
            if (name.equals(CORRUPT_RECORD)) {
                continue;
            }
            if (!BatchRequest.FIELDS.contains(name)) {
                throw new IllegalArgumentException("column '" + c + "' is not a request field; known: "
                        + String.join(", ", BatchRequest.FIELDS));
            }
            prompt |= name.equals("prompt");
        }
        if (!prompt) {
            throw new IllegalArgumentException("the requests have no 'prompt' column; columns: "
                    + Arrays.toString(columns));
        }
    }

    /** A request from one row's JSON text; a row Spark could not parse fails with its text. */
    static BatchRequest request(long line, String json) {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (n != null && n.hasNonNull(CORRUPT_RECORD)) {
                return BatchRequest.failed(line, n.get(CORRUPT_RECORD).asText(), "not a JSON object");
            }
        } catch (JsonProcessingException e) {
            return BatchRequest.failed(line, json, "not JSON: " + e.getOriginalMessage());
        }
        return BatchInput.jsonObject(line, json, null);
    }

    /** A request row → its videos, one per seed, keyed for a range partitioning in input order. */
    static final class Expand implements PairFlatMapFunction<Tuple2<String, Long>, Long, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Tuple2<Long, String>> call(Tuple2<String, Long> row) throws Exception {
            long index = row._2();
            String json = row._1();
            BatchRequest r = request(index + 1, json);
            if (!r.ok() || r.request().variations() == 1) {
                return List.of(new Tuple2<>(index * KEY_STRIDE, json)).iterator();
            }
            ObjectNode node = (ObjectNode) MAPPER.readTree(json);
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                String n = name.trim().toLowerCase(Locale.ROOT);
                if (n.equals("seed") || n.equals("variations")) {
                    node.remove(name);
                }
            }
            List<Tuple2<Long, String>> out = new ArrayList<>(r.request().variations());
            for (int v = 0; v < r.request().variations(); v++) {
                node.put("seed", r.request().seedOf(v));
                node.put("variations", 1);
                out.add(new Tuple2<>(index * KEY_STRIDE + v, MAPPER.writeValueAsString(node)));
            }
            return out.iterator();
        }
    }

    /** One task: its videos through {@link BatchRunner} on this executor's model, into a {@link HadoopStore}. */
    static final class GenerateTask implements FlatMapFunction<Iterator<Tuple2<Long, String>>, Row> {
        private static final long serialVersionUID = 1L;

        private final String out;
        private final Options options;
        private final Broadcast<HashSet<String>> existing;
        private final Broadcast<SerializableConf> hadoop;

        GenerateTask(String out, Options options, Broadcast<HashSet<String>> existing,
                     Broadcast<SerializableConf> hadoop) {
            this.out = out;
            this.options = options;
            this.existing = existing;
            this.hadoop = hadoop;
        }

        @Override
        public Iterator<Row> call(Iterator<Tuple2<Long, String>> videos) throws Exception {
            List<BatchRequest> requests = new ArrayList<>();
            while (videos.hasNext()) {
                Tuple2<Long, String> v = videos.next();
                requests.add(request(v._1() / KEY_STRIDE + 1, v._2()));
            }
            if (requests.isEmpty()) {
                return List.<Row>of().iterator();
            }
            TaskContext task = TaskContext.get();
            String gpu = assignedGpu(task);
            Device onDevice = executorDevice(gpu);
            String device = onDevice.isCuda() ? "cuda:" + onDevice.ordinal() : "cpu";
            Generator generator = ExecutorModel.get(options.model(), onDevice);
            double seconds = generator.model().config().frames() / generator.modelFps();
            Path outPath = new Path(out);
            // A private FileSystem instance: no checksum side files, and closing it touches no other user's.
            FileSystem fs = FileSystem.newInstance(outPath.toUri(), hadoop.value().get());
            fs.setWriteChecksum(false);
            String attempt = task.stageId() + "-" + task.partitionId() + "-" + task.taskAttemptId();
            List<Row> rows = new ArrayList<>();
            try (HadoopStore store = new HadoopStore(fs, outPath, existing.value(), attempt, task.attemptNumber(),
                    seconds, options.faultHook())) {
                BatchSummary s = BatchRunner.builder(generator).maxBatch(options.maxBatch())
                        .stopWhen(task::isInterrupted).build().run(requests, store, r -> {});
                if (s.stopped()) {
                    throw new CancellationException("task " + attempt + " was killed");
                }
                for (BatchResult r : s.results()) {
                    rows.add(RowFactory.create(r.line(), r.request(), r.seed(), r.path(), r.durationSeconds(),
                            r.elapsedSeconds(), r.watermark(), r.status().label(), r.error(), device, gpu,
                            task.attemptNumber()));
                }
            }
            return rows.iterator();
        }
    }

    /**
     * Where this task's videos are made: the CUDA device of the GPU address Spark assigned (an
     * ordinal, as Spark's GPU discovery scripts report them); without an assignment, what
     * {@code reel batch} picks ({@link Reel#defaultDevice()}: {@code REEL_BACKEND}, else CUDA if
     * present, else the CPU). An assigned address that is no CUDA device of this executor is an
     * error naming it, not a silent fall back to the CPU.
     */
    static Device executorDevice(String gpu) {
        if (gpu == null) {
            return Reel.defaultDevice();
        }
        if (!gpu.chars().allMatch(Character::isDigit) || gpu.isEmpty() || gpu.length() > 4) {
            throw new IllegalArgumentException("Spark assigned GPU address '" + gpu
                    + "': expected a CUDA device ordinal (check the GPU discovery script)");
        }
        return Reel.device("cuda:" + gpu);
    }

    /** The address of the first GPU Spark gave this task, or null when it schedules none. */
    static String assignedGpu(TaskContext task) {
        if (task == null) {
            return null;
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }
}
