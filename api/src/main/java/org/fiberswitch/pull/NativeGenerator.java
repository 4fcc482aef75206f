package org.fiberswitch.pull;

import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.PrimitiveIterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;
import java.util.stream.LongStream;
import java.util.stream.StreamSupport;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;

/**
 * A native generator read as a {@code long} iterator or {@link LongStream}: the entry
 * {@code intptr_t entry(void *self, intptr_t arg)} runs on a fiber, and each
 * {@code fiberswitch_yield(self, value)} it makes becomes one element.
 *
 * <p>The value the generator gets back from {@code fiberswitch_yield} is decided per element by
 * {@link Builder#resumeWith(LongUnaryOperator)} (default: 0), and sent when the consumer asks for
 * the next element, so the generator never runs ahead of the consumer.
 *
 * <pre>{@code
 * // The port's echo probe yields `first`, then v + 1 for every resume value v, and ends on 0.
 * try (NativeGenerator g = NativeGenerator.of(runtime, probes.echoEntry(), 10)
 *         .resumeWith(v -> v)               // yields 10, 11, 12, ...
 *         .stopWith(0)                      // what ends it early
 *         .build()) {
 *     long[] first5 = g.stream().limit(5).toArray();   // {10, 11, 12, 13, 14}
 * }                                                     // close(): resumes with 0 until it returns
 * }</pre>
 *
 * <p>Early stop works as in {@link NativePull}: {@link Builder#stopWith(long)} resumes the generator
 * with a value that makes it return (the generator's own protocol); without one, closing drains
 * it, which for an endless generator never ends. The entry's return value is the
 * {@link #result()}; {@code succeedsWhen} decides whether it is an error.
 *
 * <p>A generator may not call callback stubs; use {@link NativePull} for those.
 */
public final class NativeGenerator implements PrimitiveIterator.OfLong, AutoCloseable {
    private final NativePull<Long> pull;
    private boolean streamed;

    private NativeGenerator(NativePull<Long> pull) {
        this.pull = pull;
    }

    /**
     * Starts describing a generator that runs {@code entry(self, arg)} on a fresh fiber.
     *
     * @param entry a native {@code intptr_t entry(void *self, intptr_t arg)} that calls
     *              {@code fiberswitch_yield(self, value)} (see {@link FiberRuntime#yieldFunction()})
     */
    public static Builder of(FiberRuntime runtime, long entry, long arg) {
        return new Builder(runtime, entry, arg);
    }

    /**
     * Whether the generator yields another value; resumes it if needed.
     *
     * @throws NativeCallException if it returned a result that counts as an error
     * @throws IllegalStateException if it is closed or failed before
     */
    @Override
    public boolean hasNext() {
        return pull.hasNext();
    }

    /** The next yielded value. @throws NoSuchElementException if the generator has returned */
    @Override
    public long nextLong() {
        if (!pull.hasNext()) {
            throw new NoSuchElementException("the generator has returned (result "
                    + pull.result().orElse(0) + "); no more values");
        }
        return pull.next();
    }

    /**
     * Gives every remaining value to {@code action}, in order, with the resume inlined into one
     * loop (see {@link NativePull#forEachRemaining}); streams made by {@link #stream()} use it.
     */
    @Override
    public void forEachRemaining(LongConsumer action) {
        Objects.requireNonNull(action, "action");
        pull.forEachRemaining(v -> action.accept(v));
    }

    /**
     * The remaining values as a sequential stream; closing the stream closes the generator.
     *
     * @throws IllegalStateException if a stream was already made, or the generator is closed
     */
    public LongStream stream() {
        if (streamed) {
            throw new IllegalStateException("stream() was already called on this NativeGenerator");
        }
        pull.ensureUsable(); // fails fast when closed, without starting the fiber
        streamed = true;
        return StreamSupport.longStream(Spliterators.spliteratorUnknownSize(this,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    /** Runs the generator to its end, dropping values; returns the entry's result. */
    public long finish() {
        return pull.finish();
    }

    /** The entry's return value, once it has returned. */
    public OptionalLong result() {
        return pull.result();
    }

    /** Whether it returned because the consumer stopped early. */
    public boolean stoppedEarly() {
        return pull.stoppedEarly();
    }

    /** The fiber it runs on. Do not resume it yourself. */
    public Fiber fiber() {
        return pull.fiber();
    }

    /**
     * Stops reading; a generator that has not returned yet is resumed by its early-stop policy
     * until it does. Idempotent.
     */
    @Override
    public void close() {
        pull.close();
    }

    @Override
    public String toString() {
        return "NativeGenerator[" + pull + "]";
    }

    /** Describes a {@link NativeGenerator}; each {@link #build()} starts a new fiber. */
    public static final class Builder {
        private final FiberRuntime runtime;
        private final long entry;
        private final long arg;
        private StackOptions stack = StackOptions.defaults();
        private LongUnaryOperator resume = v -> 0;
        private EarlyStop earlyStop = EarlyStop.drain();
        private LongPredicate succeeds = r -> true;
        private String name;

        Builder(FiberRuntime runtime, long entry, long arg) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            this.entry = entry;
            this.arg = arg;
            this.name = "generator 0x" + Long.toHexString(entry);
        }

        /**
         * The value {@code fiberswitch_yield} returns to the generator after it yielded {@code v};
         * default 0.
         */
        public Builder resumeWith(LongUnaryOperator valueAfter) {
            this.resume = Objects.requireNonNull(valueAfter, "valueAfter");
            return this;
        }

        /**
         * On early stop, resume with {@code stopValue} (every time) until the entry returns; any
         * result is then accepted.
         */
        public Builder stopWith(long stopValue) {
            this.earlyStop = EarlyStop.abortWith(stopValue);
            return this;
        }

        /** The early-stop policy in full; see {@link EarlyStop}. Default: drain with {@code resumeWith}. */
        public Builder earlyStop(EarlyStop policy) {
            this.earlyStop = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Which entry results count as success; default every result. */
        public Builder succeedsWhen(LongPredicate success) {
            this.succeeds = Objects.requireNonNull(success, "success");
            return this;
        }

        /** Stack options of the fiber. */
        public Builder stack(StackOptions options) {
            this.stack = Objects.requireNonNull(options, "options");
            return this;
        }

        /** The generator's name, for messages. */
        public Builder name(String generatorName) {
            this.name = Objects.requireNonNull(generatorName, "generatorName");
            return this;
        }

        /** A new generator; the fiber starts on the first {@code hasNext}. */
        public NativeGenerator build() {
            LongUnaryOperator after = resume;
            NativePull.EventMapper<Long> mapper = event -> {
                if (event instanceof FiberEvent.Yielded y) {
                    return Step.emit(y.value(), after.applyAsLong(y.value()));
                }
                CallbackEvent cb = (CallbackEvent) event;
                throw new IllegalStateException("the generator called a callback stub (" + cb
                        + "); a NativeGenerator handles yields only, use NativePull for callbacks");
            };
            Fiber f = runtime.newFiber(entry, arg, stack);
            return new NativeGenerator(new NativePull<>(f, mapper, earlyStop, false, succeeds, null, name));
        }

        /** {@code build().stream()}. */
        public LongStream stream() {
            return build().stream();
        }
    }
}
