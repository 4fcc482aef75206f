package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.JniBinding;
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

    private static WindowsStackMemory memory() {
        return new WindowsStackMemory(WindowsStackMemory.VirtualMemory.kernel32());
    }

    @Test
    void portsBindJniUnlessAskedForJna() {
        try (FiberRuntime runtime = FiberRuntime.open(new WindowsX64SwitchProvider())) {
            String expected = "jna".equals(System.getProperty(JniBinding.BINDING_PROPERTY)) ? "jna" : "jni";
            assertEquals(expected, runtime.port().binding(), runtime.port().toString());
        }
    }

    @Test
    void bothBindingsRunTheSameFiber() {
        SwitchPort jna = new WindowsX64SwitchProvider.Port(memory(), null);
        SwitchPort jni = new WindowsX64SwitchProvider.JniPort(memory());
        assertNull(JniBinding.registerOnce(jna.entryPointAddress(JniBinding.REGISTER_FUNCTION),
                WindowsX64Native.Jni.class));
        assertEquals(jna.probes().readFpEnv(), jni.probes().readFpEnv());
        try (FiberRuntime runtime = FiberRuntime.open(new WindowsX64SwitchProvider())) {
            Fiber echo = runtime.newFiber(runtime.port().probes().echoEntry(), 7);
            assertEquals(7, ((FiberEvent.Yielded) echo.resume()).value());
            long fcb = echo.handle();
            // The echo probe answers v + 1; alternate the two bindings on one suspended fiber.
            assertEquals(11, jna.resume(fcb, 10));
            assertEquals(21, jni.resume(fcb, 20));
            assertEquals(31, jna.resume(fcb, 30));
            FiberEvent done = echo.resume(0);
            assertInstanceOf(FiberEvent.Completed.class, done);
            assertEquals(4, ((FiberEvent.Completed) done).result(), "yields counted by the probe");
        }
    }

    @Test
    void theJniPortKeepsTheTebWork() {
        // readTeb and initPortSlots are Port's; on the thread's own stack both ports read the same.
        WindowsX64SwitchProvider.Port jna = new WindowsX64SwitchProvider.Port(memory(), null);
        WindowsX64SwitchProvider.Port jni = new WindowsX64SwitchProvider.JniPort(memory());
        for (int field = 0; field <= 3; field++) {
            assertEquals(jna.readTeb(field), jni.readTeb(field), "TEB field " + field);
        }
        assertEquals(jna.capabilities(), jni.capabilities());
    }

    @Test
    void aClassWithoutTheNativesIsRefusedAndTheJvmCarriesOn() {
        long register = new WindowsX64SwitchProvider.Port(memory(), null)
                .entryPointAddress(JniBinding.REGISTER_FUNCTION);
        String why = JniBinding.register(register, JniBindingTest.class);
        assertNotNull(why);
        assertTrue(why.contains("RegisterNatives refused " + JniBindingTest.class.getName()), why);
        // The registration cleared the exception it caused: ordinary JNI calls go on working.
        assertEquals(new WindowsX64SwitchProvider.Port(memory(), null).probes().readFpEnv(),
                WindowsX64Native.Jni.probeReadFpEnv());
    }

    @Test
    void aLibraryWithoutTheRegisterFunctionKeepsJna() {
        String why = JniBinding.register(0L, WindowsX64Native.Jni.class);
        assertEquals("the library does not export " + JniBinding.REGISTER_FUNCTION, why);
        String port = new WindowsX64SwitchProvider.Port(memory(), why).toString();
        assertTrue(port.contains("jna binding (JNI unavailable: " + why + ")"), port);
    }
}
