package org.fiberswitch.cli;

import java.util.Arrays;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.AbiProbes;

/** A quick timing of the resume->yield round trip beside a no-op downcall, in the same run. */
final class RoundTrip {
    /** Medians in nanoseconds. */
    record Timing(double roundTripNanos, double downcallNanos, int batches, int perBatch) {
    }

    private static final int BATCHES = 9;
    private final FiberRuntime runtime;
    private final AbiProbes probes;

    RoundTrip(FiberRuntime runtime) {
        this.runtime = runtime;
        this.probes = runtime.port().probes();
    }

    Timing measure(int perBatch) {
        try (Fiber f = runtime.newFiber(probes.echoEntry(), 1)) {
            f.resume();
            long sink = 0;
            double[] rt = new double[BATCHES];
            double[] dc = new double[BATCHES];
            for (int warm = 0; warm < 3; warm++) {
                sink += resumeLoop(f, perBatch) + downcallLoop(perBatch);
            }
            for (int b = 0; b < BATCHES; b++) {
                long t0 = System.nanoTime();
                sink += resumeLoop(f, perBatch);
                long t1 = System.nanoTime();
                sink += downcallLoop(perBatch);
                long t2 = System.nanoTime();
                rt[b] = (t1 - t0) / (double) perBatch;
                dc[b] = (t2 - t1) / (double) perBatch;
            }
            if (sink == 42) {
                System.out.print("");
            }
            return new Timing(median(rt), median(dc), BATCHES, perBatch);
        }
    }

    private static long resumeLoop(Fiber f, int n) {
        long s = 0;
        for (int i = 1; i <= n; i++) {
            s += ((org.fiberswitch.FiberEvent.Yielded) f.resume(i)).value();
        }
        return s;
    }

    private long downcallLoop(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += probes.readFpEnv();
        }
        return s;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
