package org.fiberswitch.bench;

import java.util.concurrent.TimeUnit;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * fiberswitch itself, through one binding per run: {@code jni} (the providers' default),
 * {@code jna} (JNA direct mapping, the fallback) or {@code ffm} (the fiberswitch-ffm accelerator,
 * JDK 22+); see {@link Bindings}. The no-op downcall is the baseline
 * for the round trips: it is the cheapest call each binding can make.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class FiberBench {

    @Param({"jni", "jna", "ffm"})
    public String binding;

    private FiberRuntime runtime;
    private AbiProbes probes;
    private long alignmentEntry;
    private Fiber echo;
    private long next;
    private org.fiberswitch.spi.SwitchPort port;
    private Fiber rawEcho;
    private long rawFcb;
    private long rawNext;
    private Fiber loop;
    private CallbackEvent pending;
    private StackOptions unpooled;

    @Setup(Level.Trial)
    public void open() {
        runtime = Bindings.open(binding);
        probes = runtime.port().probes();
        alignmentEntry = probes.alignmentEntry();
        unpooled = StackOptions.defaults().withPooling(false);

        echo = runtime.newFiber(probes.echoEntry(), 1);
        next = ((FiberEvent.Yielded) echo.resume()).value();

        // For rawResume: a second echo fiber driven through the port, past Fiber's bookkeeping.
        port = runtime.port();
        rawEcho = runtime.newFiber(probes.echoEntry(), 1);
        rawNext = ((FiberEvent.Yielded) rawEcho.resume()).value();
        rawFcb = rawEcho.handle();

        // A native loop that never ends on its own: every op is one callback event and its reply.
        CallbackStub stub = runtime.callbackStub(1);
        loop = runtime.newCall(FsBench.loopAddress(), self -> new long[] {Long.MAX_VALUE, stub.address(), self});
        pending = (CallbackEvent) loop.resume();
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    /** The baseline: a native near-no-op (reads MXCSR and the x87 CW) through the same binding. */
    @Benchmark
    public long noopDowncall() {
        return probes.readFpEnv();
    }

    /** resume(v) -> the echo fiber yields v + 1: two switches and one downcall. */
    @Benchmark
    public long resumeYield() {
        long v = ((FiberEvent.Yielded) echo.resume(next)).value();
        next = v;
        return v;
    }

    /**
     * The same round trip as {@link #resumeYield} straight through {@code SwitchPort.resume}, without
     * Fiber's state checks and event: the difference between the two is the Java bookkeeping.
     */
    @Benchmark
    public long rawResume() {
        long v = port.resume(rawFcb, rawNext);
        rawNext = v;
        return v;
    }

    /** A native loop's callback arrives as an event; the reply resumes it until the next call. */
    @Benchmark
    public long callbackEvent() {
        CallbackEvent e = pending;
        pending = (CallbackEvent) e.reply(e.longArg(0));
        return pending.longArg(0);
    }

    /** Create, run to done, close, with the stack from the pool. */
    @Benchmark
    public long lifecyclePooled() {
        try (Fiber f = runtime.newFiber(alignmentEntry, 0)) {
            return ((FiberEvent.Completed) f.resume()).result();
        }
    }

    /** The same with a fresh mmap'd, guarded stack each time (mmap, mprotect, munmap). */
    @Benchmark
    public long lifecycleUnpooled() {
        try (Fiber f = runtime.newFiber(alignmentEntry, 0, unpooled)) {
            return ((FiberEvent.Completed) f.resume()).result();
        }
    }
}
