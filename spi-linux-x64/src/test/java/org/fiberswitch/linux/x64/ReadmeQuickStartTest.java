package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.NativeSymbols;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The README's quick start, as written there (keep the two in step). */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class ReadmeQuickStartTest {

    @Test
    void quickStartSortsWithAJavaComparator() {
        long[] sorted;
        FiberEvent last;
        // ---- README begins
        try (FiberRuntime runtime = FiberRuntime.open();
             Memory data = new Memory(8 * 4)) {
            data.write(0, new long[] {42, 7, 19, 3}, 0, 4);
            CallbackStub cmp = runtime.callbackStub(2);             // user data at argument position 2
            Fiber sort = runtime.newCall(NativeSymbols.address("c", "qsort_r"),
                    self -> new long[] {Pointer.nativeValue(data), 4, 8, cmp.address(), self});
            FiberEvent e = sort.resume();
            while (e instanceof CallbackEvent call) {
                long a = new Pointer(call.longArg(0)).getLong(0);
                long b = new Pointer(call.longArg(1)).getLong(0);
                e = call.reply(Long.compare(a, b));                 // the comparator's return value
            }
            // data now holds 3, 7, 19, 42; e is FiberEvent.Completed
            // ---- README ends
            sorted = data.getLongArray(0, 4);
            last = e;
        }
        assertArrayEquals(new long[] {3, 7, 19, 42}, sorted);
        assertInstanceOf(FiberEvent.Completed.class, last);
    }
}
