package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Arrays;
import java.util.Random;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.fiberswitch.spi.Capability;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * What is specific to the Linux provider; the rules every port shares run from the conformance kit
 * in this module's build (DiscoveredProvidersConformanceTest, under four collectors).
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class LinuxProviderTest {
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
    void isTheProviderChosenHereWithItsCapabilities() {
        assertEquals(LinuxX64SwitchProvider.ID, runtime.providerId());
        assertTrue(runtime.port().capabilities().containsAll(java.util.EnumSet.of(Capability.GUARD_PAGES,
                Capability.LAZY_COMMIT, Capability.CALLBACK_FLOAT_ARGUMENTS, Capability.UNWIND_TABLES)));
        assertEquals(8, runtime.callbackSupport().userDataPositions());
    }

    @Test
    void everyMmapShapeWorks() {
        // MAP_POPULATE, MAP_NORESERVE, with and without the PROT_NONE guard page, pooled or not.
        for (StackOptions o : new StackOptions[] {
                StackOptions.defaults().withCommit(StackOptions.Commit.EAGER),
                StackOptions.defaults().withGuardPage(false),
                StackOptions.defaults().withGuardPage(false).withCommit(StackOptions.Commit.EAGER),
                StackOptions.defaults().withPooling(false)}) {
            Fiber f = runtime.newCall(probes.recursionEntry(), self -> new long[] {200}, o);
            assertEquals(new FiberEvent.Completed(200), f.resume(), o.toString());
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
                e = cb.reply(Long.compare(b, a)); // descending, decided in Java
            }
            assertInstanceOf(FiberEvent.Completed.class, e);
            long[] expected = Arrays.stream(values).boxed().sorted((x, y) -> Long.compare(y, x))
                    .mapToLong(Long::longValue).toArray();
            assertArrayEquals(expected, base.getLongArray(0, n));
            assertTrue(comparisons > n, "qsort_r called the comparator " + comparisons + " times");
        }
    }
}
