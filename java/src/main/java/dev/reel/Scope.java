package dev.reel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Owns the tensors created on this thread while it is open and closes them
 * together, so that code making many short-lived tensors (a forward pass) need
 * not close each one. Scopes nest; {@link #keep} hands a tensor out of the scope.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     Tensor tmp = reel.empty(DType.F32, Shape.of(1024));   // closed with the scope
 *     result = scope.keep(reel.empty(DType.F32, Shape.of(4)));
 * }
 * }</pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private Scope() {}

    public static Scope open() {
        Scope scope = new Scope();
        OPEN.get().push(scope);
        return scope;
    }

    static void register(Tensor tensor) {
        Scope top = OPEN.get().peek();
        if (top != null) {
            top.owned.add(tensor);
        }
    }

    /** Removes the tensor from this scope (it then lives until closed or collected) and returns it. */
    public Tensor keep(Tensor tensor) {
        if (tensor == null) {
            throw new IllegalArgumentException("tensor is null");
        }
        owned.remove(tensor);
        return tensor;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("a Scope must be closed on the thread that opened it");
        }
        closed = true;
        Deque<Scope> stack = OPEN.get();
        stack.remove(this);
        RuntimeException first = null;
        for (Tensor t : owned) {
            try {
                t.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        owned.clear();
        if (first != null) {
            throw first;
        }
    }
}
