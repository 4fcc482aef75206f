package org.fiberswitch.ffm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.fiberswitch.spi.ForwardingSwitchPort;
import org.fiberswitch.spi.SwitchPort;

/**
 * A port in front of another, calling {@code fiberswitch_resume}, {@code fiberswitch_prepare} and
 * the resume-side and FP probes through FFM downcall handles; every other method is forwarded.
 *
 * <p>The handles take the target address as their first argument and live in static finals, so
 * the JIT treats them as constants for any port, whatever library it loaded.
 *
 * <p><b>Why {@code resume} is not {@link Linker.Option#critical critical}.</b> A critical downcall
 * keeps the thread in the Java state, so a safepoint cannot start until it returns. A resume runs
 * the fiber's native code for as long as the fiber runs (a long computation, a blocking callback
 * chain), which would stall every GC and every other thread waiting for a safepoint. The resume
 * probes switch onto fibers too, so they are not critical either. {@code fiberswitch_prepare} is
 * critical: it only writes the fresh stack's first frame and returns, in a few nanoseconds.
 * {@code readFpEnv} is also a bounded leaf, but it stays an ordinary downcall on purpose: it is the
 * benchmarks' no-op baseline for resume and must take the same call path.
 */
final class FfmPort extends ForwardingSwitchPort {
    private static final Linker LINKER = Linker.nativeLinker();
    /** long f(long, long) */
    private static final MethodHandle LONG_LONG_LONG = LINKER.downcallHandle(
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /** long f(long, long, long) */
    private static final MethodHandle LONG_LONG_LONG_LONG = LINKER.downcallHandle(
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /** long f(void) */
    private static final MethodHandle LONG_VOID = LINKER.downcallHandle(FunctionDescriptor.of(JAVA_LONG));
    /** void f(long): critical, see the class comment. */
    private static final MethodHandle VOID_LONG_CRITICAL = LINKER.downcallHandle(
            FunctionDescriptor.ofVoid(JAVA_LONG), Linker.Option.critical(false));

    private final MemorySegment resume;
    private final MemorySegment prepare;
    private final MemorySegment resumeRegisters;
    private final MemorySegment resumeFpEnv;
    private final MemorySegment readFpEnv;

    private FfmPort(SwitchPort port) {
        super(port);
        this.resume = entry(port, "fiberswitch_resume");
        this.prepare = entry(port, "fiberswitch_prepare");
        this.resumeRegisters = entry(port, "fiberswitch_probe_resume_registers");
        this.resumeFpEnv = entry(port, "fiberswitch_probe_resume_fpenv");
        this.readFpEnv = entry(port, "fiberswitch_probe_read_fpenv");
    }

    /** @throws IllegalArgumentException if the port does not expose one of the entry points */
    static FfmPort bind(SwitchPort port) {
        return new FfmPort(port);
    }

    private static MemorySegment entry(SwitchPort port, String name) {
        long address = port.entryPointAddress(name);
        if (address == 0L) {
            throw new IllegalArgumentException("port does not expose " + name);
        }
        return MemorySegment.ofAddress(address);
    }

    /** invokeExact declares Throwable; pass unchecked ones through as they are. */
    private static RuntimeException failed(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("FFM downcall failed: " + t, t);
    }

    // ---- the hot path

    @Override
    public long resume(long fcb, long value) {
        try {
            return (long) LONG_LONG_LONG.invokeExact(resume, fcb, value);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public void prepare(long fcb) {
        try {
            VOID_LONG_CRITICAL.invokeExact(prepare, fcb);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    // ---- probes through FFM (the ones that switch, and the no-op baseline)

    @Override
    public long resumeCheckingRegisters(long fcb, long value, long seed) {
        try {
            return (long) LONG_LONG_LONG_LONG.invokeExact(resumeRegisters, fcb, value, seed);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long resumeCheckingFpEnv(long fcb, long value, long env) {
        try {
            return (long) LONG_LONG_LONG_LONG.invokeExact(resumeFpEnv, fcb, value, env);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long readFpEnv() {
        try {
            return (long) LONG_VOID.invokeExact(readFpEnv);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public String binding() {
        return "ffm";
    }

    @Override
    public String toString() {
        return "ffm(" + delegate() + ")";
    }
}
