package org.fiberswitch.pull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberStartException;
import org.fiberswitch.FiberState;

/**
 * Runs many native fibers cooperatively to completion on the calling thread, in fair round-robin
 * order.
 *
 * <p>Fibers start in the order they were added. Each time a fiber yields (or calls a callback
 * stub), it goes to the back of the queue, and the fiber at the front is resumed next. So between
 * two turns of one fiber, every other unfinished fiber has had exactly one turn. What a fiber gets
 * back from its yield is decided by its {@link FiberTask} (default: 0).
 *
 * <pre>{@code
 * try (RoundRobin rr = new RoundRobin()) {
 *     for (long job : jobs) {
 *         rr.add(runtime.newFiber(workEntry, job));    // native code that calls fiberswitch_yield now and then
 *     }
 *     long[] results = rr.run();                        // results[i] is what fiber i returned
 * }
 * }</pre>
 *
 * <p><b>Start failures.</b> A fiber that cannot start (the OS refused its stack, its arguments
 * could not be computed) is set aside; the others still run to completion, so none is left
 * suspended in native code. {@link #run()} then throws one {@link FiberStartException} that
 * names each failed fiber by its index; {@link #result(int)} still gives the results of the others.
 *
 * <p>If a {@link FiberTask} throws, {@code run} stops at once and rethrows; the unfinished fibers
 * stay suspended, and {@link #close()} closes them (which abandons their native frames, see
 * {@link Fiber#close()}). A scheduler is single-use and not thread-safe.
 */
public final class RoundRobin implements AutoCloseable {

    /** Decides what a scheduled fiber gets back each time it comes off the queue. */
    @FunctionalInterface
    public interface FiberTask {
        /**
         * The value to resume the fiber with: the return value of its {@code fiberswitch_yield}
         * when {@code event} is {@link FiberEvent.Yielded}, or the callback's reply when it is a
         * {@link CallbackEvent} (converted to {@code double} for a stub that returns double).
         */
        long resumeValue(FiberEvent event);
    }

    private static final class Entry {
        final int index;
        final Fiber fiber;
        final FiberTask task;
        FiberEvent last;
        boolean done;
        long result;
        FiberStartException failure;

        Entry(int index, Fiber fiber, FiberTask task) {
            this.index = index;
            this.fiber = fiber;
            this.task = task;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private boolean ran;
    private long turns;

    /** An empty scheduler; {@link #add(Fiber, FiberTask) add} fibers, then {@link #run()}. */
    public RoundRobin() {
    }

    /** Adds a fiber that is resumed with 0 after each yield. @return its index */
    public int add(Fiber fiber) {
        return add(fiber, event -> 0);
    }

    /**
     * Adds a {@link FiberState#NEW} fiber; {@code task} says what it gets back after each yield or
     * callback.
     *
     * @return its index, the position of its result in {@link #run()}'s array
     * @throws IllegalArgumentException if the fiber has already been started
     * @throws IllegalStateException if {@link #run()} has been called
     */
    public int add(Fiber fiber, FiberTask task) {
        Objects.requireNonNull(fiber, "fiber");
        Objects.requireNonNull(task, "task");
        if (ran) {
            throw new IllegalStateException("this RoundRobin has run already; make a new one");
        }
        if (fiber.state() != FiberState.NEW) {
            throw new IllegalArgumentException(fiber + " is " + fiber.state()
                    + "; a RoundRobin schedules fibers from their start, add it before resuming it");
        }
        for (Entry e : entries) {
            if (e.fiber == fiber) {
                throw new IllegalArgumentException(fiber + " was added twice");
            }
        }
        entries.add(new Entry(entries.size(), fiber, task));
        return entries.size() - 1;
    }

    /** How many fibers were added. */
    public int size() {
        return entries.size();
    }

    /**
     * Runs every fiber to completion, round-robin, on this thread.
     *
     * @return each fiber's result, by index
     * @throws FiberStartException if fibers failed to start, after all the others completed
     * @throws IllegalStateException if it has run already
     */
    public long[] run() {
        if (ran) {
            throw new IllegalStateException("this RoundRobin has run already; make a new one");
        }
        ran = true;
        Deque<Entry> queue = new ArrayDeque<>(entries);
        List<Entry> failed = new ArrayList<>();
        while (!queue.isEmpty()) {
            Entry e = queue.pollFirst();
            FiberEvent event;
            try {
                event = e.last == null ? e.fiber.resume() : resume(e);
            } catch (FiberStartException x) {
                e.failure = x;
                failed.add(e);
                e.fiber.close(); // a FAILED fiber still counts as live in its runtime until closed
                continue;
            }
            turns++;
            if (event instanceof FiberEvent.Completed c) {
                e.done = true;
                e.result = c.result();
                e.last = null;
            } else {
                e.last = event;
                queue.addLast(e);
            }
        }
        if (!failed.isEmpty()) {
            throw startFailure(failed);
        }
        long[] out = new long[entries.size()];
        for (Entry e : entries) {
            out[e.index] = e.result;
        }
        return out;
    }

    private static FiberEvent resume(Entry e) {
        long v = e.task.resumeValue(e.last);
        if (e.last instanceof CallbackEvent cb) {
            return cb.returns() == CallbackReturn.DOUBLE ? cb.reply((double) v) : cb.reply(v);
        }
        return e.fiber.resume(v);
    }

    private FiberStartException startFailure(List<Entry> failed) {
        StringBuilder sb = new StringBuilder();
        sb.append(failed.size()).append(" of ").append(entries.size()).append(" scheduled fibers failed to start: ");
        for (int i = 0; i < failed.size(); i++) {
            Entry e = failed.get(i);
            sb.append(i == 0 ? "" : "; ").append("#").append(e.index).append(" (").append(e.failure.getMessage()).append(')');
        }
        sb.append(". The other ").append(entries.size() - failed.size())
                .append(" ran to completion; RoundRobin.result(index) gives their results");
        FiberStartException x = new FiberStartException(sb.toString(), failed.get(0).failure);
        for (int i = 1; i < failed.size(); i++) {
            x.addSuppressed(failed.get(i).failure);
        }
        return x;
    }

    /** The result of fiber {@code index}, if it completed. */
    public OptionalLong result(int index) {
        Objects.checkIndex(index, entries.size());
        Entry e = entries.get(index);
        return e.done ? OptionalLong.of(e.result) : OptionalLong.empty();
    }

    /** Why fiber {@code index} failed to start, or null. */
    public FiberStartException failure(int index) {
        Objects.checkIndex(index, entries.size());
        return entries.get(index).failure;
    }

    /** Resumes made so far, counting starts: the number of turns taken. */
    public long turns() {
        return turns;
    }

    /**
     * Closes every fiber that has not completed. After a normal {@link #run()} there are none; after
     * a task threw, this abandons the suspended ones' native frames.
     */
    @Override
    public void close() {
        for (Entry e : entries) {
            if (!e.done) {
                e.fiber.close();
            }
        }
    }
}
