package org.fiberswitch.pull;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberArguments;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.StackOptions;
import org.fiberswitch.internal.FiberAccess;
import org.fiberswitch.spi.FiberControlBlock;

/**
 * A push-style native call read as a pull-style sequence: one native function runs on a fiber with
 * {@link CallbackStub}s in place of its callbacks, and each callback becomes (at most) one element.
 *
 * <p>Nothing runs ahead of the consumer. {@link #hasNext()} resumes the fiber until the next
 * callback that the mapper turns into an element, and the fiber then waits inside that callback
 * until the consumer asks for more. There is no helper thread and no queue: the native code and the
 * consumer take turns on the calling thread, and at most one element exists at a time.
 *
 * <pre>{@code
 * // int sqlite3_exec(db, sql, int (*cb)(void *ud, int n, char **values, char **names), void *ud, char **err)
 * CallbackStub row = runtime.callbackStub(0);                     // ud is argument 0 of cb
 * try (Stream<String> names = NativePull.calling(runtime, sqlite3Exec,
 *                 self -> new long[] {db, sql, row.address(), self, 0},
 *                 cb -> Step.emit(firstColumn(cb), 0))           // element, then reply 0: go on
 *         .intResult()
 *         .succeedsWhen(rc -> rc == 0)                            // SQLITE_OK
 *         .earlyStop(EarlyStop.abortWith(1, rc -> rc == 4))       // reply 1 aborts: SQLITE_ABORT
 *         .stream()) {
 *     names.limit(10).forEach(System.out::println);
 * }                                                               // close() aborts the rest
 * }</pre>
 *
 * <p><b>Early stop.</b> When the consumer closes before the function has returned, or a mapper
 * throws, the adapter never abandons the native call: it resumes the fiber by the
 * {@link EarlyStop} policy until the function returns (abort with a stop reply, or drain to the
 * end), then checks the result. See {@link EarlyStop} for which APIs need which.
 *
 * <p><b>Errors.</b> The function's return value decides: if {@code succeedsWhen} rejects it, the
 * consumer gets a {@link NativeCallException} with the code. An exception from the mapper is
 * rethrown to the consumer once the native call has returned. Either way the pull is then
 * finished; using it afterwards throws {@link IllegalStateException}.
 *
 * <p><b>Speed.</b> A {@code hasNext()}/{@code next()} loop, {@link #forEachRemaining} and the
 * terminal operations of {@link #stream()} cost the same per element (see the package
 * documentation).
 *
 * <p><b>Threads.</b> A pull is used by one thread at a time, like an ordinary iterator. It does
 * not own its {@link FiberRuntime}; close the pull before the runtime.
 *
 * <p><b>Always close it</b> (try-with-resources, or a stream in try-with-resources). A pull that
 * was not read to the end keeps its fiber suspended inside the native call until it is closed.
 *
 * @param <T> the element type
 */
public final class NativePull<T> implements Iterator<T>, AutoCloseable {

    /** Maps any fiber event that is not a completion; callbacks and generators plug in here. */
    interface EventMapper<T> {
        Step<T> map(FiberEvent event);
    }

    private enum State { OPEN, FINISHED, FAILED, CLOSED }

    private static final FiberAccess FIBERS = FiberAccess.get();

    private final Fiber fiber;
    private final EventMapper<T> mapper;
    private final EarlyStop earlyStop;
    private final boolean intResult;
    private final LongPredicate succeeds;
    private final LongFunction<String> describe;
    private final String name;

    private State state = State.OPEN;
    /** Why it is FAILED, for the message of later misuse. */
    private Throwable failure;
    /*
     * The reply owed to the event the fiber waits in, as the mapper's step chose it, and how to
     * send it. Neither the step nor the event is kept, so that the JIT can drop both allocations
     * where the mapper is inlined; a cold path that needs the event asks the fiber for it.
     */
    private static final byte NOTHING_OWED = 0;      // not started, or the fiber is no longer ours to resume
    private static final byte OWE_LONG = 1;          // an integer reply (or a yield's resume value)
    private static final byte OWE_DOUBLE_BITS = 2;   // a double reply, as raw bits
    private static final byte OWE_LONG_AS_DOUBLE = 3; // an integer step for a stub that returns double
    private byte owed = NOTHING_OWED;
    private long owedReply;
    /** The fiber's {@link Fiber#switches()} when it entered the event we owe a reply to. */
    private long owedAt;
    private T buffered;
    private boolean streamed;
    private long result;
    private boolean hasResult;
    private boolean stoppedEarly;

    NativePull(Fiber fiber, EventMapper<T> mapper, EarlyStop earlyStop, boolean intResult,
            LongPredicate succeeds, LongFunction<String> describe, String name) {
        this.fiber = fiber;
        this.mapper = mapper;
        this.earlyStop = earlyStop;
        this.intResult = intResult;
        this.succeeds = succeeds;
        this.describe = describe;
        this.name = name;
    }

    /**
     * Starts describing a pull over a native call: {@code function} is called on a fresh fiber with
     * the arguments {@code arguments} computes from the fiber's handle (pass the handle where the
     * API takes the callback's user data), and {@code mapper} turns each callback into a step.
     *
     * @param runtime   the runtime that makes the fiber; not owned
     * @param function  the native function's address, for example from
     *                  {@link org.fiberswitch.NativeSymbols#address(String, String)}
     * @param arguments up to six integer/pointer arguments
     * @param mapper    callback to element and reply
     */
    public static <T> Builder<T> calling(FiberRuntime runtime, long function, FiberArguments arguments,
            CallbackMapper<T> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        EventMapper<T> m = event -> {
            if (event instanceof CallbackEvent cb) {
                return mapper.map(cb);
            }
            throw new IllegalStateException("the native function yielded " + event + " instead of calling"
                    + " a callback stub; use NativeGenerator for native code that yields");
        };
        return new Builder<>(runtime, function, arguments, m);
    }

    /**
     * Whether another element exists. Resumes the fiber (sending the reply for the previous
     * element) until the mapper emits one or the function returns.
     *
     * @throws NativeCallException if the function returned a code that counts as an error
     * @throws IllegalStateException if the pull is closed or failed before
     * @throws org.fiberswitch.FiberStartException if the fiber could not be started
     */
    @Override
    public boolean hasNext() {
        if (buffered != null) {
            return true; // only an OPEN pull holds an element
        }
        if (state != State.OPEN) {
            ensureUsable();
            return false; // FINISHED
        }
        return advance();
    }

    /**
     * The next element. Native memory it points to stays valid until the next call to
     * {@code hasNext}, {@code next} or {@code close}.
     *
     * @throws NoSuchElementException if the function has returned
     */
    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException(name + " has returned (result " + result + "); no more elements");
        }
        T v = buffered;
        buffered = null;
        return v;
    }

    /**
     * A sequential, ordered stream of the remaining elements. Closing the stream closes this pull
     * (see {@link #close()}), so use it in try-with-resources when it may not be read to the end.
     *
     * @throws IllegalStateException if a stream was already made, or the pull is closed
     */
    public Stream<T> stream() {
        ensureUsable();
        if (streamed) {
            throw new IllegalStateException("stream() was already called on this NativePull; a native call"
                    + " can be read once");
        }
        streamed = true;
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    /**
     * Reads the remaining elements (dropping them) and returns the function's result: runs the
     * native call to its end.
     *
     * @throws NativeCallException if the result counts as an error
     */
    public long finish() {
        while (hasNext()) {
            next();
        }
        return result;
    }

    /** The function's return value, once it has returned (normally or after an early stop). */
    public OptionalLong result() {
        return hasResult ? OptionalLong.of(result) : OptionalLong.empty();
    }

    /** Whether the function returned because the consumer stopped early (close or a mapper failure). */
    public boolean stoppedEarly() {
        return stoppedEarly;
    }

    /** The fiber the function runs on, for its state and handle. Do not resume it yourself. */
    public Fiber fiber() {
        return fiber;
    }

    /**
     * Stops reading. If the function has not returned yet, it is made to return now by the
     * {@link EarlyStop} policy (abort or drain), on this thread, before {@code close} returns. A
     * pull that never started just drops its fiber. Idempotent.
     *
     * @throws NativeCallException if the result after the stop is neither success nor an expected
     *     result of the stop
     * @throws RuntimeException the first exception a mapper threw while draining
     */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        State was = state;
        state = State.CLOSED;
        buffered = null;
        if (was != State.OPEN) {
            return;
        }
        byte how = owed;
        owed = NOTHING_OWED;
        if (how == NOTHING_OWED) {
            fiber.close(); // never started: it holds no stack and no native frames
            return;
        }
        if (fiber.state() == FiberState.CLOSED) {
            throw new IllegalStateException("the fiber of this NativePull over " + name + " was closed (by"
                    + " Fiber.close or by closing its FiberRuntime) while the native call was suspended in it;"
                    + " that call was abandoned where it stood. Close the NativePull before its runtime");
        }
        FiberEvent at = waitingEvent();
        RuntimeException[] drainFailure = new RuntimeException[1];
        long r = runToEnd(at, true, owedReply, how == OWE_DOUBLE_BITS, drainFailure);
        stoppedEarly = true;
        RuntimeException bad = check(r, true);
        if (bad != null) {
            if (drainFailure[0] != null) {
                bad.addSuppressed(drainFailure[0]);
            }
            throw bad;
        }
        if (drainFailure[0] != null) {
            throw drainFailure[0];
        }
    }

    /*
     * advance() is the per-element path of the iterator, and forEachRemaining() repeats it inside
     * its own loop. Both keep every failure in a cold method so that the JIT inlines the fiber's
     * resume, down to the native call, into one compiled unit. (How many Java methods return
     * between the native call and the consumer's next call no longer matters: the switch back from
     * the fiber leaves the CPU's return-stack buffer in step with this side; see the Linux port's
     * assembly.)
     */
    private boolean advance() {
        for (;;) {
            Step<T> s = take(resumeFiber());
            if (s == null) {
                return false;
            }
            if (s.emits()) {
                buffered = s.value();
                return true;
            }
        }
    }

    /**
     * Gives every remaining element to {@code action}, on this thread, in order. It does what
     * {@code while (hasNext()) action.accept(next())} does, with the resume inlined into one loop;
     * streams made by {@link #stream()} use it for their terminal operations.
     *
     * @throws NativeCallException if the function returned a code that counts as an error
     * @throws IllegalStateException if the pull is closed or failed
     */
    @Override
    public void forEachRemaining(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        T held = buffered;
        if (held != null) {
            buffered = null;
            action.accept(held);
        }
        while (state == State.OPEN) {
            Step<T> s = take(resumeFiber());
            if (s != null && s.emits()) {
                action.accept(s.value());
            }
        }
        if (state != State.FINISHED) {
            ensureUsable();
        }
    }

    /** Resumes the fiber with the reply owed to the event it waits in (or starts it); returns the exit code. */
    private long resumeFiber() {
        try {
            if (owed == OWE_LONG && fiber.switches() == owedAt) {
                return FIBERS.resume(fiber, owedReply, false);
            }
            return resumeOtherwise();
        } catch (RuntimeException | Error x) {
            // The fiber could not start or be switched to: there is nothing left to drain.
            fail(x);
            closeQuietly(x);
            throw x;
        }
    }

    private long resumeOtherwise() {
        byte how = owed;
        if (how == NOTHING_OWED) {
            return FIBERS.resume(fiber, 0L, false);
        }
        if (fiber.switches() != owedAt) {
            throw new IllegalStateException("the fiber of this NativePull over " + name + " was resumed by"
                    + " someone else while the pull owed it a reply; only the NativePull may resume its fiber");
        }
        long bits = how == OWE_DOUBLE_BITS ? owedReply : Double.doubleToRawLongBits((double) owedReply);
        return FIBERS.resume(fiber, bits, true);
    }

    /**
     * Maps what the fiber switched out with, and records the reply owed to it; {@code null} once
     * the function has returned. The event is made here, in a straight line to the mapper, so the
     * JIT can drop it when the mapper does not keep it.
     */
    private Step<T> take(long exit) {
        if (exit == FiberControlBlock.EXIT_CALLBACK) {
            CallbackEvent cb = FIBERS.callback(fiber);
            Step<T> s = mapOrStop(cb);
            owedReply = s.reply();
            owedAt = fiber.switches();
            owed = cb.returns() != CallbackReturn.DOUBLE ? OWE_LONG
                    : s.isDoubleReply() ? OWE_DOUBLE_BITS : OWE_LONG_AS_DOUBLE;
            return s;
        }
        if (exit == FiberControlBlock.EXIT_YIELD) {
            long value = FIBERS.transfer(fiber);
            Step<T> s = mapOrStop(new FiberEvent.Yielded(value));
            owedReply = s.reply();
            owedAt = fiber.switches();
            owed = OWE_LONG; // map() has refused a double reply to a yield
            return s;
        }
        finished(FIBERS.transfer(fiber));
        return null;
    }

    /**
     * The event the fiber waits in, made again for a cold path (an early stop). At a yield, the
     * fiber's last transfer is the value it yielded.
     */
    private FiberEvent waitingEvent() {
        CallbackEvent cb = fiber.waitingCallback();
        return cb != null ? cb : new FiberEvent.Yielded(FIBERS.transfer(fiber));
    }

    private void finished(long rawResult) {
        owed = NOTHING_OWED;
        state = State.FINISHED;
        RuntimeException bad = check(rawResult, false);
        if (bad != null) {
            fail(bad);
            throw bad;
        }
    }

    private Step<T> mapOrStop(FiberEvent e) {
        try {
            return map(e);
        } catch (RuntimeException | Error x) {
            owed = NOTHING_OWED;
            stopAfterMapperFailure(e, x);
            throw x;
        }
    }

    private Step<T> map(FiberEvent e) {
        Step<T> s = mapper.map(e);
        return s != null && !s.isDoubleReply() ? s : checked(e, s);
    }

    /** A null step, or a double reply, which only a stub that returns double may take. */
    private Step<T> checked(FiberEvent e, Step<T> s) {
        if (s == null) {
            throw new NullPointerException("the mapper returned null for " + e
                    + "; return Step.skip(reply) for an event that makes no element");
        }
        boolean wantsDouble = e instanceof CallbackEvent cb && cb.returns() == CallbackReturn.DOUBLE;
        if (s.isDoubleReply() && !wantsDouble) {
            throw new IllegalArgumentException("the mapper replied a double to " + e
                    + ", which returns an integer; use Step.emit(value, long) or Step.skip(long)");
        }
        return s;
    }

    /** The mapper threw while the fiber waits in {@code e}: finish the native call, then fail. */
    private void stopAfterMapperFailure(FiberEvent e, Throwable cause) {
        try {
            RuntimeException[] drainFailure = new RuntimeException[1];
            long r = runToEnd(e, false, 0L, false, drainFailure);
            stoppedEarly = true;
            if (drainFailure[0] != null && drainFailure[0] != cause) {
                cause.addSuppressed(drainFailure[0]);
            }
            RuntimeException bad = check(r, true);
            if (bad != null) {
                cause.addSuppressed(bad);
            }
        } catch (RuntimeException | Error x) {
            cause.addSuppressed(x);
        }
        fail(cause);
    }

    /**
     * Resumes by the early-stop policy from {@code at} until the function returns; returns its raw
     * result. When {@code hasReply}, {@code reply} is what the mapper's step chose for {@code at}.
     */
    private long runToEnd(FiberEvent at, boolean hasReply, long reply, boolean doubleReply,
            RuntimeException[] drainFailure) {
        FiberEvent cur = at;
        boolean has = hasReply;
        long r = reply;
        boolean d = doubleReply;
        while (!(cur instanceof FiberEvent.Completed c)) {
            if (earlyStop.drains()) {
                cur = has ? send(cur, r, d) : send(cur, earlyStop.fallbackReply(), false);
                has = false;
                if (!(cur instanceof FiberEvent.Completed)) {
                    try {
                        Step<T> s = map(cur); // its element is dropped; only the reply matters
                        has = true;
                        r = s.reply();
                        d = s.isDoubleReply();
                    } catch (RuntimeException x) {
                        if (drainFailure[0] == null) {
                            drainFailure[0] = x;
                        }
                    }
                }
            } else {
                cur = send(cur, earlyStop.stopReply(cur), false);
            }
        }
        return c.result();
    }

    private FiberEvent send(FiberEvent to, long reply, boolean doubleBits) {
        if (to instanceof CallbackEvent cb) {
            if (cb.returns() == CallbackReturn.DOUBLE) {
                return cb.reply(doubleBits ? Double.longBitsToDouble(reply) : (double) reply);
            }
            return cb.reply(reply);
        }
        return fiber.resume(reply);
    }

    /** Records the result; returns the exception to throw if it counts as an error. */
    private RuntimeException check(long raw, boolean afterStop) {
        long r = intResult ? (int) raw : raw;
        result = r;
        hasResult = true;
        if (succeeds.test(r) || (afterStop && earlyStop.expected(r))) {
            return null;
        }
        String detail = describe == null ? null : describe.apply(r);
        return new NativeCallException(name + " returned " + r + (detail == null ? "" : " (" + detail + ")")
                + (afterStop ? " after the consumer stopped early, which the EarlyStop policy does not expect"
                        : ", which counts as an error"), r, afterStop);
    }

    private void closeQuietly(Throwable primary) {
        try {
            fiber.close(); // a FAILED fiber still counts as live in its runtime until closed
        } catch (RuntimeException x) {
            primary.addSuppressed(x);
        }
    }

    private void fail(Throwable why) {
        state = State.FAILED;
        failure = why;
        buffered = null;
        owed = NOTHING_OWED;
    }

    void ensureUsable() {
        if (state == State.CLOSED) {
            throw new IllegalStateException("this NativePull over " + name + " is closed; a native call"
                    + " can be read once: build a new NativePull to call it again");
        }
        if (state == State.FAILED) {
            throw new IllegalStateException("this NativePull over " + name + " failed earlier ("
                    + failure + "); build a new NativePull to call it again", failure);
        }
    }

    @Override
    public String toString() {
        return "NativePull[" + name + ", " + state + (hasResult ? ", result " + result : "") + ", " + fiber + "]";
    }

    /**
     * Describes a {@link NativePull}; each {@link #build()} makes a new fiber, that is, a new call
     * of the native function.
     *
     * @param <T> the element type
     */
    public static final class Builder<T> {
        private final FiberRuntime runtime;
        private final long function;
        private final FiberArguments arguments;
        private final EventMapper<T> mapper;
        private StackOptions stack = StackOptions.defaults();
        private EarlyStop earlyStop = EarlyStop.drain();
        private boolean intResult;
        private LongPredicate succeeds = r -> true;
        private LongFunction<String> describe;
        private String name;

        Builder(FiberRuntime runtime, long function, FiberArguments arguments, EventMapper<T> mapper) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            this.function = function;
            this.arguments = Objects.requireNonNull(arguments, "arguments");
            this.mapper = mapper;
            this.name = "native function 0x" + Long.toHexString(function);
        }

        /** Stack options of the fiber; default {@link StackOptions#defaults()} (256 KiB). */
        public Builder<T> stack(StackOptions options) {
            this.stack = Objects.requireNonNull(options, "options");
            return this;
        }

        /** What to do when the consumer stops early; default {@link EarlyStop#drain()}, which is always safe. */
        public Builder<T> earlyStop(EarlyStop policy) {
            this.earlyStop = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The function returns a C {@code int}: only the low 32 bits of its return register are
         * defined, so the result is sign-extended from them before it is checked or reported.
         */
        public Builder<T> intResult() {
            this.intResult = true;
            return this;
        }

        /**
         * Which results count as success; others surface as {@link NativeCallException}. Default:
         * every result (for functions that return nothing useful).
         */
        public Builder<T> succeedsWhen(LongPredicate success) {
            this.succeeds = Objects.requireNonNull(success, "success");
            return this;
        }

        /** Turns an error code into words for the exception message, e.g. with {@code sqlite3_errstr}. */
        public Builder<T> describeErrors(LongFunction<String> describe) {
            this.describe = describe;
            return this;
        }

        /** The function's name, for messages. */
        public Builder<T> name(String functionName) {
            this.name = Objects.requireNonNull(functionName, "functionName");
            return this;
        }

        /** A new pull; the fiber starts on the first {@code hasNext}. */
        public NativePull<T> build() {
            Fiber f = runtime.newCall(function, arguments, stack);
            return new NativePull<>(f, mapper, earlyStop, intResult, succeeds, describe, name);
        }

        /** {@code build().stream()}: close the stream to stop the native call early. */
        public Stream<T> stream() {
            return build().stream();
        }
    }
}
