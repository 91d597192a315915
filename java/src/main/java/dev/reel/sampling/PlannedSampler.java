package dev.reel.sampling;

import dev.reel.Noise;
import dev.reel.Scope;
import dev.reel.Tensor;
import dev.reel.sampling.NoiseSchedule.Point;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A {@link Sampler} whose evaluations are planned when it is built (see {@link Samplers} for the math). */
final class PlannedSampler implements Sampler {
    private final SamplerKind kind;
    private final int steps;
    private final double guidance;
    private final long seed;
    private final double initialSigma;
    private final double initialAlpha;
    private final List<Evaluation> plan;
    private final String description;
    private int done;
    private Tensor memory;
    private boolean closed;

    PlannedSampler(SamplerKind kind, NoiseSchedule schedule, int steps, int firstStep, PredictionType prediction,
            double guidance, double guidanceFrom, double guidanceTo, double rescale, double eta, long seed,
            String description) {
        this.kind = kind;
        this.steps = steps;
        this.guidance = guidance;
        this.seed = seed;
        this.description = description;
        List<Point> points = schedule.points(steps);
        this.initialSigma = points.get(firstStep).sigma();
        this.initialAlpha = points.get(firstStep).alpha();
        List<Evaluation> evaluations = new ArrayList<>();
        for (int i = firstStep; i < steps; i++) {
            Point t = points.get(i), s = points.get(i + 1);
            List<Update> updates;
            switch (kind) {
                case DDPM:
                    updates = List.of(Samplers.ddpm(t, s));
                    break;
                case DDIM:
                    updates = List.of(Samplers.ddim(t, s, eta));
                    break;
                case EULER:
                    updates = List.of(Samplers.euler(t, s, schedule.isFlow()));
                    break;
                case EULER_ANCESTRAL:
                    updates = List.of(Samplers.eulerAncestral(t, s));
                    break;
                case HEUN:
                    updates = Samplers.heun(t, s, schedule.isFlow());
                    break;
                default:
                    updates = List.of(Samplers.dpmSolver2M(i == firstStep ? null : points.get(i - 1), t, s, i == firstStep));
                    break;
            }
            for (int j = 0; j < updates.size(); j++) {
                Update u = updates.get(j);
                Point at = j == 0 ? t : s; // Heun's second stage evaluates the model at s
                String where = "step " + i + (updates.size() > 1 ? " stage " + (j + 1) : "");
                double level = at.sigma() / (at.alpha() + at.sigma());
                boolean guided = guidance != 1 && level >= guidanceFrom && level <= guidanceTo;
                SchedulerStep update = u.fold(prediction, at.alpha(), at.sigma(), where).guidance(guided ? guidance : 1)
                        .rescale(guided ? rescale : 0).noise(seed, i + 1L, 0).build();
                evaluations.add(new Evaluation(i, at, update, u.prev != 0, u.writesAux && (i < steps - 1 || j > 0),
                        guided));
            }
        }
        this.plan = Collections.unmodifiableList(evaluations);
    }

    @Override
    public SamplerKind kind() {
        return kind;
    }

    @Override
    public int steps() {
        return steps;
    }

    @Override
    public int modelEvaluations() {
        return plan.size();
    }

    @Override
    public List<Evaluation> evaluations() {
        return plan;
    }

    @Override
    public int evaluationsDone() {
        return done;
    }

    @Override
    public boolean isDone() {
        return done == plan.size();
    }

    @Override
    public Point point() {
        requireRunning();
        return plan.get(done).point();
    }

    @Override
    public void initialNoise(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("x is null");
        }
        Noise.fillNormal(x, seed, 0, 0);
        if (initialSigma != 1) {
            SchedulerStep.builder().out(initialSigma, 0, 0, 0).build().apply(x, x, null, null, x, null);
        }
    }

    @Override
    public void initialLatent(Tensor x, Tensor clean) {
        if (x == null || clean == null) {
            throw new IllegalArgumentException((x == null ? "x" : "clean") + " is null");
        }
        if (x.overlaps(clean)) {
            throw new IllegalArgumentException("x and clean overlap");
        }
        Noise.fillNormal(x, seed, 0, 0);
        SchedulerStep.builder().out(initialSigma, initialAlpha, 0, 0).build().apply(x, clean, null, null, x, null);
    }

    @Override
    public void step(Tensor x, Tensor cond, Tensor uncond) {
        requireRunning();
        if (x == null || cond == null) {
            throw new IllegalArgumentException((x == null ? "x" : "cond") + " is null");
        }
        Evaluation e = plan.get(done);
        if (uncond == null && e.guided()) {
            throw new IllegalArgumentException("guidance scale " + guidance + " needs the unconditional output at "
                    + "evaluation " + done + " (uncond is null)");
        }
        Tensor mem = null;
        if (e.readsMemory() || e.writesMemory()) {
            mem = memoryFor(x);
        }
        e.update().apply(x, cond, e.guided() ? uncond : null, e.readsMemory() ? mem : null, x, e.writesMemory() ? mem : null);
        done++;
    }

    private Tensor memoryFor(Tensor x) {
        if (memory != null) {
            if (!memory.device().equals(x.device()) || memory.dtype() != x.dtype() || !memory.shape().equals(x.shape())) {
                throw new IllegalArgumentException("x is " + x + " but this run started with " + memory);
            }
            return memory;
        }
        // The memory lives as long as the sampler, not as long as a caller's Scope.
        try (Scope own = Scope.open()) {
            memory = own.keep(Tensor.allocate(x.device(), x.dtype(), x.shape()));
        }
        return memory;
    }

    private void requireRunning() {
        if (closed) {
            throw new IllegalStateException("this sampler is closed");
        }
        if (isDone()) {
            throw new IllegalStateException("this sampler has done all " + plan.size() + " evaluations");
        }
    }

    @Override
    public void close() {
        closed = true;
        if (memory != null) {
            memory.close();
            memory = null;
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
