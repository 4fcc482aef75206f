package org.fiberswitch.examples;

import com.sun.jna.Pointer;
import java.util.Comparator;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.pull.EarlyStop;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;

/**
 * Recipe: glibc's {@code qsort_r} sorting native memory with a {@link Comparator} written in Java.
 *
 * <p>{@code void qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
 * void *arg)}: the comparator's user data is its third argument (integer position 2). Each
 * comparison is one callback event; the comparator's answer is the reply. {@code qsort_r} has no
 * way to abort, so an early stop <em>drains</em>: the sort still runs to the end with real answers.
 */
public final class QsortR {
    private QsortR() {
    }

    /** One comparison qsort_r asked for, and the answer Java gave. */
    public record Comparison(long left, long right, int answer) {
    }

    /**
     * Sorts {@code n} native {@code long}s at {@code base} in place; returns how many comparisons
     * were made.
     */
    public static long sort(FiberRuntime runtime, Pointer base, int n, Comparator<Long> order) {
        long count = 0;
        try (NativePull<Comparison> comparisons = comparisons(runtime, base, n, order)) {
            while (comparisons.hasNext()) {
                comparisons.next();
                count++;
            }
        }
        return count;
    }

    /**
     * The comparisons of a sort of {@code n} native {@code long}s at {@code base}, one element per
     * comparison, produced lazily; closing before the end drains the sort to completion.
     */
    public static NativePull<Comparison> comparisons(FiberRuntime runtime, Pointer base, int n, Comparator<Long> order) {
        CallbackStub cmp = runtime.callbackStub(2);
        long array = Pointer.nativeValue(base);
        return NativePull.calling(runtime, NativeSymbols.address("c", "qsort_r"),
                        self -> new long[] {array, n, 8, cmp.address(), self},
                        (CallbackEvent cb) -> {
                            long a = new Pointer(cb.longArg(0)).getLong(0);
                            long b = new Pointer(cb.longArg(1)).getLong(0);
                            int answer = Integer.signum(order.compare(a, b));
                            return Step.emit(new Comparison(a, b, answer), answer);
                        })
                .name("qsort_r")
                .earlyStop(EarlyStop.drain())
                .build();
    }
}
