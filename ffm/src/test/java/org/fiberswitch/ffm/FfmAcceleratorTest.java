package org.fiberswitch.ffm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.FiberStateException;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.fiberswitch.spi.FiberControlBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Real fibers through the FFM accelerator, and the provider's own binding when it is turned off. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the accelerator over the Linux x86-64 provider")
class FfmAcceleratorTest {

    /** Opens a runtime with -Dfiberswitch.accelerate set to {@code accelerate} (null: unset). */
    private static FiberRuntime open(String accelerate) {
        String before = System.getProperty(FiberRuntime.ACCELERATE_PROPERTY);
        try {
            if (accelerate == null) {
                System.clearProperty(FiberRuntime.ACCELERATE_PROPERTY);
            } else {
                System.setProperty(FiberRuntime.ACCELERATE_PROPERTY, accelerate);
            }
            return FiberRuntime.open();
        } finally {
            if (before == null) {
                System.clearProperty(FiberRuntime.ACCELERATE_PROPERTY);
            } else {
                System.setProperty(FiberRuntime.ACCELERATE_PROPERTY, before);
            }
        }
    }

    @Test
    void theRuntimePicksTheFfmAccelerator() {
        try (FiberRuntime runtime = open(null)) {
            assertEquals("ffm", runtime.accelerator());
            assertInstanceOf(FfmPort.class, runtime.port());
            assertEquals("ffm", runtime.port().binding());
            assertEquals("linux-x64-sysv", runtime.providerId());
        }
    }

    @Test
    void resumeAndYieldRoundTripThroughFfm() {
        try (FiberRuntime runtime = open(null)) {
            roundTrips(runtime);
        }
    }

    @Test
    void accelerateFalseKeepsTheProvidersOwnBinding() {
        try (FiberRuntime runtime = open("false")) {
            assertEquals("none", runtime.accelerator());
            // The provider's port as it bound itself: its JNI natives (JNA only if asked for).
            assertTrue(runtime.port() instanceof org.fiberswitch.spi.NativePort, runtime.port().toString());
            assertEquals("jni", runtime.port().binding());
            assertTrue(runtime.acceleratorNotes().contains("accelerators are off (-Dfiberswitch.accelerate=false)"),
                    runtime.acceleratorNotes().toString());
            roundTrips(runtime);
        }
    }

    private static void roundTrips(FiberRuntime runtime) {
        Fiber f = runtime.newFiber(runtime.port().probes().echoEntry(), 5);
        assertEquals(new FiberEvent.Yielded(5), f.resume());
        for (long v = 1; v <= 10_000; v++) {
            assertEquals(new FiberEvent.Yielded(v + 1), f.resume(v));
        }
        assertEquals(new FiberEvent.Completed(10_001), f.resume(0));
        assertEquals(FiberState.DONE, f.state());
        assertThrows(FiberStateException.class, f::resume);
    }

    @Test
    void callbacksBecomeEventsOnEveryPositionAndKind() {
        try (FiberRuntime runtime = open(null)) {
            AbiProbes probes = runtime.port().probes();
            for (int position = 0; position < 8; position++) {
                for (CallbackReturn kind : CallbackReturn.values()) {
                    CallbackStub stub = runtime.callbackStub(position, kind, 3);
                    long flags = position | (kind == CallbackReturn.DOUBLE ? 0x100 : 0);
                    Fiber f = runtime.newCall(probes.callbackEntry(),
                            self -> new long[] {self, stub.address(), flags});
                    CallbackEvent e = (CallbackEvent) f.resume();
                    assertEquals(3, e.tag());
                    for (int k = 0; k < 8; k++) {
                        long expected = k == position ? f.handle() : (k + 1) * 0x0101010101010101L;
                        assertEquals(expected, e.longArg(k), "integer position " + k);
                        assertEquals(k + 1.25, e.doubleArg(k), "float position " + k);
                    }
                    FiberEvent done = kind == CallbackReturn.DOUBLE ? e.reply(2.5) : e.reply(-77);
                    long expected = kind == CallbackReturn.DOUBLE ? Double.doubleToRawLongBits(2.5) : -77;
                    assertEquals(new FiberEvent.Completed(expected), done);
                }
            }
        }
    }

    @Test
    void registersAndFpControlSurviveFfmResumes() {
        try (FiberRuntime runtime = open(null)) {
            AbiProbes probes = runtime.port().probes();
            assertInstanceOf(FfmPort.class, probes);
            Fiber f = runtime.newFiber(probes.registersEntry(), 0x4242);
            f.resume();
            for (int round = 0; round < 3; round++) {
                assertEquals(0, probes.resumeCheckingRegisters(f.handle(), 0, 0x77_0000L + round),
                        "resumer registers lost across an FFM resume");
            }
            assertEquals(0, new Pointer(f.handle()).getLong(FiberControlBlock.RESULT), "fiber registers lost");
            f.close();

            long javaEnv = probes.readFpEnv();
            long fiberEnv = 0x6000L | 0x1F80L | (0x0F7FL << 32);
            Fiber g = runtime.newFiber(probes.fpEnvEntry(), fiberEnv);
            g.resume();
            assertEquals(0, probes.resumeCheckingFpEnv(g.handle(), 0, 0x2000L | 0x1F80L | (0x037FL << 32)));
            g.close();
            assertEquals(javaEnv & 0xFFFF_0000_FFC0L, probes.readFpEnv() & 0xFFFF_0000_FFC0L,
                    "the Java thread got its own MXCSR/x87 CW back");
        }
    }

    @Test
    void qsortRunsItsComparatorsAsEvents() {
        try (FiberRuntime runtime = open(null); Memory data = new Memory(8 * 6)) {
            data.write(0, new long[] {42, 7, 19, 3, -8, 100}, 0, 6);
            CallbackStub cmp = runtime.callbackStub(2);
            Fiber sort = runtime.newCall(NativeSymbols.address("c", "qsort_r"),
                    self -> new long[] {Pointer.nativeValue(data), 6, 8, cmp.address(), self});
            FiberEvent e = sort.resume();
            int calls = 0;
            while (e instanceof CallbackEvent call) {
                calls++;
                e = call.reply(Long.compare(new Pointer(call.longArg(0)).getLong(0),
                        new Pointer(call.longArg(1)).getLong(0)));
            }
            assertInstanceOf(FiberEvent.Completed.class, e);
            assertArrayEquals(new long[] {-8, 3, 7, 19, 42, 100}, data.getLongArray(0, 6));
            assertEquals(true, calls > 0);
        }
    }

    @Test
    void manyLifecyclesPooledAndNot() {
        try (FiberRuntime runtime = open(null)) {
            long entry = runtime.port().probes().alignmentEntry();
            for (StackOptions o : new StackOptions[] {StackOptions.defaults(),
                    StackOptions.defaults().withPooling(false)}) {
                for (int i = 0; i < 500; i++) {
                    try (Fiber f = runtime.newFiber(entry, 0, o)) {
                        assertEquals(new FiberEvent.Completed(0), f.resume(), "aligned entry");
                    }
                }
            }
            assertEquals(0, runtime.liveFibers());
        }
    }
}
