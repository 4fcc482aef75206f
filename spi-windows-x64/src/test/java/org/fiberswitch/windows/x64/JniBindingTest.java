package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.NativePort;
import org.fiberswitch.spi.SwitchPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The JNI binding of the hot calls on a real Windows JVM, and the JNA binding it falls back to. Runs
 * only in the windows cells of CI; elsewhere the same natives are proven by the Wine harness, called
 * with the JNI convention on a fake JNIEnv (run-wine-harness.sh).
 */
@EnabledOnOs(value = OS.WINDOWS, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Windows x86-64 provider on a Windows JVM")
class JniBindingTest {

    @Test
    void portsBindJniUnlessAskedForJna() {
        try (FiberRuntime runtime = FiberRuntime.open(new WindowsX64SwitchProvider())) {
            String expected = "jna".equals(System.getProperty(JniBinding.BINDING_PROPERTY)) ? "jna" : "jni";
            assertEquals(expected, runtime.port().binding(), runtime.port().toString());
        }
    }

    /** The same DLL's code, called through JNA functions by address, with the provider's TEB slots. */
    private static NativePort byFunctions(SwitchPort real) {
        return NativePort.forCode(new NativePort.Spec("by-functions", real::entryPointAddress,
                new WindowsStackMemory(WindowsStackMemory.VirtualMemory.kernel32()), Set.of(), real::initPortSlots,
                "the loaded DLL"), false);
    }

    @Test
    void everyBindingRunsTheSameFiber() {
        try (FiberRuntime runtime = FiberRuntime.open(new WindowsX64SwitchProvider())) {
            SwitchPort bound = runtime.port();
            NativePort functions = byFunctions(bound);
            assertEquals(bound.probes().readFpEnv(), functions.probes().readFpEnv());
            Fiber echo = runtime.newFiber(bound.probes().echoEntry(), 7);
            assertEquals(7, ((FiberEvent.Yielded) echo.resume()).value());
            long fcb = echo.handle();
            // The echo probe answers v + 1; alternate the two bindings on one suspended fiber.
            assertEquals(11, functions.resume(fcb, 10));
            assertEquals(21, bound.resume(fcb, 20));
            assertEquals(31, functions.resume(fcb, 30));
            FiberEvent done = echo.resume(0);
            assertInstanceOf(FiberEvent.Completed.class, done);
            assertEquals(4, ((FiberEvent.Completed) done).result(), "yields counted by the probe");
        }
    }

    @Test
    void theTebProbeReadsTheThreadsOwnFields() {
        SwitchPort port = new WindowsX64SwitchProvider().port();
        long base = WindowsX64SwitchProvider.readTeb(port, 0);
        long limit = WindowsX64SwitchProvider.readTeb(port, 1);
        assertTrue(base > limit && limit != 0, "StackBase 0x" + Long.toHexString(base) + ", StackLimit 0x"
                + Long.toHexString(limit));
    }

    @Test
    void aClassWithoutTheNativesIsRefusedAndTheJvmCarriesOn() {
        SwitchPort real = new WindowsX64SwitchProvider().port();
        String why = JniBinding.register(real.entryPointAddress(JniBinding.REGISTER_FUNCTION), JniBindingTest.class);
        assertNotNull(why);
        assertTrue(why.contains("RegisterNatives refused " + JniBindingTest.class.getName()), why);
        // The registration cleared the exception it caused: ordinary native calls go on working.
        assertEquals(byFunctions(real).readFpEnv(), real.probes().readFpEnv());
    }
}
