package org.fiberswitch;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackMemory;

/**
 * Stacks kept for reuse, per (mapped size, guard, commit); bounded so idle memory stays small. A
 * stack travels with its control-block view, so a reused stack costs no JNI call to re-wrap.
 */
final class StackPool {
    /** A stack and the native-order view of its control block. */
    record Lease(NativeStack stack, ByteBuffer view) {
        static Lease of(NativeStack stack) {
            ByteBuffer view = new Pointer(stack.controlBlock()).getByteBuffer(0, FiberControlBlock.SIZE)
                    .order(ByteOrder.nativeOrder());
            return new Lease(stack, view);
        }
    }

    /** Stacks kept per shape; more are returned to the OS. */
    static final int MAX_IDLE_PER_SHAPE = 64;

    private record Shape(long size, boolean guard, boolean committed) {
    }

    private final StackMemory memory;
    private final Map<Shape, ArrayDeque<Lease>> idle = new HashMap<>();
    private boolean closed;

    StackPool(StackMemory memory) {
        this.memory = memory;
    }

    /** Page-rounded size of the stack part of the mapping, for {@code options}. */
    long roundedSize(StackOptions options) {
        long page = memory.pageSize();
        return (options.size() + page - 1) / page * page;
    }

    Lease acquire(StackOptions options) {
        long size = roundedSize(options);
        boolean eager = options.commit() == StackOptions.Commit.EAGER;
        if (options.pooled()) {
            Shape shape = new Shape(size, options.guardPage(), eager);
            synchronized (this) {
                ArrayDeque<Lease> q = idle.get(shape);
                Lease s = q == null ? null : q.pollFirst();
                if (s != null) {
                    return s;
                }
            }
        }
        return Lease.of(memory.allocate(size, options.guardPage(), eager));
    }

    void release(Lease lease, boolean pooled) {
        NativeStack stack = lease.stack();
        if (pooled) {
            Shape shape = new Shape(stack.mappingSize() - stack.guardSize(), stack.guardSize() != 0,
                    stack.committed());
            synchronized (this) {
                if (!closed) {
                    ArrayDeque<Lease> q = idle.computeIfAbsent(shape, k -> new ArrayDeque<>());
                    if (q.size() < MAX_IDLE_PER_SHAPE) {
                        q.addFirst(lease);
                        return;
                    }
                }
            }
        }
        memory.release(stack);
    }

    synchronized int idleCount() {
        int n = 0;
        for (ArrayDeque<Lease> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    void close() {
        List<Lease> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
        }
        for (Lease s : all) {
            memory.release(s.stack());
        }
    }
}
