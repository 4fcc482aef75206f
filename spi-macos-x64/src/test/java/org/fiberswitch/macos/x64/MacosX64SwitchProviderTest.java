package org.fiberswitch.macos.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.sun.jna.Platform;
import java.lang.reflect.Method;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.ProviderNotFoundException;
import org.fiberswitch.ProviderStatus;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.LazySwitchProvider;
import org.fiberswitch.spi.PosixStackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.junit.jupiter.api.Test;

/** The provider's platform-independent logic, on the Linux JVM that builds it. */
class MacosX64SwitchProviderTest {

    private static boolean supports(String osName, String osArch) {
        return new MacosX64SwitchProvider().resourcePrefix().equals(LazySwitchProvider.resourcePrefix(osName, osArch));
    }

    @Test
    void supportsMacOsOnX8664OnlyIncludingRosetta() {
        assertTrue(supports("Mac OS X", "x86_64"), "Intel Mac, or x86-64 JDK under Rosetta 2");
        assertTrue(supports("Mac OS X", "amd64"));
        assertTrue(supports("Darwin", "x86_64"));
        assertFalse(supports("Mac OS X", "aarch64"), "arm64 JDK cannot load an x86-64 dylib");
        assertFalse(supports("Linux", "amd64"));
        assertFalse(supports("Windows 11", "amd64"));
        assertFalse(supports("Mac OS X", "x86"));
        assertFalse(supports("", ""));
    }

    @Test
    void identity() {
        MacosX64SwitchProvider p = new MacosX64SwitchProvider();
        assertEquals("macos-x64-sysv", p.id());
        assertEquals(100, p.priority());
    }

    @Test
    void onAnotherPlatformItIsUnavailableAndSaysWhy() {
        MacosX64SwitchProvider p = new MacosX64SwitchProvider();
        assumeFalse(p.isSupported(), "this JVM is the provider's platform; MacosX64ProviderOnMacTest covers it");
        assertFalse(p.isAvailable());
        Throwable cause = p.unavailabilityCause();
        assertInstanceOf(UnsupportedOperationException.class, cause);
        assertTrue(cause.getMessage().startsWith("macos-x64-sysv runs on macOS x86-64"), cause.getMessage());
        IllegalStateException e = assertThrows(IllegalStateException.class, p::port);
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("provider macos-x64-sysv is not available: "), e.getMessage());
    }

    @Test
    void unsupportedMessageNamesThePlatform() {
        assertEquals("macos-x64-sysv runs on macOS x86-64 (an x86-64 JVM, also under Rosetta 2); this JVM reports"
                + " os.name=Linux, os.arch=amd64", new MacosX64SwitchProvider().unsupportedMessage("Linux", "amd64"));
    }

    @Test
    void anArm64MacGetsTheRosettaHint() {
        String m = new MacosX64SwitchProvider().unsupportedMessage("Mac OS X", "aarch64");
        assertTrue(m.endsWith("; on Apple silicon use an arm64 JDK with the macos-aarch64 provider, or run an x86-64 JDK"
                + " under Rosetta 2 to use this one"), m);
    }

    @Test
    void serviceLoaderFindsItAndTheRuntimeTakesItOnlyOnItsPlatform() {
        ProviderStatus status = FiberRuntime.providers().stream()
                .filter(s -> s.id().equals(MacosX64SwitchProvider.ID)).findFirst()
                .orElseThrow(() -> new AssertionError("META-INF/services does not list the provider"));
        assertEquals(MacosX64SwitchProvider.class.getName(), status.className());
        if (new MacosX64SwitchProvider().isSupported()) {
            assertTrue(status.available(), "on an x86-64 macOS JVM it must load: " + status.reason());
            return;
        }
        assertFalse(status.supported());
        ProviderNotFoundException e = assertThrows(ProviderNotFoundException.class,
                () -> FiberRuntime.open(MacosX64SwitchProvider.ID));
        assertTrue(e.getMessage().contains("is not made for os.name="), e.getMessage());
    }

    @Test
    void theDylibSitsWhereJnaLooksOnAnIntelMac() throws Exception {
        Method m = Platform.class.getDeclaredMethod("getNativeLibraryResourcePrefix", int.class, String.class,
                String.class);
        m.setAccessible(true);
        assertEquals(new MacosX64SwitchProvider().resourcePrefix(), m.invoke(null, Platform.MAC, "x86_64", "Mac OS X"));
        assertNotNull(MacosX64SwitchProvider.class.getResource(Artifacts.DYLIB_RESOURCE));
    }

    @Test
    void theDylibStatesTheSysVFactsAndTheMacOsMemoryFlagsAreXnus() {
        // The dylib's own description, read from its code bytes mapped on Linux.
        SwitchPort port = new MachOCodeProvider().port();
        assertEquals("x86-64 System V", port.abi().name());
        assertEquals(8, port.abi().callbacks().userDataPositions());
        assertEquals(FiberControlBlock.STUB_POSITIONS, port.abi().callbacks().integerArguments());
        assertEquals(FiberControlBlock.CALLBACK_FLOAT_SLOTS, port.abi().callbacks().floatArguments());
        assertEquals(FiberControlBlock.STUB_TAGS, port.abi().callbacks().tags());
        // XNU <sys/mman.h>, <unistd.h>: these differ from Linux (MAP_ANONYMOUS 0x20, _SC_PAGESIZE 30).
        assertEquals(0x1000, PosixStackMemory.Flags.MACOS.anonymous());
        assertEquals(29, PosixStackMemory.Flags.MACOS.scPageSize());
        assertEquals(0, PosixStackMemory.Flags.MACOS.populate() | PosixStackMemory.Flags.MACOS.stack()
                | PosixStackMemory.Flags.MACOS.noReserve(), "no MAP_POPULATE, MAP_STACK or MAP_NORESERVE on macOS");
    }
}
