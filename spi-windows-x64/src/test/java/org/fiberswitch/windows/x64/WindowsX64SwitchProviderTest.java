package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ServiceLoader;
import org.fiberswitch.spi.LazySwitchProvider;
import org.fiberswitch.spi.SwitchProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The provider's platform-independent parts: the platform decision, identity and discovery. The
 * DLL's own ABI description is checked by {@link DllFileTest}.
 */
class WindowsX64SwitchProviderTest {

    private static boolean supports(String osName, String osArch) {
        return new WindowsX64SwitchProvider().resourcePrefix().equals(LazySwitchProvider.resourcePrefix(osName, osArch));
    }

    @Test
    void supportsWindowsOnAmd64Only() {
        assertTrue(supports("Windows 10", "amd64"));
        assertTrue(supports("Windows Server 2022", "amd64"));
        assertTrue(supports("Windows 11", "x86_64"));
        assertTrue(supports("WINDOWS 11", "AMD64"));
        assertFalse(supports("Windows 11", "aarch64"), "windows-arm64 is another port");
        assertFalse(supports("Windows 10", "x86"), "32-bit JVM");
        assertFalse(supports("Linux", "amd64"));
        assertFalse(supports("Mac OS X", "x86_64"));
        assertFalse(supports("", ""));
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
}
