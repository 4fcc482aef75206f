package org.fiberswitch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.pull.NativePull;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Recipe a: libc qsort_r with a Java comparator. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class QsortRTest {
    private static final int N = 5000;
    private FiberRuntime runtime;
    private long[] values;
    private Memory base;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        values = new Random(2026).longs(N, -1000, 1000).toArray(); // many duplicates
        base = new Memory(8L * N);
        base.write(0, values, 0, N);
    }

    @AfterEach
    void close() {
        base.close();
        runtime.close();
    }

    @Test
    void sortsWithAJavaComparator() {
        // By absolute value, then by sign: an order C cannot express without Java.
        Comparator<Long> order = Comparator.<Long>comparingLong(Math::abs).thenComparingLong(v -> v);
        long comparisons = QsortR.sort(runtime, base, N, order);
        long[] expected = Arrays.stream(values).boxed().sorted(order).mapToLong(Long::longValue).toArray();
        assertArrayEquals(expected, base.getLongArray(0, N));
        assertTrue(comparisons >= N - 1, comparisons + " comparisons");
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void anEarlyStopDrainsSoTheSortStillCompletes() {
        NativePull<QsortR.Comparison> pull = QsortR.comparisons(runtime, base, N, Comparator.reverseOrder());
        List<QsortR.Comparison> first;
        try (Stream<QsortR.Comparison> s = pull.stream()) {
            first = s.limit(10).toList();
        }
        assertEquals(10, first.size());
        for (QsortR.Comparison c : first) {
            assertEquals(Integer.signum(Long.compare(c.right(), c.left())), c.answer());
        }
        assertEquals(FiberState.DONE, pull.fiber().state());
        long[] expected = values.clone();
        Arrays.sort(expected);
        for (int i = 0; i < N / 2; i++) {
            long t = expected[i];
            expected[i] = expected[N - 1 - i];
            expected[N - 1 - i] = t;
        }
        assertArrayEquals(expected, base.getLongArray(0, N), "qsort_r cannot abort: the drain finished the sort");
    }
}
