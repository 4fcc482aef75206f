package org.fiberswitch.linux.x64.pull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.stream.Stream;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.pull.CallbackMapper;
import org.fiberswitch.pull.EarlyStop;
import org.fiberswitch.pull.NativeCallException;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;
import org.fiberswitch.spi.AbiProbes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The adapter on real fibers: glibc's qsort_r (many callbacks, cannot abort) and the port's
 * callback probe (one callback whose reply becomes the function's result, so a test can see
 * exactly which reply reached native code).
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class NativePullTest {
    private static final int N = 500;

    private FiberRuntime runtime;
    private AbiProbes probes;
    private Memory base;
    private long[] values;

    /** One comparison qsort_r asked for. */
    record Comparison(long a, long b) {
    }

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        probes = runtime.port().probes();
        values = new Random(7).longs(N).toArray();
        base = new Memory(8L * N);
        base.write(0, values, 0, N);
    }

    @AfterEach
    void close() {
        base.close();
        runtime.close();
    }

    private long[] sortedCopy() {
        long[] s = values.clone();
        Arrays.sort(s);
        return s;
    }

    private NativePull.Builder<Comparison> qsort(CallbackMapper<Comparison> mapper) {
        // void qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *), void *arg)
        CallbackStub cmp = runtime.callbackStub(2);
        return NativePull.calling(runtime, NativeSymbols.address("c", "qsort_r"),
                self -> new long[] {Pointer.nativeValue(base), N, 8, cmp.address(), self}, mapper)
                .name("qsort_r").earlyStop(EarlyStop.drain());
    }

    private static Step<Comparison> compare(org.fiberswitch.CallbackEvent cb) {
        long a = new Pointer(cb.longArg(0)).getLong(0);
        long b = new Pointer(cb.longArg(1)).getLong(0);
        return Step.emit(new Comparison(a, b), Long.compare(a, b));
    }

    /** probe: fn(self, stub, flags) calls stub once and returns its reply. */
    private NativePull.Builder<String> probe(CallbackMapper<String> mapper) {
        CallbackStub stub = runtime.callbackStub(0);
        return NativePull.calling(runtime, probes.callbackEntry(),
                self -> new long[] {self, stub.address(), 0}, mapper).name("callback probe");
    }

    @Test
    void everyComparisonIsAnElementAndTheArrayEndsSorted() {
        List<Comparison> seen = new ArrayList<>();
        try (NativePull<Comparison> pull = qsort(NativePullTest::compare).build()) {
            while (pull.hasNext()) {
                seen.add(pull.next());
            }
            assertEquals(FiberState.DONE, pull.fiber().state());
            assertFalse(pull.stoppedEarly());
            assertTrue(pull.result().isPresent());
            assertThrows(NoSuchElementException.class, pull::next);
        }
        assertTrue(seen.size() > N, "only " + seen.size() + " comparisons");
        assertArrayEquals(sortedCopy(), base.getLongArray(0, N));
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void elementsArriveOneAtATimeWithNothingRunningAhead() {
        int[] mapped = {0};
        try (NativePull<Comparison> pull = qsort(cb -> {
            mapped[0]++;
            return compare(cb);
        }).build()) {
            assertEquals(0, mapped[0], "building starts nothing");
            pull.hasNext();
            pull.hasNext();
            assertEquals(1, mapped[0], "hasNext twice maps one callback");
            pull.next();
            pull.next();
            assertEquals(2, mapped[0]);
            assertEquals(FiberState.SUSPENDED, pull.fiber().state(), "qsort_r waits inside the comparator");
        }
    }

    @Test
    void closingEarlyDrainsQsortSoTheArrayIsStillSorted() {
        NativePull<Comparison> pull = qsort(NativePullTest::compare).build();
        for (int i = 0; i < 3; i++) {
            pull.next();
        }
        pull.close();
        assertTrue(pull.stoppedEarly());
        assertEquals(FiberState.DONE, pull.fiber().state(), "drained to the function's return");
        assertArrayEquals(sortedCopy(), base.getLongArray(0, N), "drain kept giving real answers");
        assertEquals(0, runtime.liveFibers());
        IllegalStateException e = assertThrows(IllegalStateException.class, pull::hasNext);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, pull::next);
        pull.close(); // idempotent
    }

    @Test
    void closingAStreamAfterLimitStopsTheProducer() {
        NativePull<Comparison> pull = qsort(NativePullTest::compare).build();
        List<Comparison> first;
        try (Stream<Comparison> s = pull.stream()) {
            first = s.limit(4).toList();
        }
        assertEquals(4, first.size());
        assertEquals(FiberState.DONE, pull.fiber().state());
        assertArrayEquals(sortedCopy(), base.getLongArray(0, N));
        assertThrows(IllegalStateException.class, pull::stream);
    }

    @Test
    void abortSendsTheStopReplyAndTheResultShowsIt() {
        // Read to the end: the normal reply reaches native code and becomes the result.
        try (NativePull<String> pull = probe(cb -> Step.emit("one", 5)).earlyStop(EarlyStop.abortWith(77)).build()) {
            assertEquals(List.of("one"), pull.stream().toList());
            assertEquals(5, pull.result().getAsLong());
        }
        // Stop while the element is held: the stop reply is sent instead.
        NativePull<String> pull = probe(cb -> Step.emit("one", 5))
                .earlyStop(EarlyStop.abortWith(77, rc -> rc == 77)).succeedsWhen(rc -> rc == 5).build();
        assertEquals("one", pull.next());
        pull.close();
        assertEquals(77, pull.result().getAsLong());
        assertTrue(pull.stoppedEarly());
        assertEquals(FiberState.DONE, pull.fiber().state());
    }

    @Test
    void abortOnAnApiThatIgnoresItStillResumesUntilItReturns() {
        // qsort_r keeps comparing whatever the comparator says; "abort" replies 0 (equal) until it returns.
        NativePull<Comparison> pull = qsort(NativePullTest::compare).earlyStop(EarlyStop.abortWith(0)).build();
        pull.next();
        pull.close();
        assertEquals(FiberState.DONE, pull.fiber().state());
        long[] after = base.getLongArray(0, N);
        Arrays.sort(after);
        assertArrayEquals(sortedCopy(), after, "still a permutation of the input");
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void anUnexpectedResultAfterStopIsAnError() {
        NativePull<String> pull = probe(cb -> Step.emit("one", 5))
                .earlyStop(EarlyStop.abortWith(77, rc -> rc == 4)).succeedsWhen(rc -> rc == 5).build();
        pull.next();
        NativeCallException e = assertThrows(NativeCallException.class, pull::close);
        assertEquals(77, e.code());
        assertTrue(e.afterEarlyStop());
        assertEquals(FiberState.DONE, pull.fiber().state());
    }

    @Test
    void aFailingReturnCodeSurfacesWithTheCode() {
        NativePull<String> pull = probe(cb -> Step.emit("row", 0xFFFF_FFFF_0000_0005L))
                .intResult() // only the low 32 bits of an int are defined
                .succeedsWhen(rc -> rc == 0)
                .describeErrors(rc -> "code " + rc + " means trouble")
                .build();
        assertEquals("row", pull.next());
        NativeCallException e = assertThrows(NativeCallException.class, pull::hasNext);
        assertEquals(5, e.code());
        assertFalse(e.afterEarlyStop());
        assertTrue(e.getMessage().contains("callback probe returned 5 (code 5 means trouble)"), e.getMessage());
        assertThrows(IllegalStateException.class, pull::hasNext, "a failed pull cannot be read again");
        pull.close();
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void aThrowingMapperDrainsTheCallThenRethrows() {
        RuntimeException boom = new RuntimeException("comparator broke");
        int[] calls = {0};
        NativePull<Comparison> pull = qsort(cb -> {
            if (++calls[0] == 3) {
                throw boom;
            }
            return compare(cb);
        }).build();
        pull.next();
        pull.next();
        RuntimeException thrown = assertThrows(RuntimeException.class, pull::hasNext);
        assertSame(boom, thrown);
        assertTrue(calls[0] > 3, "the drain went on mapping for replies");
        assertEquals(FiberState.DONE, pull.fiber().state(), "qsort_r returned before the rethrow");
        assertTrue(pull.stoppedEarly());
        assertEquals(0, runtime.liveFibers());
        long[] after = base.getLongArray(0, N);
        Arrays.sort(after);
        assertArrayEquals(sortedCopy(), after);
        IllegalStateException again = assertThrows(IllegalStateException.class, pull::hasNext);
        assertSame(boom, again.getCause());
    }

    @Test
    void aThrowingMapperUnderAbortSendsTheStopReply() {
        IllegalStateException boom = new IllegalStateException("bad row");
        NativePull<String> pull = probe(cb -> {
            throw boom;
        }).earlyStop(EarlyStop.abortWith(9, rc -> rc == 9)).build();
        assertSame(boom, assertThrows(IllegalStateException.class, pull::hasNext));
        assertEquals(9, pull.result().getAsLong());
        assertEquals(FiberState.DONE, pull.fiber().state());
    }

    @Test
    void skippedEventsReplyAtOnceAndMakeNoElement() {
        try (NativePull<Comparison> pull = qsort(cb -> {
            long a = new Pointer(cb.longArg(0)).getLong(0);
            long b = new Pointer(cb.longArg(1)).getLong(0);
            return Step.skip(Long.compare(a, b));
        }).build()) {
            assertFalse(pull.hasNext());
            assertEquals(FiberState.DONE, pull.fiber().state());
        }
        assertArrayEquals(sortedCopy(), base.getLongArray(0, N));
    }

    @Test
    void doubleRepliesReachStubsThatReturnDouble() {
        CallbackStub stub = runtime.callbackStub(1, CallbackReturn.DOUBLE, 3);
        try (NativePull<Integer> pull = NativePull.calling(runtime, probes.callbackEntry(),
                self -> new long[] {self, stub.address(), 1 | 0x100}, cb -> Step.emit(cb.tag(), -2.5)).build()) {
            assertEquals(3, pull.next(), "the tag of the stub that fired");
            assertFalse(pull.hasNext());
            assertEquals(Double.doubleToRawLongBits(-2.5), pull.result().getAsLong());
        }
    }

    @Test
    void aDoubleReplyToAnIntegerCallbackIsRejectedAndTheCallStillEnds() {
        NativePull<String> pull = probe(cb -> Step.emit("x", 1.0)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, pull::hasNext);
        assertTrue(e.getMessage().contains("returns an integer"), e.getMessage());
        assertEquals(0, pull.result().getAsLong(), "drained with the fallback reply 0");
        assertEquals(FiberState.DONE, pull.fiber().state());
    }

    @Test
    void aNullStepIsAClearError() {
        NativePull<String> pull = probe(cb -> null).build();
        NullPointerException e = assertThrows(NullPointerException.class, pull::hasNext);
        assertTrue(e.getMessage().contains("Step.skip"), e.getMessage());
        assertEquals(FiberState.DONE, pull.fiber().state());
    }

    @Test
    void aPullThatNeverStartedClosesItsFiber() {
        NativePull<Comparison> pull = qsort(NativePullTest::compare).build();
        assertEquals(1, runtime.liveFibers());
        pull.close();
        assertEquals(FiberState.CLOSED, pull.fiber().state());
        assertEquals(0, runtime.liveFibers());
        assertFalse(pull.result().isPresent());
        assertArrayEquals(values, base.getLongArray(0, N), "qsort_r never ran");
    }

    @Test
    void closingTheRuntimeFirstIsReportedNotHidden() {
        NativePull<Comparison> pull = qsort(NativePullTest::compare).build();
        pull.next();
        runtime.close(); // abandons qsort_r where it stands
        IllegalStateException e = assertThrows(IllegalStateException.class, pull::close);
        assertTrue(e.getMessage().contains("Close the NativePull before its runtime"), e.getMessage());
    }

    @Test
    void finishRunsToTheEndAndReturnsTheResult() {
        try (NativePull<String> pull = probe(cb -> Step.emit("x", 42)).build()) {
            assertEquals(42, pull.finish());
        }
    }

    @Test
    void aStartFailureReachesTheConsumer() {
        CallbackStub cmp = runtime.callbackStub(2);
        NativePull<String> pull = NativePull.<String>calling(runtime, NativeSymbols.address("c", "qsort_r"),
                self -> {
                    throw new IllegalStateException("no buffer");
                }, cb -> Step.skip(0)).build();
        org.fiberswitch.FiberStartException e = assertThrows(org.fiberswitch.FiberStartException.class, pull::hasNext);
        assertTrue(e.getMessage().contains("no buffer"), e.getMessage());
        assertThrows(IllegalStateException.class, pull::hasNext);
        assertEquals(FiberState.CLOSED, pull.fiber().state());
        assertEquals(0, runtime.liveFibers());
        pull.close();
        assertTrue(cmp.address() != 0);
    }

    @Test
    void forEachRemainingGivesEveryComparisonInOrderAndSendsEachReply() {
        List<Comparison> viaIterator = new ArrayList<>();
        try (NativePull<Comparison> pull = qsort(NativePullTest::compare).build()) {
            pull.forEachRemaining(viaIterator::add);
            assertEquals(FiberState.DONE, pull.fiber().state());
            assertFalse(pull.hasNext());
        }
        assertArrayEquals(sortedCopy(), base.getLongArray(0, N));
        // the same native call read element by element makes the same comparisons
        base.write(0, values, 0, N);
        List<Comparison> viaNext = new ArrayList<>();
        try (NativePull<Comparison> pull = qsort(NativePullTest::compare).build()) {
            while (pull.hasNext()) {
                viaNext.add(pull.next());
            }
        }
        assertEquals(viaNext, viaIterator);
    }

    @Test
    void forEachRemainingStartsWithTheElementHasNextHeld() {
        List<Comparison> all = new ArrayList<>();
        try (NativePull<Comparison> pull = qsort(NativePullTest::compare).build()) {
            Comparison first = pull.next();
            assertTrue(pull.hasNext()); // holds the second element
            all.add(first);
            pull.forEachRemaining(all::add);
        }
        base.write(0, values, 0, N);
        try (NativePull<Comparison> pull = qsort(NativePullTest::compare).build()) {
            assertEquals(pull.stream().toList(), all);
        }
    }

    @Test
    void anActionThatThrowsLeavesThePullOpenAndCloseStillDrains() {
        NativePull<Comparison> pull = qsort(NativePullTest::compare).build();
        int[] seen = {0};
        IllegalStateException boom = assertThrows(IllegalStateException.class, () -> pull.forEachRemaining(c -> {
            if (++seen[0] == 5) {
                throw new IllegalStateException("consumer gave up");
            }
        }));
        assertEquals("consumer gave up", boom.getMessage());
        assertEquals(FiberState.SUSPENDED, pull.fiber().state(), "qsort_r still waits in the fifth comparison");
        assertTrue(pull.hasNext(), "the pull goes on after the consumer's own exception");
        pull.close();
        assertTrue(pull.stoppedEarly());
        assertArrayEquals(sortedCopy(), base.getLongArray(0, N), "drained, so the array ends sorted");
        assertThrows(IllegalStateException.class, () -> pull.forEachRemaining(c -> { }));
    }

    @Test
    void forEachRemainingSurfacesAFailingReturnCode() {
        try (NativePull<String> pull = probe(cb -> Step.emit("x", 7)).succeedsWhen(rc -> rc == 0).build()) {
            List<String> got = new ArrayList<>();
            NativeCallException e = assertThrows(NativeCallException.class, () -> pull.forEachRemaining(got::add));
            assertEquals(7, e.code());
            assertEquals(List.of("x"), got);
        }
    }

    @Test
    void resumingThePullsFiberBehindItsBackIsRefused() {
        NativePull<Comparison> pull = qsort(NativePullTest::compare).build();
        pull.next();
        org.fiberswitch.CallbackEvent waiting = pull.fiber().waitingCallback();
        assertTrue(waiting != null, "the fiber waits in the comparator");
        waiting.reply(0); // someone else answers the comparison the pull owes
        IllegalStateException e = assertThrows(IllegalStateException.class, pull::hasNext);
        assertTrue(e.getMessage().contains("resumed by someone else"), e.getMessage());
    }
}
