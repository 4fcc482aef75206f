/**
 * Native code on stackful fibers, driven from Java.
 *
 * <p>A {@link org.fiberswitch.Fiber} runs one native function on its own stack. Java drives it:
 * {@link org.fiberswitch.Fiber#resume(long)} is an ordinary native call that switches onto the
 * fiber, and returns when the fiber yields, when a native callback fires on it, or when its function
 * returns. Everything happens on the calling thread: no helper thread, no queue.
 *
 * <h2>The hard rule: no Java frame on a fiber stack</h2>
 * HotSpot cannot see frames on a foreign stack (GC roots, JNI handle blocks and stack-bound checks
 * all assume the thread's own stack), so only native code runs on fibers. A JNA {@code Callback},
 * a JNI call into Java, or an FFM upcall made from a fiber stack fails: measured, JNA callbacks
 * return 0 and log "error handling callback exception", and FFM upcalls throw
 * {@code StackOverflowError}. Give native code a {@link org.fiberswitch.CallbackStub} instead:
 * each call suspends the fiber and arrives in Java as a {@link org.fiberswitch.CallbackEvent},
 * whose reply becomes the callback's return value.
 *
 * <h2>Example: sort native memory with a comparator written in Java</h2>
 * glibc's {@code qsort_r(base, n, size, cmp, arg)} calls {@code cmp(a, b, arg)} for every
 * comparison. Run it on a fiber with a callback stub as {@code cmp} and the fiber's handle as
 * {@code arg} (integer position 2), and each comparison becomes an event:
 *
 * <pre>{@code
 * try (FiberRuntime runtime = FiberRuntime.open();
 *      Memory data = new Memory(8 * 4)) {
 *     data.write(0, new long[] {42, 7, 19, 3}, 0, 4);
 *     CallbackStub cmp = runtime.callbackStub(2);          // user data at argument position 2
 *     Fiber sort = runtime.newCall(NativeSymbols.address("c", "qsort_r"),
 *             self -> new long[] {Pointer.nativeValue(data), 4, 8, cmp.address(), self});
 *     FiberEvent e = sort.resume();
 *     while (e instanceof CallbackEvent call) {
 *         long a = new Pointer(call.longArg(0)).getLong(0);
 *         long b = new Pointer(call.longArg(1)).getLong(0);
 *         e = call.reply(Long.compare(a, b));              // the comparator's return value
 *     }
 *     // data now holds 3, 7, 19, 42
 * }
 * }</pre>
 *
 * <h2>Fibers that yield</h2>
 * A native entry point {@code intptr_t entry(void *self, intptr_t arg)} started with
 * {@link org.fiberswitch.FiberRuntime#newFiber(long, long)} can call
 * {@code fiberswitch_yield(self, value)} (declared in {@code fiberswitch.h}; its address is also
 * {@link org.fiberswitch.FiberRuntime#yieldFunction()}). {@code resume} then returns
 * {@link org.fiberswitch.FiberEvent.Yielded} with the value, and the next resume's value is what
 * {@code fiberswitch_yield} returns.
 *
 * <h2>Lifecycle and threads</h2>
 * States are {@link org.fiberswitch.FiberState NEW, SUSPENDED, RUNNING, DONE, FAILED, CLOSED}. A
 * fiber may be resumed from any thread, one at a time. Misuse (resuming a finished or running
 * fiber, replying with the wrong kind of value, using a closed runtime, a null function, a bad
 * stack size) throws an exception that says what to do; it never crashes the JVM. The one crash by
 * design: native code overflowing a guarded fiber stack hits the guard page and the process dies at
 * once. Stacks are described by {@link org.fiberswitch.StackOptions} and pooled by default.
 *
 * <h2>Providers</h2>
 * The switch itself is per OS and ABI, in a provider jar found through
 * {@link java.util.ServiceLoader}; see {@link org.fiberswitch.spi} for the port contract, and
 * {@link org.fiberswitch.FiberRuntime#providers()} for what was found on this machine.
 */
package org.fiberswitch;
