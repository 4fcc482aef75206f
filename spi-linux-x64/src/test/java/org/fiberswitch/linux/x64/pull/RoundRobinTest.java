package org.fiberswitch.linux.x64.pull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberStartException;
import org.fiberswitch.pull.RoundRobin;
import org.fiberswitch.spi.AbiProbes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The round-robin scheduler on echo-probe fibers that yield a chosen number of times. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class RoundRobinTest {
    private FiberRuntime runtime;
    private AbiProbes probes;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        probes = runtime.port().probes();
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    // Echo fibers never start at 0: resuming with 0 ends them.

    /** A task for an echo fiber that should yield {@code yields} values, recording its turns. */
    private static RoundRobin.FiberTask yieldTimes(int index, int yields, List<String> trace) {
        int[] seen = {0};
        return event -> {
            long v = ((FiberEvent.Yielded) event).value();
            trace.add(index + ":" + v);
            return ++seen[0] < yields ? v : 0; // echo yields v + 1 next; 0 makes it return its count
        };
    }

    @Test
    void everyYieldMovesAFiberToTheBackOfTheQueue() {
        int[] yields = {3, 1, 4, 2};
        List<String> trace = new ArrayList<>();
        long[] results;
        try (RoundRobin rr = new RoundRobin()) {
            for (int i = 0; i < yields.length; i++) {
                assertEquals(i, rr.add(runtime.newFiber(probes.echoEntry(), 100L * (i + 1)), yieldTimes(i, yields[i], trace)));
            }
            results = rr.run();
        }
        List<String> expected = new ArrayList<>();
        for (int round = 1; round <= 4; round++) {
            for (int i = 0; i < yields.length; i++) {
                if (yields[i] >= round) {
                    expected.add(i + ":" + (100L * (i + 1) + round - 1));
                }
            }
        }
        assertEquals(expected, trace, "strict round-robin turns");
        assertArrayEquals(new long[] {3, 1, 4, 2}, results);
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void manyFibersRunToCompletionOnOneThread() {
        int n = 200;
        List<String> trace = new ArrayList<>();
        RoundRobin rr = new RoundRobin();
        for (int i = 0; i < n; i++) {
            rr.add(runtime.newFiber(probes.echoEntry(), i + 1), yieldTimes(i, 1 + i % 7, trace));
        }
        long[] results = rr.run();
        for (int i = 0; i < n; i++) {
            assertEquals(1 + i % 7, results[i], "fiber " + i);
            assertEquals(1 + i % 7, rr.result(i).getAsLong());
        }
        assertEquals(trace.size() + n, rr.turns(), "one start plus one turn per yield");
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void callbacksAreRepliedByTheTask() {
        CallbackStub stub = runtime.callbackStub(0);
        RoundRobin rr = new RoundRobin();
        for (int i = 0; i < 3; i++) {
            long reply = 1000 + i;
            rr.add(runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), 0}),
                    event -> event instanceof CallbackEvent ? reply : -1);
        }
        assertArrayEquals(new long[] {1000, 1001, 1002}, rr.run());
    }

    @Test
    void aFiberThatCannotStartIsNamedAndTheOthersStillComplete() {
        RoundRobin rr = new RoundRobin();
        List<String> trace = new ArrayList<>();
        rr.add(runtime.newFiber(probes.echoEntry(), 1), yieldTimes(0, 2, trace));
        rr.add(runtime.newCall(probes.echoEntry(), self -> {
            throw new IllegalArgumentException("bad arguments for job 1");
        }));
        rr.add(runtime.newFiber(probes.echoEntry(), 200), yieldTimes(2, 3, trace));
        FiberStartException e = assertThrows(FiberStartException.class, rr::run);
        assertTrue(e.getMessage().startsWith("1 of 3 scheduled fibers failed to start: #1 ("), e.getMessage());
        assertTrue(e.getMessage().contains("bad arguments for job 1"), e.getMessage());
        assertNotNull(e.getCause());
        assertEquals(2, rr.result(0).getAsLong());
        assertFalse(rr.result(1).isPresent());
        assertEquals(3, rr.result(2).getAsLong());
        assertNotNull(rr.failure(1));
        assertNull(rr.failure(0));
        assertEquals(0, runtime.liveFibers(), "no fiber left suspended");
    }

    @Test
    void misuseIsRejected() {
        Fiber started = runtime.newFiber(probes.echoEntry(), 5);
        started.resume();
        RoundRobin rr = new RoundRobin();
        assertThrows(IllegalArgumentException.class, () -> rr.add(started));
        Fiber f = runtime.newFiber(probes.echoEntry(), 0);
        rr.add(f);
        assertThrows(IllegalArgumentException.class, () -> rr.add(f));
        assertArrayEquals(new long[] {1}, rr.run(), "resumed with 0 after its first yield");
        assertThrows(IllegalStateException.class, rr::run);
        assertThrows(IllegalStateException.class, () -> rr.add(runtime.newFiber(probes.echoEntry(), 0)));
        started.close();
    }

    @Test
    void aThrowingTaskStopsTheRunAndCloseReleasesTheRest() {
        RoundRobin rr = new RoundRobin();
        rr.add(runtime.newFiber(probes.echoEntry(), 1), event -> {
            throw new IllegalStateException("task failed");
        });
        rr.add(runtime.newFiber(probes.echoEntry(), 2), event -> 0);
        assertThrows(IllegalStateException.class, rr::run);
        rr.close();
        assertEquals(0, runtime.liveFibers());
    }
}
