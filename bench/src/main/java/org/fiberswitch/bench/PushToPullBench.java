package org.fiberswitch.bench;

import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The push-to-pull path as users write it (issue 6): a native loop that pushes {@value #ELEMENTS}
 * values through a callback, read as a Java {@code Iterator} through {@link NativePull}. One op is
 * one element; the fiber's start and end are amortized over the loop. Compare with
 * {@code AlternativesBench.platformThreadHandoff} and {@code virtualThreadHandoff} in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class PushToPullBench {
    static final int ELEMENTS = 10_000;

    @Param({"jni", "jna", "ffm"})
    public String binding;

    private FiberRuntime runtime;
    private CallbackStub stub;
    private long loop;

    @Setup(Level.Trial)
    public void open() {
        runtime = Bindings.open(binding);
        stub = runtime.callbackStub(1);
        loop = FsBench.loopAddress();
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    /** Every element of a {@value #ELEMENTS}-callback native loop, pulled with an Iterator. */
    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long pullElements() {
        long sum = 0;
        try (NativePull<Long> pull = NativePull.calling(runtime, loop,
                self -> new long[] {ELEMENTS, stub.address(), self},
                cb -> Step.emit(cb.longArg(0), cb.longArg(0))).build()) {
            while (pull.hasNext()) {
                sum += pull.next();
            }
        }
        return sum;
    }

    /** The same elements summed by a {@code Stream}, whose terminal operation runs one loop inside the pull. */
    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long streamElements() {
        try (Stream<Long> s = NativePull.calling(runtime, loop,
                self -> new long[] {ELEMENTS, stub.address(), self},
                cb -> Step.emit(cb.longArg(0), cb.longArg(0))).stream()) {
            return s.mapToLong(Long::longValue).sum();
        }
    }
}
