package org.fiberswitch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackMemory;

/** Stacks kept for reuse, per (mapped size, guard, commit); bounded so idle memory stays small. */
final class StackPool {
    /** Stacks kept per shape; more are returned to the OS. */
    static final int MAX_IDLE_PER_SHAPE = 64;

    private record Shape(long size, boolean guard, boolean committed) {
    }

    private final StackMemory memory;
    private final Map<Shape, ArrayDeque<NativeStack>> idle = new HashMap<>();
    private boolean closed;

    StackPool(StackMemory memory) {
        this.memory = memory;
    }

    /** Page-rounded size of the stack part of the mapping, for {@code options}. */
    long roundedSize(StackOptions options) {
        long page = memory.pageSize();
        return (options.size() + page - 1) / page * page;
    }

    NativeStack acquire(StackOptions options) {
        long size = roundedSize(options);
        boolean eager = options.commit() == StackOptions.Commit.EAGER;
        if (options.pooled()) {
            Shape shape = new Shape(size, options.guardPage(), eager);
            synchronized (this) {
                ArrayDeque<NativeStack> q = idle.get(shape);
                NativeStack s = q == null ? null : q.pollFirst();
                if (s != null) {
                    return s;
                }
            }
        }
        return memory.allocate(size, options.guardPage(), eager);
    }

    void release(NativeStack stack, boolean pooled) {
        if (pooled) {
            Shape shape = new Shape(stack.mappingSize() - stack.guardSize(), stack.guardSize() != 0,
                    stack.committed());
            synchronized (this) {
                if (!closed) {
                    ArrayDeque<NativeStack> q = idle.computeIfAbsent(shape, k -> new ArrayDeque<>());
                    if (q.size() < MAX_IDLE_PER_SHAPE) {
                        q.addFirst(stack);
                        return;
                    }
                }
            }
        }
        memory.release(stack);
    }

    synchronized int idleCount() {
        int n = 0;
        for (ArrayDeque<NativeStack> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    void close() {
        List<NativeStack> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
        }
        for (NativeStack s : all) {
            memory.release(s);
        }
    }
}
