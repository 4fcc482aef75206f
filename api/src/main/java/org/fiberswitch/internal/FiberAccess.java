package org.fiberswitch.internal;

import org.fiberswitch.CallbackEvent;
import org.fiberswitch.Fiber;

/**
 * Not API (this package is not exported): what the adapters in {@code org.fiberswitch.pull} need
 * from a {@link Fiber} beyond its public methods.
 *
 * <p>{@link Fiber#resume(long)} returns a new {@link org.fiberswitch.FiberEvent} of one of three
 * kinds. An adapter that maps each event at once is faster when it learns the kind first and makes
 * the one event it maps in a straight line: the JIT can then drop that allocation whenever the
 * mapper does not keep the event.
 */
public abstract class FiberAccess {
    private static volatile FiberAccess instance;

    /** The one instance, set by {@link Fiber}'s class initializer. */
    public static FiberAccess get() {
        FiberAccess a = instance;
        if (a == null) {
            try {
                Class.forName(Fiber.class.getName(), true, Fiber.class.getClassLoader()); // runs its initializer
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = instance;
        }
        return a;
    }

    /** Called once, by {@link Fiber}. */
    protected FiberAccess() {
        if (getClass().getEnclosingClass() != Fiber.class || instance != null) {
            throw new IllegalStateException("FiberAccess is set once, by Fiber");
        }
        instance = this;
    }

    /**
     * As {@link Fiber#resume(long)} ({@code doubleReply} false) or
     * {@link Fiber#resumeWithDouble(double)} ({@code value} holding the double's raw bits), with the
     * same checks and exceptions, but returns the exit code
     * ({@link org.fiberswitch.spi.FiberControlBlock#EXIT_CALLBACK}, {@code EXIT_YIELD} or
     * {@code EXIT_DONE}) instead of an event.
     */
    public abstract long resume(Fiber fiber, long value, boolean doubleReply);

    /** After an {@code EXIT_CALLBACK}: the event for the callback the fiber waits in. */
    public abstract CallbackEvent callback(Fiber fiber);

    /** After an {@code EXIT_YIELD}: the value yielded; after {@code EXIT_DONE}: the result. */
    public abstract long transfer(Fiber fiber);
}
