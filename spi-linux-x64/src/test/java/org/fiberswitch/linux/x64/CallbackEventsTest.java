package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Arrays;
import java.util.Random;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.spi.AbiProbes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Native callbacks become Java events: every argument position, both reply kinds, a real libc API. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class CallbackEventsTest {
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

    @Test
    void everyArgumentPositionAndBothReplyKindsArrive() {
        int positions = runtime.callbackSupport().userDataPositions();
        assertEquals(8, positions);
        for (CallbackReturn kind : CallbackReturn.values()) {
            for (int ud = 0; ud < positions; ud++) {
                int tag = (ud * 3 + kind.ordinal()) % 16;
                CallbackStub stub = runtime.callbackStub(ud, kind, tag);
                int position = ud;
                long flags = ud | (kind == CallbackReturn.DOUBLE ? 0x100 : 0);
                Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), flags});
                CallbackEvent cb = assertInstanceOf(CallbackEvent.class, f.resume());
                assertEquals(tag, cb.tag());
                assertEquals(position, cb.userDataPosition());
                assertEquals(kind, cb.returns());
                for (int k = 0; k < 8; k++) {
                    long expected = k == position ? f.handle() : 0x0101010101010101L * (k + 1);
                    assertEquals(expected, cb.longArg(k), "integer position " + k + " with user data at " + position);
                    assertEquals(k + 1.25, cb.doubleArg(k), "float position " + k);
                }
                FiberEvent done = kind == CallbackReturn.DOUBLE ? cb.reply(-0.5) : cb.reply(0x7766554433221100L);
                long expectedResult = kind == CallbackReturn.DOUBLE ? Double.doubleToRawLongBits(-0.5) : 0x7766554433221100L;
                assertEquals(new FiberEvent.Completed(expectedResult), done);
            }
        }
    }

    @Test
    void qsortRSortsWithAJavaComparator() {
        // glibc: void qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *), void *arg)
        int n = 2000;
        long[] values = new Random(42).longs(n).toArray();
        try (Memory base = new Memory(8L * n)) {
            base.write(0, values, 0, n);
            CallbackStub cmp = runtime.callbackStub(2);
            Fiber sort = runtime.newCall(NativeSymbols.address("c", "qsort_r"),
                    self -> new long[] {Pointer.nativeValue(base), n, 8, cmp.address(), self});
            int comparisons = 0;
            FiberEvent e = sort.resume();
            while (e instanceof CallbackEvent cb) {
                long a = new Pointer(cb.longArg(0)).getLong(0);
                long b = new Pointer(cb.longArg(1)).getLong(0);
                comparisons++;
                // Descending, decided in Java.
                e = cb.reply(Long.compare(b, a));
            }
            assertInstanceOf(FiberEvent.Completed.class, e);
            long[] sorted = base.getLongArray(0, n);
            long[] expected = values.clone();
            Arrays.sort(expected);
            for (int i = 0; i < n / 2; i++) {
                long t = expected[i];
                expected[i] = expected[n - 1 - i];
                expected[n - 1 - i] = t;
            }
            assertArrayEquals(expected, sorted);
            assertEquals(true, comparisons > n, "qsort_r called the comparator " + comparisons + " times");
        }
    }

    @Test
    void twoCallbacksOfOneFiberAreToldApartByTag() {
        CallbackStub first = runtime.callbackStub(0, CallbackReturn.INTEGER, 4);
        CallbackStub second = runtime.callbackStub(0, CallbackReturn.INTEGER, 9);
        // Two fibers, each calling a different stub; the events name the stub that fired.
        Fiber a = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, first.address(), 0});
        Fiber b = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, second.address(), 0});
        assertEquals(4, ((CallbackEvent) a.resume()).tag());
        assertEquals(9, ((CallbackEvent) b.resume()).tag());
        a.close();
        b.close();
    }
}
