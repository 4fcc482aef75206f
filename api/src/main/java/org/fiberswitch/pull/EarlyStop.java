package org.fiberswitch.pull;

import java.util.Objects;
import java.util.function.LongPredicate;
import java.util.function.ToLongFunction;
import org.fiberswitch.FiberEvent;

/**
 * What a {@link NativePull} does when the consumer stops before the native function has returned:
 * the consumer closed it, a stream was closed after {@code limit} or {@code findFirst}, or a
 * mapper threw.
 *
 * <p>It never abandons the native call halfway. A suspended fiber holds native frames, and with
 * them whatever the library holds at that moment: memory, locks, open files. So the adapter keeps
 * resuming the fiber until the function returns, in one of two ways:
 *
 * <table>
 *   <caption>The two policies</caption>
 *   <tr><th>policy</th><th>for APIs that</th><th>examples</th></tr>
 *   <tr><td>{@link #abortWith(long, LongPredicate) abortWith(reply, expected)}</td>
 *       <td>abort when the callback returns a certain value; they then return an error code that
 *           is the expected result of an early stop, not an error</td>
 *       <td>{@code sqlite3_exec}: non-zero, returns {@code SQLITE_ABORT} (4);
 *           curl's write callback: a short count, {@code curl_easy_perform} returns
 *           {@code CURLE_WRITE_ERROR} (23); a generator that ends when resumed with 0</td></tr>
 *   <tr><td>{@link #drain()}</td>
 *       <td>cannot be aborted from the callback: the function runs to its end, and every further
 *           callback still gets the mapper's normal reply (its elements are dropped)</td>
 *       <td>{@code qsort_r} (an abandoned or inconsistent comparator may corrupt the sort or
 *           worse), expat's handlers ({@code void}; unless you call {@code XML_StopParser})</td></tr>
 * </table>
 *
 * <p>With {@code abortWith}, the stop reply is sent to the callback the fiber waits in and to every
 * callback the function still makes before it returns. For a stub that returns {@code double}, the
 * reply is converted to {@code double}.
 *
 * <p>Draining costs the rest of the native work: closing a stream over a million-row
 * {@code sqlite3_exec} with {@code drain()} still visits every row (without building elements).
 * Prefer {@code abortWith} whenever the API has an abort value.
 */
public final class EarlyStop {
    private final ToLongFunction<FiberEvent> stopReply;
    private final LongPredicate expected;
    private final long fallbackReply;

    private EarlyStop(ToLongFunction<FiberEvent> stopReply, LongPredicate expected, long fallbackReply) {
        this.stopReply = stopReply;
        this.expected = expected;
        this.fallbackReply = fallbackReply;
    }

    /**
     * Run the native function to its end with the mapper's normal replies. When the mapper itself
     * has thrown (and so has no reply for that event), 0 is sent instead; see {@link #drain(long)}.
     * The function's result is checked as for a normal end.
     */
    public static EarlyStop drain() {
        return drain(0);
    }

    /**
     * As {@link #drain()}, with the reply to send for an event the mapper threw on (for
     * {@code qsort_r}, 0 means "equal", which keeps the sort going).
     */
    public static EarlyStop drain(long fallbackReply) {
        return new EarlyStop(null, null, fallbackReply);
    }

    /**
     * Reply {@code stopReply} to the pending callback and to every later one until the function
     * returns; any result is accepted after the stop.
     */
    public static EarlyStop abortWith(long stopReply) {
        return abortWith(stopReply, result -> true);
    }

    /**
     * Reply {@code stopReply} to the pending callback and to every later one until the function
     * returns. After the stop, a result is fine if {@code expectedResult} accepts it (for example
     * {@code rc -> rc == SQLITE_ABORT}) or if it counts as success; anything else surfaces as a
     * {@link NativeCallException} from {@code close()}.
     */
    public static EarlyStop abortWith(long stopReply, LongPredicate expectedResult) {
        Objects.requireNonNull(expectedResult, "expectedResult");
        return new EarlyStop(event -> stopReply, expectedResult, 0);
    }

    /**
     * As {@link #abortWith(long, LongPredicate)}, with a stop reply computed per event. The function
     * runs on the consumer's thread while the fiber waits in that event, so it may also call the
     * library's own stop function (expat's {@code XML_StopParser}) before replying.
     */
    public static EarlyStop abortWith(ToLongFunction<FiberEvent> stopReply, LongPredicate expectedResult) {
        Objects.requireNonNull(stopReply, "stopReply");
        Objects.requireNonNull(expectedResult, "expectedResult");
        return new EarlyStop(stopReply, expectedResult, 0);
    }

    /** Whether this is a {@link #drain()} policy. */
    public boolean drains() {
        return stopReply == null;
    }

    long stopReply(FiberEvent event) {
        return stopReply.applyAsLong(event);
    }

    boolean expected(long result) {
        return expected != null && expected.test(result);
    }

    long fallbackReply() {
        return fallbackReply;
    }

    @Override
    public String toString() {
        return drains() ? "EarlyStop.drain(fallback " + fallbackReply + ")" : "EarlyStop.abortWith(...)";
    }
}
