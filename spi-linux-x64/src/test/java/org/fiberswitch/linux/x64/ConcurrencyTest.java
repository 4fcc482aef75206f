package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.fiberswitch.spi.FiberControlBlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Thread migration, many live fibers, and fibers on many threads at once. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class ConcurrencyTest {
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
    void aSuspendedFiberMovesBetweenThreads() throws Exception {
        Fiber f = runtime.newFiber(probes.echoEntry(), 1);
        ExecutorService a = Executors.newSingleThreadExecutor();
        ExecutorService b = Executors.newSingleThreadExecutor();
        try {
            assertEquals(new FiberEvent.Yielded(1), a.submit(() -> f.resume()).get(10, TimeUnit.SECONDS));
            for (int i = 1; i <= 50; i++) {
                ExecutorService on = (i % 2 == 0) ? a : b;
                long v = i;
                assertEquals(new FiberEvent.Yielded(v + 1), on.submit(() -> f.resume(v)).get(10, TimeUnit.SECONDS));
            }
            assertEquals(new FiberEvent.Completed(51), f.resume(0));
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    @Test
    void tenThousandLiveFibersKeepTheirOwnState() {
        StackOptions small = StackOptions.defaults().withSize(StackOptions.MIN_SIZE);
        int n = 10_000;
        List<Fiber> fibers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Fiber f = runtime.newFiber(probes.echoEntry(), i * 2L, small);
            assertEquals(new FiberEvent.Yielded(i * 2L), f.resume());
            fibers.add(f);
        }
        assertEquals(n, runtime.liveFibers());
        for (int i = n - 1; i >= 0; i--) {
            assertEquals(new FiberEvent.Yielded(i * 3L + 2), fibers.get(i).resume(i * 3L + 1));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(new FiberEvent.Completed(2), fibers.get(i).resume(0));
        }
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void fibersOnManyThreadsAtOnceStayIndependent() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 0x1000L * (t + 1);
                results.add(pool.submit(() -> {
                    long lost = 0;
                    for (int round = 0; round < 200; round++) {
                        Fiber f = runtime.newFiber(probes.registersEntry(), seed + round);
                        f.resume();
                        for (int i = 0; i < 3; i++) {
                            lost |= probes.resumeCheckingRegisters(f.handle(), 0, seed ^ i);
                        }
                        lost |= new com.sun.jna.Pointer(f.handle()).getLong(FiberControlBlock.RESULT);
                        f.close();
                        Fiber e = runtime.newFiber(probes.echoEntry(), seed);
                        if (!new FiberEvent.Yielded(seed).equals(e.resume())
                                || !new FiberEvent.Yielded(seed + 6).equals(e.resume(seed + 5))
                                || !new FiberEvent.Completed(2).equals(e.resume(0))) {
                            lost |= 1L << 40;
                        }
                    }
                    return lost;
                }));
            }
            for (Future<Long> r : results) {
                assertEquals(0L, r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
