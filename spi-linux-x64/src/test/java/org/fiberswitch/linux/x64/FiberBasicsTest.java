package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.fiberswitch.spi.FiberControlBlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Values both ways, completion, the call trampoline and the ABI rules, through the public API. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class FiberBasicsTest {
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
    void opensTheLinuxProvider() {
        assertEquals(LinuxX64SwitchProvider.ID, runtime.providerId());
    }

    @Test
    void valuesTravelBothWaysAndTheResultArrives() {
        Fiber f = runtime.newFiber(probes.echoEntry(), 7);
        assertEquals(FiberState.NEW, f.state());
        assertEquals(0L, f.handle());
        assertEquals(new FiberEvent.Yielded(7), f.resume());
        assertEquals(FiberState.SUSPENDED, f.state());
        assertNotEquals(0L, f.handle());
        assertEquals(new FiberEvent.Yielded(11), f.resume(10));
        assertEquals(new FiberEvent.Yielded(Long.MIN_VALUE + 1), f.resume(Long.MIN_VALUE));
        assertEquals(new FiberEvent.Yielded(-4), f.resume(-5));
        assertEquals(new FiberEvent.Completed(4), f.resume(0));
        assertEquals(FiberState.DONE, f.state());
        assertEquals(4, f.result());
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void callTrampolinePassesSixArgumentsToAnyFunction() {
        // snprintf(buf, n, fmt, a, b, c): six integer/pointer arguments, variadic, from libc.
        try (Memory buf = new Memory(64); Memory fmt = new Memory(32)) {
            fmt.setString(0, "%ld-%ld-%ld");
            Fiber f = runtime.newCall(NativeSymbols.address("c", "snprintf"), Pointer(buf), 64,
                    Pointer(fmt), 11, -22, 333);
            FiberEvent e = f.resume();
            assertEquals(new FiberEvent.Completed("11--22-333".length()), e);
            assertEquals("11--22-333", buf.getString(0));
        }
    }

    private static long Pointer(Memory m) {
        return com.sun.jna.Pointer.nativeValue(m);
    }

    @Test
    void entryIsSixteenByteAligned() {
        for (long size : new long[] {StackOptions.MIN_SIZE, 20480, 65536, 1 << 20}) {
            Fiber f = runtime.newFiber(probes.alignmentEntry(), 0,
                    StackOptions.defaults().withSize(size));
            assertEquals(new FiberEvent.Completed(0), f.resume(), "(rsp+8)%16 at entry, stack " + size);
        }
    }

    @Test
    void calleeSavedRegistersSurviveOnBothSides() {
        Fiber a = runtime.newFiber(probes.registersEntry(), 0x1234);
        Fiber b = runtime.newFiber(probes.registersEntry(), 0x7777_0000_0000L);
        a.resume();
        b.resume();
        for (int round = 0; round < 3; round++) {
            long lostA = probes.resumeCheckingRegisters(a.handle(), 0, 0x5a5a_0000L + round);
            long lostB = probes.resumeCheckingRegisters(b.handle(), 0, 0x0101_0101L * round);
            assertEquals(0, lostA, "resumer registers lost across fiber a, mask " + lostA);
            assertEquals(0, lostB, "resumer registers lost across fiber b, mask " + lostB);
        }
        // The probes switched the fibers outside Fiber's bookkeeping; they are done now.
        long handleA = a.handle();
        assertEquals(FiberControlBlock.EXIT_DONE, readLong(handleA, FiberControlBlock.EXIT), "fiber a finished");
        assertEquals(0, readLong(handleA, FiberControlBlock.RESULT), "fiber a lost registers, mask " + readLong(handleA, FiberControlBlock.RESULT));
        assertEquals(0, readLong(b.handle(), FiberControlBlock.RESULT), "fiber b lost registers");
        a.close();
        b.close();
    }

    private static long readLong(long address, long offset) {
        return new com.sun.jna.Pointer(address).getLong(offset);
    }

    @Test
    void fpControlWordsStayWithTheirOwner() {
        long javaEnv = probes.readFpEnv();
        long fiberEnv = 0x6000L | 0x1F80L | (0x0F7FL << 32); // round toward zero, x87 RC=up, PC=64
        Fiber f = runtime.newFiber(probes.fpEnvEntry(), fiberEnv);
        FiberEvent first = f.resume();
        assertEquals(fiberEnv, ((FiberEvent.Yielded) first).value() & 0xFFFF_FFFF_FFC0L | 0x0L,
                "the fiber sees the env it set");
        assertEquals(javaEnv & 0xFFFF_0000_FFC0L, probes.readFpEnv() & 0xFFFF_0000_FFC0L,
                "the Java thread got its own MXCSR/x87 CW back");
        // The resumer changes its own rounding mode; the fiber must not see it, and the resumer must
        // get its own back.
        long changed = probes.resumeCheckingFpEnv(f.handle(), 0, 0x2000L | 0x1F80L | (0x037FL << 32));
        assertEquals(0, changed, "resumer's control bits changed across a switch: 0x" + Long.toHexString(changed));
        assertEquals(fiberEnv & 0xFFFF_0000_FFC0L, readLong(f.handle(), FiberControlBlock.TRANSFER) & 0xFFFF_0000_FFC0L,
                "the fiber kept its env while the resumer used another");
        f.close();
        assertEquals(javaEnv & 0xFFFF_0000_FFC0L, probes.readFpEnv() & 0xFFFF_0000_FFC0L);
    }

    @Test
    void firstFrameStopsTheUnwinder() {
        // glibc backtrace() walks with the libgcc unwinder; it must stop at our entry trampoline.
        try (Memory frames = new Memory(8 * 64)) {
            Fiber f = runtime.newCall(NativeSymbols.address("c", "backtrace"), Pointer(frames), 64);
            long depth = ((FiberEvent.Completed) f.resume()).result();
            assertTrue(depth >= 1 && depth <= 3, "backtrace on a fresh fiber found " + depth + " frames");
        }
    }

    @Test
    void deepRecursionFitsABigStack() {
        Fiber f = runtime.newCall(probes.recursionEntry(), self -> new long[] {6000},
                StackOptions.defaults().withSize(8 << 20));
        assertEquals(new FiberEvent.Completed(6000), f.resume());
    }

    @Test
    void eagerlyCommittedAndGuardlessStacksWork() {
        for (StackOptions o : new StackOptions[] {
                StackOptions.defaults().withCommit(StackOptions.Commit.EAGER),
                StackOptions.defaults().withGuardPage(false),
                StackOptions.defaults().withPooling(false)}) {
            Fiber f = runtime.newCall(probes.recursionEntry(), self -> new long[] {100}, o);
            assertInstanceOf(FiberEvent.Completed.class, f.resume(), o.toString());
        }
    }

    @Test
    void pooledStacksAreReused() {
        Fiber f = runtime.newFiber(probes.echoEntry(), 1);
        f.resume();
        long handle = f.handle();
        f.resume(0);
        assertEquals(1, runtime.pooledStacks());
        Fiber g = runtime.newFiber(probes.echoEntry(), 1);
        g.resume();
        assertEquals(handle, g.handle(), "the pooled stack was reused");
        assertEquals(0, runtime.pooledStacks());
        g.close();
        assertEquals(1, runtime.pooledStacks());
    }
}
