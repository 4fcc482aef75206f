package org.fiberswitch.cli;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.SynchronousQueue;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fiberswitch bench}: a short in-process timing of the fiber operations beside the
 * baselines a user would compare them with, printed as a table of ratios measured in the same run.
 * System.nanoTime around batches, medians of batches; no JMH, so only the ratios mean much. The
 * JMH suite (fiberswitch-bench) is the one to quote.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Times resume->yield, callback events and the fiber lifecycle against a no-op",
            "downcall, a platform-thread SynchronousQueue handoff and (JDK 21+) a virtual-thread handoff,",
            "and prints ratios measured in the same run. A quick look, not a benchmark."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--provider", paramLabel = "ID",
            description = "Use this provider (id or class name) and no other, like -Dfiberswitch.provider.")
    private String provider;

    @Option(names = "--iterations", defaultValue = "100000", paramLabel = "N",
            description = "Operations per batch for the fast rows; thread handoffs use N/50 (default: ${DEFAULT-VALUE}).")
    private int iterations;

    @Option(names = "--batches", defaultValue = "9", paramLabel = "B",
            description = "Timed batches per row, after >= 300 ms of warm-up; the median is shown (default: ${DEFAULT-VALUE}).")
    private int batches;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /**
     * Runs at least n operations and returns how many it ran; results go to {@link #sink} so
     * nothing is optimized away.
     */
    private interface Op {
        long run(int n) throws Exception;
    }

    /** A measured row; nanos is NaN when the row is not available here. */
    record Row(String name, double nanos, String note) {
    }

    private long sink;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        int n = Math.max(100, iterations);
        int b = Math.max(1, batches);
        FiberRuntime runtime;
        try {
            runtime = provider == null ? FiberRuntime.open() : FiberRuntime.open(provider);
        } catch (RuntimeException e) {
            out.println("runtime  NOT OPENED: " + e.getMessage());
            out.flush();
            return 2;
        }
        List<Row> rows = new ArrayList<>();
        try (FiberRuntime r = runtime) {
            out.printf("bench    java %s (%s), %d cpus, provider %s, binding %s, accelerator %s%n",
                    System.getProperty("java.version"), System.getProperty("java.vm.name"),
                    Runtime.getRuntime().availableProcessors(), r.providerId(), r.port().binding(), r.accelerator());
            out.printf("         median of %d batches of %d ops (thread handoffs: %d), after >= 300 ms of warm-up per row%n",
                    b, n, Math.max(20, n / 50));
            out.flush();
            AbiProbes probes = r.port().probes();

            rows.add(new Row("no-op downcall (baseline)", time(b, n, k -> {
                long s = 0;
                for (int i = 0; i < k; i++) {
                    s += probes.readFpEnv();
                }
                sink += s;
                return k;
            }), "readFpEnv through the port's binding"));

            try (Fiber echo = r.newFiber(probes.echoEntry(), 1)) {
                echo.resume();
                long[] next = {1};
                rows.add(new Row("resume->yield round trip", time(b, n, k -> {
                    long v = next[0];
                    for (int i = 0; i < k; i++) {
                        v = ((FiberEvent.Yielded) echo.resume(v)).value();
                    }
                    next[0] = v;
                    return k;
                }), "2 switches + 1 downcall"));
            }

            rows.add(new Row("callback event round trip", time(b, n, new QsortEvents(r)),
                    "per qsort_r comparison, incl. qsort's own work"));

            long alignment = probes.alignmentEntry();
            rows.add(new Row("fiber lifecycle, pooled stack", time(b, n / 10, k -> lifecycles(r, alignment,
                    StackOptions.defaults(), k)), "create, run to done, close"));
            StackOptions unpooled = StackOptions.defaults().withPooling(false);
            rows.add(new Row("fiber lifecycle, fresh stack", time(b, Math.max(20, n / 100),
                    k -> lifecycles(r, alignment, unpooled, k)), "mmap + guard page + munmap"));
        }
        int handoffs = Math.max(20, n / 50);
        rows.add(new Row("platform threads, SynchronousQueue", time(b, handoffs, new PlatformHandoff()),
                "round trip to a partner thread"));
        Op virtual = VirtualHandoff.create();
        rows.add(virtual == null
                ? new Row("virtual threads, SynchronousQueue", Double.NaN, "not available (JDK 21+)")
                : new Row("virtual threads, SynchronousQueue", time(b, handoffs, virtual),
                        "round trip between two virtual threads"));
        print(out, rows);
        if (sink == 42) {
            out.print(""); // keeps the results alive
        }
        out.flush();
        return 0;
    }

    private long lifecycles(FiberRuntime r, long entry, StackOptions options, int k) {
        long s = 0;
        for (int i = 0; i < k; i++) {
            try (Fiber f = r.newFiber(entry, 0, options)) {
                s += ((FiberEvent.Completed) f.resume()).result();
            }
        }
        sink += s;
        return k;
    }

    /** Median ns per op over the batches. */
    private double time(int batches, int n, Op op) throws Exception {
        // At least 3 batches and 300 ms, so the JIT has compiled the path before it is timed.
        long warmUntil = System.nanoTime() + 300_000_000L;
        for (int w = 0; w < 3 || System.nanoTime() < warmUntil; w++) {
            op.run(n);
        }
        double[] t = new double[batches];
        for (int i = 0; i < batches; i++) {
            long t0 = System.nanoTime();
            long done = op.run(n);
            t[i] = (System.nanoTime() - t0) / (double) done;
        }
        Arrays.sort(t);
        return t[batches / 2];
    }

    private static void print(PrintWriter out, List<Row> rows) {
        double downcall = rows.get(0).nanos();
        double sq = find(rows, "platform threads");
        double vt = find(rows, "virtual threads");
        out.printf("%-36s %11s %10s %10s %10s  %s%n", "what", "ns/op", "/downcall", "/SyncQueue", "/vthread", "note");
        for (Row row : rows) {
            if (Double.isNaN(row.nanos())) {
                out.printf("%-36s %11s %10s %10s %10s  %s%n", row.name(), "-", "-", "-", "-", row.note());
                continue;
            }
            out.printf("%-36s %11.1f %9.2fx %10s %10s  %s%n", row.name(), row.nanos(), row.nanos() / downcall,
                    ratio(row.nanos(), sq), ratio(row.nanos(), vt), row.note());
        }
    }

    private static String ratio(double x, double base) {
        if (Double.isNaN(base)) {
            return "-";
        }
        double q = x / base;
        return q < 0.01 ? String.format("%.4fx", q) : String.format("%.2fx", q);
    }

    private static double find(List<Row> rows, String prefix) {
        for (Row r : rows) {
            if (r.name().startsWith(prefix)) {
                return r.nanos();
            }
        }
        return Double.NaN;
    }

    /** Each round trip adds 1; anything else means the handoff is broken, not slow. */
    private static long check(long value, int n) {
        if (value != n) {
            throw new IllegalStateException("handoff returned " + value + " after " + n + " round trips");
        }
        return n;
    }

    /** qsort_r over sorted longs with every comparison a callback event; one op is one comparison. */
    private static final class QsortEvents implements Op {
        private static final int LENGTH = 1024;
        private final FiberRuntime runtime;
        private final long qsort = NativeSymbols.address("c", "qsort_r");
        private final CallbackStub cmp;
        private final Memory data = new Memory(8L * LENGTH);

        QsortEvents(FiberRuntime runtime) {
            this.runtime = runtime;
            this.cmp = runtime.callbackStub(2);
            for (int i = 0; i < LENGTH; i++) {
                data.setLong(8L * i, i);
            }
        }

        @Override
        public long run(int n) {
            // Whole sorts (a sort cut short would leak qsort's buffer) until at least n comparisons.
            long address = Pointer.nativeValue(data);
            long done = 0;
            while (done < n) {
                Fiber sort = runtime.newCall(qsort, self -> new long[] {address, LENGTH, 8, cmp.address(), self});
                FiberEvent e = sort.resume();
                while (e instanceof CallbackEvent call) {
                    done++;
                    e = call.reply(Long.compare(new Pointer(call.longArg(0)).getLong(0),
                            new Pointer(call.longArg(1)).getLong(0)));
                }
            }
            return done;
        }
    }

    /** Round trips to a daemon partner thread through two SynchronousQueues. */
    private static final class PlatformHandoff implements Op {
        private final SynchronousQueue<Long> ping = new SynchronousQueue<>();
        private final SynchronousQueue<Long> pong = new SynchronousQueue<>();

        PlatformHandoff() {
            Thread t = new Thread(() -> {
                try {
                    for (;;) {
                        pong.put(ping.take() + 1);
                    }
                } catch (InterruptedException e) {
                    // the JVM exits
                }
            }, "bench-partner");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public long run(int n) throws InterruptedException {
            long v = 0;
            for (int i = 0; i < n; i++) {
                ping.put(v);
                v = pong.take();
            }
            return check(v, n);
        }
    }

    /** Two virtual threads (JDK 21+, by reflection so this compiles for 17) handing values back and forth. */
    private static final class VirtualHandoff implements Op {
        private final SynchronousQueue<Integer> start = new SynchronousQueue<>();
        private final SynchronousQueue<Long> done = new SynchronousQueue<>();
        private final SynchronousQueue<Long> ping = new SynchronousQueue<>();
        private final SynchronousQueue<Long> pong = new SynchronousQueue<>();

        static Op create() {
            Method ofVirtual;
            try {
                ofVirtual = Thread.class.getMethod("ofVirtual");
            } catch (NoSuchMethodException e) {
                return null;
            }
            // One carrier, so the handoff is a same-thread switch like a fiber's. The property only
            // counts before the JVM's first virtual thread; -D on the command line wins.
            if (System.getProperty("jdk.virtualThreadScheduler.parallelism") == null) {
                System.setProperty("jdk.virtualThreadScheduler.parallelism", "1");
            }
            VirtualHandoff h = new VirtualHandoff();
            try {
                Object builder = ofVirtual.invoke(null);
                Method startVirtual = Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class);
                startVirtual.invoke(builder, (Runnable) h::echo);
                startVirtual.invoke(ofVirtual.invoke(null), (Runnable) h::drive);
            } catch (ReflectiveOperationException e) {
                return null;
            }
            return h;
        }

        private void echo() {
            try {
                for (;;) {
                    pong.put(ping.take() + 1);
                }
            } catch (InterruptedException e) {
                // the JVM exits
            }
        }

        private void drive() {
            try {
                for (;;) {
                    int n = start.take();
                    long v = 0;
                    for (int i = 0; i < n; i++) {
                        ping.put(v);
                        v = pong.take();
                    }
                    done.put(v);
                }
            } catch (InterruptedException e) {
                // the JVM exits
            }
        }

        @Override
        public long run(int n) throws InterruptedException {
            start.put(n);
            return check(done.take(), n);
        }
    }
}
