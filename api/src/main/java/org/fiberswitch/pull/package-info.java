/**
 * Push-to-pull: native APIs that push results through callbacks or yields, read as Java
 * iterators, streams and input streams, on the calling thread.
 *
 * <h2>Why</h2>
 * Many C APIs push: {@code sqlite3_exec} calls you per row, libcurl per chunk, expat per element,
 * {@code qsort_r} per comparison. Java code wants to pull: {@code for (Row r : rows)},
 * {@code stream.limit(10)}, {@code in.read(buf)}. The usual bridge is a second thread and a queue,
 * which costs microseconds per element and moves the native call to another thread. Here the native
 * call runs on a {@link org.fiberswitch.Fiber} on the <em>same</em> thread: each callback suspends
 * it, the consumer takes the element, and asking for the next one resumes it.
 *
 * <h2>The pieces</h2>
 * <ul>
 *   <li>{@link org.fiberswitch.pull.NativePull}: a native call whose callbacks are
 *       {@link org.fiberswitch.CallbackStub}s; a {@link org.fiberswitch.pull.CallbackMapper} turns
 *       each {@link org.fiberswitch.CallbackEvent} into a {@link org.fiberswitch.pull.Step}: an
 *       element or none, and the callback's reply. Read it as an {@code Iterator} or a
 *       {@code Stream}.</li>
 *   <li>{@link org.fiberswitch.pull.NativeInputStream}: a pull of byte
 *       {@link org.fiberswitch.pull.Chunk}s as an {@code InputStream}, copied straight from the
 *       library's buffer.</li>
 *   <li>{@link org.fiberswitch.pull.NativeGenerator}: native code that calls
 *       {@code fiberswitch_yield} as a {@code PrimitiveIterator.OfLong} or {@code LongStream}.</li>
 *   <li>{@link org.fiberswitch.pull.RoundRobin}: many fibers run cooperatively to completion on
 *       one thread, in fair order.</li>
 * </ul>
 *
 * <h2>A first example: glibc's qsort_r, one element per comparison</h2>
 * {@code qsort_r(base, n, size, cmp, arg)} calls {@code int cmp(const void *a, const void *b, void *arg)}.
 * A stub with the user data at integer position 2 stands in for {@code cmp}; the fiber's handle is
 * {@code arg}:
 *
 * <pre>{@code
 * CallbackStub cmp = runtime.callbackStub(2);
 * try (NativePull<String> log = NativePull.calling(runtime, NativeSymbols.address("c", "qsort_r"),
 *             self -> new long[] {base, n, 8, cmp.address(), self},
 *             cb -> {
 *                 long a = new Pointer(cb.longArg(0)).getLong(0), b = new Pointer(cb.longArg(1)).getLong(0);
 *                 return Step.emit(a + " vs " + b, Long.compare(a, b));   // element, and the comparator's answer
 *             })
 *         .earlyStop(EarlyStop.drain())                                 // qsort_r cannot be aborted
 *         .build()) {
 *     log.next();       // the first comparison; qsort_r waits inside it
 * }                     // close(): drains, so the array is still fully sorted
 * }</pre>
 *
 * <h2>The rules it keeps</h2>
 * <ul>
 *   <li><b>No Java on a fiber stack.</b> Mappers, tasks and stop functions run on the consumer's
 *       thread, on its own stack, between two switches. Never hand native code a JNA
 *       {@code Callback} from here: give it a stub.</li>
 *   <li><b>Lazy replies.</b> A callback's reply is sent only when the consumer asks for the next
 *       element, so the arguments' native memory (a row, a chunk) is valid while the consumer holds
 *       the element.</li>
 *   <li><b>No native call is abandoned.</b> Closing early, or a mapper that throws, makes the
 *       function return first, by the {@link org.fiberswitch.pull.EarlyStop} policy: abort with a
 *       stop reply where the API has one ({@code sqlite3_exec}, curl), drain to the end where it
 *       has not ({@code qsort_r}, expat). Only then does the exception reach the consumer.</li>
 *   <li><b>Errors carry the code.</b> A result that {@code succeedsWhen} rejects surfaces as a
 *       {@link org.fiberswitch.pull.NativeCallException} at the consumer; after an early stop, the
 *       results the policy expects (SQLITE_ABORT, CURLE_WRITE_ERROR) are not errors.</li>
 *   <li><b>Read once.</b> A pull is one native call; iterating after close throws
 *       {@link java.lang.IllegalStateException}. Build a new one to call again.</li>
 * </ul>
 *
 * <h2>Speed</h2>
 * One element costs one callback round trip: a native call into the fiber, two stack switches and
 * the mapper. A {@code Stream} terminal operation, {@code forEachRemaining} and a hand-written
 * {@code hasNext()}/{@code next()} loop cost the same: the switch back from the fiber keeps the
 * CPU's return predictor in step with the Java side, so the Java methods that return between two
 * resumes cost nothing extra. {@code docs/performance.md} has the
 * numbers. Mappers that do not keep their {@link org.fiberswitch.CallbackEvent} let the JIT drop its
 * allocation.
 */
package org.fiberswitch.pull;
