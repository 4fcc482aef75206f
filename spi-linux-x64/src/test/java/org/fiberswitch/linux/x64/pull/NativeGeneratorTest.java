package org.fiberswitch.linux.x64.pull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.NoSuchElementException;
import java.util.stream.LongStream;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.pull.NativeCallException;
import org.fiberswitch.pull.NativeGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Generators on the port's echo probe: it yields {@code first}, then {@code v + 1} for every resume
 * value {@code v}, and returns how many values it yielded once resumed with 0.
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class NativeGeneratorTest {
    private FiberRuntime runtime;
    private long echo;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        echo = runtime.port().probes().echoEntry();
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    @Test
    void yieldsBecomeALongStreamAndCloseStopsTheGenerator() {
        NativeGenerator g = NativeGenerator.of(runtime, echo, 10).resumeWith(v -> v).stopWith(0).build();
        long[] first;
        try (LongStream s = g.stream()) {
            first = s.limit(5).toArray();
        }
        assertArrayEquals(new long[] {10, 11, 12, 13, 14}, first);
        assertTrue(g.stoppedEarly());
        assertEquals(5, g.result().getAsLong(), "resumed with 0 after its 5th value, it returned its count");
        assertEquals(FiberState.DONE, g.fiber().state());
        assertThrows(IllegalStateException.class, g::hasNext);
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void aGeneratorThatEndsOnItsOwnEndsTheIterator() {
        try (NativeGenerator g = NativeGenerator.of(runtime, echo, 10).resumeWith(v -> v < 15 ? v : 0).build()) {
            long sum = 0;
            int count = 0;
            while (g.hasNext()) {
                sum += g.nextLong();
                count++;
            }
            assertEquals(6, count);
            assertEquals(10 + 11 + 12 + 13 + 14 + 15, sum);
            assertEquals(6, g.result().getAsLong());
            assertFalse(g.stoppedEarly());
            assertThrows(NoSuchElementException.class, g::nextLong);
        }
    }

    @Test
    void withoutAStopValueCloseDrainsWithTheNormalResumeValues() {
        NativeGenerator g = NativeGenerator.of(runtime, echo, 10).resumeWith(v -> v >= 20 ? 0 : v).build();
        assertEquals(10, g.nextLong());
        assertEquals(11, g.nextLong());
        g.close();
        assertEquals(11, g.result().getAsLong(), "drained through 20: 10..20 is 11 values");
    }

    @Test
    void aResultThatIsNotSuccessIsAnError() {
        NativeGenerator g = NativeGenerator.of(runtime, echo, 1).resumeWith(v -> v < 3 ? v : 0)
                .succeedsWhen(r -> r == 0).name("echo").build();
        assertEquals(1, g.nextLong());
        assertEquals(2, g.nextLong());
        assertEquals(3, g.nextLong());
        NativeCallException e = assertThrows(NativeCallException.class, g::hasNext);
        assertEquals(3, e.code());
        assertTrue(e.getMessage().startsWith("echo returned 3"), e.getMessage());
        assertEquals(FiberState.DONE, g.fiber().state());
    }

    @Test
    void streamTwiceOrAfterCloseIsMisuse() {
        NativeGenerator g = NativeGenerator.of(runtime, echo, 1).stopWith(0).build();
        g.stream().close();
        assertThrows(IllegalStateException.class, g::stream);
        NativeGenerator h = NativeGenerator.of(runtime, echo, 1).build();
        h.close();
        assertThrows(IllegalStateException.class, h::stream);
        assertEquals(FiberState.CLOSED, h.fiber().state(), "never started: just dropped");
    }

    @Test
    void forEachRemainingSumsWhatTheIteratorWouldAndKeepsTheResult() {
        long viaNext = 0;
        try (NativeGenerator g = NativeGenerator.of(runtime, echo, 10).resumeWith(v -> v < 500 ? v : 0).build()) {
            while (g.hasNext()) {
                viaNext += g.nextLong();
            }
        }
        long[] viaEach = {0};
        try (NativeGenerator g = NativeGenerator.of(runtime, echo, 10).resumeWith(v -> v < 500 ? v : 0).build()) {
            assertEquals(10, g.nextLong());
            viaEach[0] = 10;
            g.forEachRemaining((long v) -> viaEach[0] += v);
            assertEquals(viaNext, viaEach[0]);
            assertEquals(491, g.result().getAsLong(), "the echo probe returns how many values it yielded");
        }
    }
}
