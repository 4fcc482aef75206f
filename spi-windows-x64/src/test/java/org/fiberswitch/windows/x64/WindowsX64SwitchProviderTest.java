package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.List;
import java.util.ServiceLoader;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.SwitchProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The provider's platform-independent parts: the platform decision, identity, discovery, constants,
 * and the shape of the JNI port.
 */
class WindowsX64SwitchProviderTest {

    @Test
    void supportsWindowsOnAmd64Only() {
        assertTrue(WindowsX64SwitchProvider.isSupported("Windows 10", "amd64"));
        assertTrue(WindowsX64SwitchProvider.isSupported("Windows Server 2022", "amd64"));
        assertTrue(WindowsX64SwitchProvider.isSupported("Windows 11", "x86_64"));
        assertTrue(WindowsX64SwitchProvider.isSupported("WINDOWS 11", "AMD64"));
        assertFalse(WindowsX64SwitchProvider.isSupported("Windows 11", "aarch64"), "windows-arm64 is another port");
        assertFalse(WindowsX64SwitchProvider.isSupported("Windows 10", "x86"), "32-bit JVM");
        assertFalse(WindowsX64SwitchProvider.isSupported("Linux", "amd64"));
        assertFalse(WindowsX64SwitchProvider.isSupported("Mac OS X", "x86_64"));
        assertFalse(WindowsX64SwitchProvider.isSupported("", ""));
    }

    @Test
    void identity() {
        WindowsX64SwitchProvider p = new WindowsX64SwitchProvider();
        assertEquals("windows-x64-win64", p.id());
        assertEquals(100, p.priority());
    }

    @Test
    void isFoundByTheServiceLoader() {
        assertTrue(ServiceLoader.load(SwitchProvider.class).stream()
                .anyMatch(s -> s.type() == WindowsX64SwitchProvider.class));
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void isUnavailableElsewhereAndSaysWhy() {
        WindowsX64SwitchProvider p = new WindowsX64SwitchProvider();
        assertFalse(p.isSupported());
        assertFalse(p.isAvailable());
        Throwable cause = p.unavailabilityCause();
        assertTrue(cause instanceof UnsupportedOperationException, String.valueOf(cause));
        assertTrue(cause.getMessage().contains("os.name=" + System.getProperty("os.name")), cause.getMessage());
        IllegalStateException e = assertThrows(IllegalStateException.class, p::port);
        assertTrue(e.getMessage().contains(WindowsX64SwitchProvider.ID), e.getMessage());
    }

    @Test
    void registerMaskOrderMatchesTheAsmProbes() {
        // bit 0 rbx, 1 rbp, 2-5 r12-r15, 6 rdi, 7 rsi, 8-17 xmm6-xmm15 (fiberswitch_probe_registers)
        var regs = WindowsX64SwitchProvider.Port.CALLEE_SAVED;
        assertEquals(18, regs.size());
        assertEquals("rdi", regs.get(6));
        assertEquals("rsi", regs.get(7));
        for (int i = 0; i < 10; i++) {
            assertEquals("xmm" + (6 + i), regs.get(8 + i));
        }
    }

    @Test
    void callbackGeometryFitsTheStubTable() {
        var cb = WindowsX64SwitchProvider.Port.CALLBACKS;
        assertEquals(FiberControlBlock.STUB_POSITIONS, cb.userDataPositions());
        assertEquals(FiberControlBlock.STUB_POSITIONS, cb.integerArguments());
        assertEquals(4, cb.floatArguments(), "xmm0-3; positions 4-7 are shared stack slots on Win64");
        assertEquals(FiberControlBlock.STUB_TAGS, cb.tags());
    }

    @Test
    void theJniPortTakesEveryHotCallToTheNativesAndKeepsTheRest() throws NoSuchMethodException {
        // A hot call JniPort did not override would quietly stay on JNA; the TEB work must stay Port's.
        Class<?> jni = WindowsX64SwitchProvider.JniPort.class;
        assertTrue(WindowsX64SwitchProvider.Port.class.isAssignableFrom(jni));
        List<Method> hot = List.of(jni.getMethod("prepare", long.class), jni.getMethod("resume", long.class, long.class),
                jni.getMethod("resumeCheckingRegisters", long.class, long.class, long.class),
                jni.getMethod("resumeCheckingFpEnv", long.class, long.class, long.class),
                jni.getMethod("readFpEnv"), jni.getMethod("binding"));
        for (Method m : hot) {
            assertEquals(jni, m.getDeclaringClass(), m.getName() + " is not JniPort's own");
        }
        for (String kept : List.of("initPortSlots", "readTeb", "stackMemory", "capabilities")) {
            boolean found = false;
            for (Method m : jni.getMethods()) {
                if (m.getName().equals(kept)) {
                    assertEquals(WindowsX64SwitchProvider.Port.class, m.getDeclaringClass(), kept);
                    found = true;
                }
            }
            assertTrue(found, kept);
        }
    }
}
