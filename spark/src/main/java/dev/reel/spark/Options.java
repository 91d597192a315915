package dev.reel.spark;

import java.io.Serializable;

/**
 * Options of {@link ReelSpark#generate}: immutable, built with {@link #builder};
 * shipped to the executors with each task.
 */
public final class Options implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String model;
    private final int maxBatch;
    private final int partitions;
    private final FaultHook faultHook;

    private Options(Builder b) {
        model = b.model;
        maxBatch = b.maxBatch;
        partitions = b.partitions;
        faultHook = b.faultHook;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every option at its default: the embedded model, 8 videos per forward, Spark's default parallelism. */
    public static Options defaults() {
        return builder().build();
    }

    /** The model folder, a local path on every executor (and the driver), or null for the embedded model. */
    public String model() {
        return model;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** Tasks the videos are split into; 0 for Spark's default parallelism. */
    public int partitions() {
        return partitions;
    }

    FaultHook faultHook() {
        return faultHook;
    }

    @Override
    public String toString() {
        return "Options[model=" + (model == null ? "embedded" : model) + ", maxBatch=" + maxBatch + ", partitions="
                + (partitions == 0 ? "default" : partitions) + "]";
    }

    /** For tests: called at the named points of writing a file, so that a test can fail a task attempt there. */
    interface FaultHook extends Serializable {
        /** After the file is copied to its temporary name, before the rename. */
        String COPIED = "copied";

        void at(String point, String request, int attemptNumber);
    }

    public static final class Builder {
        private String model;
        private int maxBatch = dev.reel.pipeline.GenerationRequest.DEFAULT_MAX_BATCH;
        private int partitions;
        private FaultHook faultHook;

        private Builder() {}

        /** A reel-dit model folder at this path on every executor; null for the embedded model (the default). */
        public Builder model(String folder) {
            model = folder;
            return this;
        }

        /** At most this many videos per batched forward (default 8). */
        public Builder maxBatch(int value) {
            if (value < 1 || value > 256) {
                throw new IllegalArgumentException("maxBatch must be in [1, 256], got " + value);
            }
            maxBatch = value;
            return this;
        }

        /** Split the videos into this many tasks (default 0: Spark's default parallelism). */
        public Builder partitions(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("partitions must be at least 0, got " + value);
            }
            partitions = value;
            return this;
        }

        Builder faultHook(FaultHook hook) {
            faultHook = hook;
            return this;
        }

        public Options build() {
            return new Options(this);
        }
    }
}
