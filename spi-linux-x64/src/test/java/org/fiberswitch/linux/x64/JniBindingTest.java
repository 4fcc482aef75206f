package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.SwitchPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The JNI binding of the hot calls, and the JNA binding it falls back to. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider")
class JniBindingTest {

    @Test
    void portsBindJniUnlessAskedForJna() {
        try (FiberRuntime runtime = FiberRuntime.open(new LinuxX64SwitchProvider())) {
            String expected = "jna".equals(System.getProperty(JniBinding.BINDING_PROPERTY)) ? "jna" : "jni";
            assertEquals(expected, runtime.port().binding(), runtime.port().toString());
        }
    }

    @Test
    void bothBindingsRunTheSameFiber() {
        SwitchPort jna = new LinuxX64SwitchProvider.Port(null);
        SwitchPort jni = new LinuxX64SwitchProvider.JniPort();
        assertNull(JniBinding.registerOnce(jna.entryPointAddress(JniBinding.REGISTER_FUNCTION),
                LinuxX64Native.Jni.class));
        assertEquals(jna.probes().readFpEnv(), jni.probes().readFpEnv());
        try (FiberRuntime runtime = FiberRuntime.open()) {
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
    void aClassWithoutTheNativesIsRefusedAndTheJvmCarriesOn() {
        long register = new LinuxX64SwitchProvider.Port(null).entryPointAddress(JniBinding.REGISTER_FUNCTION);
        String why = JniBinding.register(register, JniBindingTest.class);
        assertNotNull(why);
        assertTrue(why.contains("RegisterNatives refused " + JniBindingTest.class.getName()), why);
        // The registration cleared the exception it caused: ordinary JNI calls go on working.
        assertEquals(new LinuxX64SwitchProvider.Port(null).probes().readFpEnv(), LinuxX64Native.Jni.probeReadFpEnv());
    }

    @Test
    void aLibraryWithoutTheRegisterFunctionKeepsJna() {
        String why = JniBinding.register(0L, LinuxX64Native.Jni.class);
        assertEquals("the library does not export " + JniBinding.REGISTER_FUNCTION, why);
        String port = new LinuxX64SwitchProvider.Port(why).toString();
        assertTrue(port.contains("jna binding (JNI unavailable: " + why + ")"), port);
    }

    @Test
    void anUnknownBindingIsRefusedWithTheChoices() {
        String old = System.getProperty(JniBinding.BINDING_PROPERTY);
        System.setProperty(JniBinding.BINDING_PROPERTY, "fast");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, JniBinding::requested);
            assertEquals("-Dfiberswitch.binding=fast is not a binding; use jni (the default, fastest) or jna",
                    e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(JniBinding.BINDING_PROPERTY);
            } else {
                System.setProperty(JniBinding.BINDING_PROPERTY, old);
            }
        }
    }
}
