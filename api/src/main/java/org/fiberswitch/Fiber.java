package org.fiberswitch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.fiberswitch.internal.FiberAccess;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.SwitchPort;

/**
 * A stackful coroutine that runs one native function on its own stack, driven from Java.
 *
 * <p>{@link #resume(long)} is an ordinary native call that switches onto the fiber's stack; it
 * returns when the fiber yields ({@code fiberswitch_yield}), when a {@link CallbackStub} is
 * called on it, or when its function returns. Between resumes the fiber is suspended and holds
 * nothing but its stack. A fiber may be resumed from any thread, but from one thread at a time; a
 * second thread that tries while it runs gets a {@link FiberStateException}.
 *
 * <p>Only native code runs on a fiber. Java code never does: HotSpot cannot see frames on a
 * foreign stack, so a JNA {@code Callback}, a JNI call into Java or an FFM upcall made from a fiber
 * stack fails (measured: JNA callbacks return 0 and log "error handling callback exception", FFM
 * upcalls throw {@code StackOverflowError}). Use {@link CallbackStub}s instead: each call becomes
 * a {@link CallbackEvent} on the Java side of the switch.
 *
 * <p>Close a fiber you no longer need. Closing a {@link FiberState#SUSPENDED} fiber abandons its
 * native frames where they stand: whatever that native code holds (memory, locks, files) is not
 * released, so prefer to resume a fiber to completion. A fiber that completes gives its stack back
 * at once.
 */
public final class Fiber implements AutoCloseable {
    private static final VarHandle STATE;
    private static final FiberState[] STATES = FiberState.values();
    private static final int SUSPENDED = FiberState.SUSPENDED.ordinal();
    private static final int RUNNING = FiberState.RUNNING.ordinal();

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Fiber.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        new FiberAccess() {
            @Override
            public long resume(Fiber fiber, long value, boolean doubleReply) {
                return fiber.resumeForExit(value, doubleReply);
            }

            @Override
            public CallbackEvent callback(Fiber fiber) {
                return fiber.callbackEvent();
            }

            @Override
            public long transfer(Fiber fiber) {
                return fiber.transfer;
            }
        };
    }

    private final FiberRuntime runtime;
    private final SwitchPort port;
    private final long id;
    private final long function;
    private final FiberArguments arguments;
    private final StackOptions options;

    /*
     * The FiberState's ordinal: an int, so that the CAS and the release store on the resume path
     * carry no GC barriers.
     */
    private volatile int state = FiberState.NEW.ordinal();
    /** Who runs it, for messages only; racy reads are fine. */
    private Thread runner;
    private StackPool.Lease stack;
    private long fcb;
    private ByteBuffer view;
    private long result;
    /** What the last switch out passed: the yielded value, or the function's result. */
    private long transfer;
    private Throwable failure;
    /** The id of the callback stub the fiber waits in, or -1 when it waits at a yield or has not started. */
    private int waitingStub = -1;
    /**
     * Counts switches out. A {@link CallbackEvent} remembers the count it was made at, so it is
     * current only while the fiber has not been resumed since. A number rather than the event's
     * identity, so that the fiber keeps no reference to its events and the JIT can drop their
     * allocation where a consumer does not keep them.
     */
    private long switchesOut;

    Fiber(FiberRuntime runtime, long id, long function, FiberArguments arguments, StackOptions options) {
        this.runtime = runtime;
        this.port = runtime.port();
        this.id = id;
        this.function = function;
        this.arguments = arguments;
        this.options = options;
    }

    /** A number unique within its runtime, for messages and logs. */
    public long id() {
        return id;
    }

    public FiberState state() {
        return STATES[state];
    }

    /** The stack options it was created with. */
    public StackOptions stackOptions() {
        return options;
    }

    /**
     * The fiber's handle: the address of its control block, which native code passes to
     * {@code fiberswitch_yield} and which callbacks carry as user data. 0 before the fiber has
     * started and after its stack has been released.
     */
    public long handle() {
        return fcb;
    }

    /** Starts or continues the fiber with 0 as the value. See {@link #resume(long)}. */
    public FiberEvent resume() {
        return resume(0L);
    }

    /**
     * Switches onto the fiber and runs it until it yields, calls a callback stub, or returns.
     *
     * <p>On the first call this starts the fiber: its stack is taken from the pool or the OS and
     * its function is called (the value is not seen by it). Later, the value becomes the return
     * value of the fiber's {@code fiberswitch_yield}, or, when the fiber waits in a callback, the
     * callback's return value.
     *
     * @throws FiberStateException if the fiber is running, done, failed or closed, if the runtime
     *     is closed, or if the fiber waits in a callback that returns {@code double} (use
     *     {@link #resumeWithDouble(double)})
     * @throws FiberStartException if it could not be started
     */
    public FiberEvent resume(long value) {
        return resume0(value, false);
    }

    /**
     * Replies {@code value} to a callback declared with {@link CallbackReturn#DOUBLE} and
     * continues the fiber.
     *
     * @throws FiberStateException if the fiber does not wait in such a callback
     */
    public FiberEvent resumeWithDouble(double value) {
        return resume0(Double.doubleToRawLongBits(value), true);
    }

    /*
     * The resume path is split so that the JIT inlines the common case, a SUSPENDED fiber resumed
     * with the right reply kind, into its caller: every Java frame left between a consumer's loop
     * and the native call adds a return that the CPU's return predictor gets wrong after a stack
     * switch. Starting, refusing and failing live in cold methods.
     */
    private FiberEvent resume0(long value, boolean doubleReply) {
        long exit = resumeForExit(value, doubleReply);
        if (exit == FiberControlBlock.EXIT_CALLBACK) {
            return callbackEvent();
        }
        return exit == FiberControlBlock.EXIT_YIELD ? new FiberEvent.Yielded(transfer) : new FiberEvent.Completed(transfer);
    }

    /** The resume itself; returns the exit code, with the stub id or transfer left in fields. */
    private long resumeForExit(long value, boolean doubleReply) {
        if (runtime.isClosed() || !STATE.compareAndSet(this, SUSPENDED, RUNNING)) {
            return resumeSlow(value, doubleReply);
        }
        checkReplyKind(FiberState.SUSPENDED, doubleReply);
        return switchIn(value);
    }

    /** Owning the fiber (RUNNING), refuse a reply of the wrong kind and give the fiber back as {@code was}. */
    private void checkReplyKind(FiberState was, boolean doubleReply) {
        if (CallbackEvent.returnsDouble(waitingStub) != doubleReply) {
            STATE.setRelease(this, was.ordinal());
            throw wrongReplyKind(waitingStub, doubleReply);
        }
    }

    /** The fiber is RUNNING on this thread: switch onto it and take what it switched out with. */
    private long switchIn(long value) {
        Thread t = Thread.currentThread();
        if (runner != t) {
            runner = t; // a store only when the thread changes: it is for messages
        }
        long passed;
        try {
            passed = port.resume(fcb, value);
        } catch (RuntimeException | Error e) {
            markFailed(e);
            throw e;
        }
        long exit = view.getLong(FiberControlBlock.EXIT);
        switchesOut++;
        transfer = passed;
        if (exit == FiberControlBlock.EXIT_CALLBACK) {
            waitingStub = (int) view.getLong(FiberControlBlock.CALLBACK_ID);
            STATE.setRelease(this, SUSPENDED);
            return exit;
        }
        if (exit == FiberControlBlock.EXIT_YIELD) {
            waitingStub = -1;
            STATE.setRelease(this, SUSPENDED);
            return exit;
        }
        return completedOrBroken(exit, passed);
    }

    /** Everything but a plain resume of a suspended fiber: the first resume, and every refusal. */
    private long resumeSlow(long value, boolean doubleReply) {
        runtime.ensureOpen();
        FiberState s = state();
        if (s != FiberState.NEW && s != FiberState.SUSPENDED) {
            throw notResumable(s);
        }
        if (!STATE.compareAndSet(this, s.ordinal(), RUNNING)) {
            throw notResumable(state());
        }
        checkReplyKind(s, doubleReply);
        if (s == FiberState.NEW) {
            runner = Thread.currentThread();
            try {
                start();
            } catch (FiberStartException e) {
                throw e;
            } catch (RuntimeException | Error e) {
                markFailed(e);
            throw e;
            }
        }
        return switchIn(value);
    }

    private void markFailed(Throwable e) {
        failure = e;
        state = FiberState.FAILED.ordinal();
    }

    private void start() {
        try {
            stack = runtime.pool().acquire(options);
        } catch (RuntimeException e) {
            throw failStart("the OS refused its stack", e);
        }
        fcb = stack.stack().controlBlock();
        view = stack.view();
        long[] args;
        try {
            args = arguments.arguments(fcb);
            if (args == null) {
                throw new IllegalArgumentException("FiberArguments returned null");
            }
        } catch (RuntimeException e) {
            releaseStack();
            throw failStart("its arguments could not be computed", e);
        }
        if (args.length > FiberControlBlock.MAX_CALL_ARGS) {
            releaseStack();
            throw failStart("it has " + args.length + " arguments; at most "
                    + FiberControlBlock.MAX_CALL_ARGS + " integer/pointer arguments are passed", null);
        }
        for (int i = 0; i < FiberControlBlock.SIZE; i += 8) {
            view.putLong(i, 0L);
        }
        view.putInt(FiberControlBlock.MAGIC, FiberControlBlock.MAGIC_VALUE);
        view.putInt(FiberControlBlock.MAGIC + 4, FiberControlBlock.ABI_VERSION);
        view.putLong(FiberControlBlock.FUNCTION, function);
        for (int i = 0; i < args.length; i++) {
            view.putLong(FiberControlBlock.ARGS + 8 * i, args[i]);
        }
        view.putLong(FiberControlBlock.STACK_LO, stack.stack().lowestUsable());
        view.putLong(FiberControlBlock.STACK_HI, fcb);
        port.initPortSlots(fcb, stack.stack());
        port.prepare(fcb);
    }

    private FiberStartException failStart(String why, Throwable cause) {
        failure = new FiberStartException("fiber " + id + " failed to start: " + why
                + (cause == null ? "" : " (" + cause.getMessage() + ")")
                + "; it is FAILED, create a new fiber once the cause is fixed", cause);
        state = FiberState.FAILED.ordinal();
        runtime.forget(this);
        return (FiberStartException) failure;
    }

    private long completedOrBroken(long exit, long transfer) {
        if (exit == FiberControlBlock.EXIT_DONE) {
            result = transfer;
            waitingStub = -1;
            releaseStack();
            state = FiberState.DONE.ordinal();
            runtime.forget(this);
            return exit;
        }
        throw new IllegalStateException("fiber " + id + " switched out with unknown exit code " + exit
                + "; the provider " + runtime.providerId() + " broke the port contract");
    }

    /**
     * How many times the fiber has switched back to its resumer: once per yield, per callback and
     * at completion. A consumer that remembers it can tell, cheaply, whether anyone else has
     * resumed the fiber since.
     */
    public long switches() {
        return switchesOut;
    }

    /** True while the fiber waits in the callback it switched out with at {@code switchCount}. */
    boolean isCurrent(long switchCount) {
        return state == SUSPENDED && switchesOut == switchCount;
    }

    /**
     * The callback this fiber waits in, as a new event for it, or {@code null} when it is not
     * suspended inside a callback (it waits at a yield, has not started, or has ended). The event
     * is as current as the one its resume returned: either may reply, once.
     */
    public CallbackEvent waitingCallback() {
        return state == SUSPENDED && waitingStub >= 0 ? callbackEvent() : null;
    }

    /** An event for the callback the fiber switched out in last. */
    private CallbackEvent callbackEvent() {
        return new CallbackEvent(this, waitingStub, view, switchesOut);
    }

    /**
     * The function's return value.
     *
     * @throws FiberStateException if the fiber is not {@link FiberState#DONE}
     */
    public long result() {
        if (state != FiberState.DONE.ordinal()) {
            throw new FiberStateException("fiber " + id + " is " + state()
                    + ", it has no result yet; resume it until resume returns FiberEvent.Completed");
        }
        return result;
    }

    /** Why it failed, when {@link FiberState#FAILED}; otherwise {@code null}. */
    public Throwable failure() {
        return failure;
    }

    /**
     * Releases the fiber's stack. Does nothing if already closed or done (a done fiber has released
     * its stack already and keeps its result).
     *
     * @throws FiberStateException if the fiber is running
     */
    @Override
    public void close() {
        for (;;) {
            FiberState s = state();
            if (s == FiberState.CLOSED || s == FiberState.DONE) {
                return;
            }
            if (s == FiberState.RUNNING) {
                Thread t = runner;
                throw new FiberStateException("cannot close fiber " + id + " while it runs"
                        + (t == null ? "" : " on thread '" + t.getName() + "'")
                        + "; close it after its resume returns");
            }
            if (STATE.compareAndSet(this, s.ordinal(), FiberState.CLOSED.ordinal())) {
                waitingStub = -1;
                releaseStack();
                runtime.forget(this);
                return;
            }
        }
    }

    private void releaseStack() {
        StackPool.Lease s = stack;
        if (s != null) {
            // A stale handle must not pass a callback stub's check.
            view.putInt(FiberControlBlock.MAGIC, 0);
            stack = null;
            fcb = 0;
            runtime.pool().release(s, options.pooled());
        }
    }

    private FiberStateException notResumable(FiberState s) {
        switch (s) {
            case RUNNING: {
                Thread t = runner;
                return new FiberStateException("fiber " + id + " is already running"
                        + (t == null ? "" : " on thread '" + t.getName() + "'")
                        + "; a fiber runs on one thread at a time, resume it after that resume returns");
            }
            case DONE:
                return new FiberStateException("fiber " + id + " has completed with result " + result
                        + "; a finished fiber cannot be resumed, create a new one");
            case FAILED:
                return new FiberStateException("fiber " + id + " failed to start ("
                        + (failure == null ? "unknown" : failure.getMessage())
                        + "); create a new fiber");
            case CLOSED:
                return new FiberStateException("fiber " + id + " is closed; create a new fiber");
            default:
                return new FiberStateException("fiber " + id + " is " + s + " and cannot be resumed now");
        }
    }

    private FiberStateException wrongReplyKind(int stub, boolean doubleReply) {
        if (stub < 0) {
            return new FiberStateException("fiber " + id + " waits at a yield, not in a callback that"
                    + " returns double; continue it with resume(long)");
        }
        return doubleReply
                ? new FiberStateException("fiber " + id + " waits in a callback whose stub returns "
                        + "an integer (CallbackReturn.INTEGER); reply with resume(long) or reply(long)")
                : new FiberStateException("fiber " + id + " waits in a callback whose stub returns "
                        + "double (CallbackReturn.DOUBLE); reply with resumeWithDouble(double) or "
                        + "reply(double)");
    }

    @Override
    public String toString() {
        return "Fiber[" + id + ", " + state() + "]";
    }
}
