package org.fiberswitch.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a user would pick instead of a fiber: a JNA Callback per call, the JDK's own continuations,
 * virtual threads, platform threads. Every op is one round trip (there and back). The JDK 21+
 * APIs are reached by reflection so this compiles on JDK 17, where they report "not available".
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        // One carrier, so the virtual-thread handoff is a same-thread switch like a fiber's.
        "-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1"})
public class AlternativesBench {

    static final int CALLBACK_BATCH = 1000;
    static final int HANDOFF_BATCH = 10_000;

    /** JNA calls a Java Callback from native code, once per op (the loop's downcall is amortized). */
    @State(Scope.Thread)
    public static class JnaCallbackState {
        final FsBench.LoopCallback callback = (i, ud) -> i;
    }

    @Benchmark
    @OperationsPerInvocation(CALLBACK_BATCH)
    public long jnaCallback(JnaCallbackState s) {
        return FsBench.fsbench_loop(CALLBACK_BATCH, s.callback, null);
    }

    /** {@code jdk.internal.vm.Continuation}: run() until the body yields, per op. */
    @State(Scope.Thread)
    public static class ContinuationState {
        Object continuation;

        @Setup(Level.Trial)
        public void setUp() {
            continuation = Cont.create(() -> {
                for (;;) {
                    Cont.yieldNow();
                }
            });
        }
    }

    @Benchmark
    public Object continuationRunYield(ContinuationState s) throws Throwable {
        Cont.run(s.continuation);
        return s.continuation;
    }

    /** Two virtual threads on one carrier, handing a value back and forth through SynchronousQueues. */
    @State(Scope.Thread)
    public static class VirtualThreadState {
        final SynchronousQueue<Long> start = new SynchronousQueue<>();
        final SynchronousQueue<Long> done = new SynchronousQueue<>();
        final SynchronousQueue<Long> ping = new SynchronousQueue<>();
        final SynchronousQueue<Long> pong = new SynchronousQueue<>();
        Thread a;
        Thread b;

        @Setup(Level.Trial)
        public void setUp() {
            b = VirtualThreads.start(() -> {
                for (;;) {
                    pong.put(ping.take() + 1);
                }
            });
            a = VirtualThreads.start(() -> {
                for (;;) {
                    long n = start.take();
                    long v = 0;
                    for (long i = 0; i < n; i++) {
                        ping.put(v);
                        v = pong.take();
                    }
                    done.put(v);
                }
            });
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            a.interrupt();
            b.interrupt();
        }
    }

    /** One op is a round trip a -> b -> a between two virtual threads (the batch start is amortized). */
    @Benchmark
    @OperationsPerInvocation(HANDOFF_BATCH)
    public long virtualThreadHandoff(VirtualThreadState s) throws InterruptedException {
        s.start.put((long) HANDOFF_BATCH);
        return s.done.take();
    }

    /** A platform-thread partner echoing through SynchronousQueues, as a thread + queue design does. */
    @State(Scope.Thread)
    public static class PlatformThreadState {
        final SynchronousQueue<Long> ping = new SynchronousQueue<>();
        final SynchronousQueue<Long> pong = new SynchronousQueue<>();
        Thread partner;
        long next;

        @Setup(Level.Trial)
        public void setUp() {
            partner = new Thread(() -> {
                try {
                    for (;;) {
                        pong.put(ping.take() + 1);
                    }
                } catch (InterruptedException e) {
                    // tear-down
                }
            }, "sq-partner");
            partner.setDaemon(true);
            partner.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            partner.interrupt();
        }
    }

    @Benchmark
    public long platformThreadHandoff(PlatformThreadState s) throws InterruptedException {
        s.ping.put(s.next);
        s.next = s.pong.take();
        return s.next;
    }

    /** Interruptible body for the virtual threads. */
    interface Body {
        void run() throws InterruptedException;
    }

    /** Thread.ofVirtual() by reflection (JDK 21+). */
    static final class VirtualThreads {
        private VirtualThreads() {
        }

        static Thread start(Body body) {
            Runnable r = () -> {
                try {
                    body.run();
                } catch (InterruptedException e) {
                    // tear-down
                }
            };
            try {
                Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                Method start = Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class);
                return (Thread) start.invoke(builder, r);
            } catch (NoSuchMethodException | ClassNotFoundException e) {
                throw new UnsupportedOperationException("virtual threads not available on JDK "
                        + Runtime.version().feature() + " (needs JDK 21+)", e);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * jdk.internal.vm.Continuation through method handles held in static finals, so the JIT binds
     * them like direct calls. Loaded only when a continuation benchmark runs.
     */
    static final class Cont {
        private static final Object SCOPE;
        private static final MethodHandle NEW;
        private static final MethodHandle RUN;
        private static final MethodHandle YIELD;

        static {
            try {
                Class<?> scope = Class.forName("jdk.internal.vm.ContinuationScope");
                Class<?> cont = Class.forName("jdk.internal.vm.Continuation");
                // lookup(), not publicLookup(): the package is exported only to unnamed modules (--add-exports).
                MethodHandles.Lookup l = MethodHandles.lookup();
                SCOPE = l.findConstructor(scope, MethodType.methodType(void.class, String.class)).invoke("bench");
                NEW = l.findConstructor(cont, MethodType.methodType(void.class, scope, Runnable.class))
                        .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
                RUN = l.findVirtual(cont, "run", MethodType.methodType(void.class))
                        .asType(MethodType.methodType(void.class, Object.class));
                YIELD = l.findStatic(cont, "yield", MethodType.methodType(boolean.class, scope))
                        .asType(MethodType.methodType(boolean.class, Object.class));
            } catch (ClassNotFoundException e) {
                throw new UnsupportedOperationException("jdk.internal.vm.Continuation is not available on JDK "
                        + Runtime.version().feature() + " (needs JDK 21+)", e);
            } catch (IllegalAccessException e) {
                throw new UnsupportedOperationException("jdk.internal.vm is not exported: run the fork with"
                        + " --add-exports java.base/jdk.internal.vm=ALL-UNNAMED", e);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot bind jdk.internal.vm.Continuation", e);
            }
        }

        private Cont() {
        }

        static Object create(Runnable body) {
            try {
                return NEW.invokeExact(SCOPE, body);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        static void run(Object c) throws Throwable {
            RUN.invokeExact(c);
        }

        static void yieldNow() {
            try {
                boolean ignored = (boolean) YIELD.invokeExact(SCOPE);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
