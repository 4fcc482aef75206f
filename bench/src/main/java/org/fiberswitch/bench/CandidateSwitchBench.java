package org.fiberswitch.bench;

import java.util.concurrent.TimeUnit;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.SwitchPort;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The shipped switch against the alternative sequence of bench/native/alt_switch.S (which goes back
 * to the resumer with pop + jmp instead of a {@code ret} through a landing pad), both called
 * straight through a JNA direct-mapped resume (no Fiber bookkeeping; the port is held on JNA), so
 * only the switch differs. JNA's dispatch returns through several native frames after the switch,
 * which is where the two endings differ most.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dfiberswitch.accelerate=false",
        "-Dfiberswitch.binding=jna"})
public class CandidateSwitchBench {
    private FiberRuntime runtime;
    private SwitchPort port;
    private Fiber echo;
    private long fcb;
    private long next = 1;
    private long altFcb;
    private long altNext = 1;

    @Setup(Level.Trial)
    public void open() {
        runtime = FiberRuntime.open();
        port = runtime.port();
        echo = runtime.newFiber(port.probes().echoEntry(), 1);
        next = ((FiberEvent.Yielded) echo.resume()).value();
        fcb = echo.handle();
        altFcb = FsBench.fsbench_alt_fiber();
        if (altFcb == 0) {
            throw new IllegalStateException("fsbench_alt_fiber: mmap failed");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        // The candidate fiber's 64 KiB mapping is left to process exit.
        runtime.close();
    }

    /** fiberswitch_resume -> probe_echo yields v + 1 (pop+jmp in, landing-pad ret out). */
    @Benchmark
    public long shippedSwitch() {
        next = port.resume(fcb, next);
        return next;
    }

    /** alt_resume -> alt_echo yields v + 1 (pop+jmp both ways). */
    @Benchmark
    public long candidateSwitch() {
        altNext = FsBench.alt_resume(altFcb, altNext);
        return altNext;
    }
}
