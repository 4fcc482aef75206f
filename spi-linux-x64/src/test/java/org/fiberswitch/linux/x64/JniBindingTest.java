package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.NativePort;
import org.fiberswitch.spi.PosixStackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The JNI binding of the hot calls, and the JNA bindings a port falls back to. */
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

    /** The same library's code, called through JNA functions by address. */
    private static NativePort byFunctions(SwitchPort real) {
        return NativePort.forCode(new NativePort.Spec("by-functions", real::entryPointAddress,
                PosixStackMemory.forThisOs(), Set.of(), NativePort.PortSlots.NONE, "the loaded library"), false);
    }

    @Test
    void everyBindingRunsTheSameFiber() {
        try (FiberRuntime runtime = FiberRuntime.open(new LinuxX64SwitchProvider())) {
            SwitchPort bound = runtime.port();
            NativePort functions = byFunctions(bound);
            assertEquals("jna-function", functions.binding());
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
    void theSharedNativesBelongToTheFirstLibraryThatRegisters() {
        SwitchPort real = new LinuxX64SwitchProvider().port();
        long register = real.entryPointAddress(JniBinding.REGISTER_FUNCTION);
        Class<?> natives = jniNatives();
        if (real.binding().equals("jni")) {
            assertNull(JniBinding.registerOnce(register, natives), "the same library again");
            String other = JniBinding.registerOnce(register + 16, natives);
            assertNotNull(other, "another library's register function");
            assertTrue(other.contains("already registered by another library"), other);
        }
    }

    private static Class<?> jniNatives() {
        try {
            return Class.forName("org.fiberswitch.spi.NativePort$JniNatives");
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aClassWithoutTheNativesIsRefusedAndTheJvmCarriesOn() {
        SwitchPort real = new LinuxX64SwitchProvider().port();
        long register = real.entryPointAddress(JniBinding.REGISTER_FUNCTION);
        String why = JniBinding.register(register, JniBindingTest.class);
        assertNotNull(why);
        assertTrue(why.contains("RegisterNatives refused " + JniBindingTest.class.getName()), why);
        // The registration cleared the exception it caused: ordinary native calls go on working.
        assertEquals(byFunctions(real).readFpEnv(), real.probes().readFpEnv());
    }

    @Test
    void aLibraryWithoutTheRegisterFunctionIsRefusedWithTheReason() {
        assertEquals("the library does not export " + JniBinding.REGISTER_FUNCTION,
                JniBinding.register(0L, JniBindingTest.class));
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
