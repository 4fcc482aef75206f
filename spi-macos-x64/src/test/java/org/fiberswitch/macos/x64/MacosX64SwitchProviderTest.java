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
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.ProviderNotFoundException;
import org.fiberswitch.ProviderStatus;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.FiberControlBlock;
import org.junit.jupiter.api.Test;

/** The provider's platform-independent logic, on the Linux JVM that builds it. */
class MacosX64SwitchProviderTest {

    @Test
    void supportsMacOsOnX8664OnlyIncludingRosetta() {
        assertTrue(MacosX64SwitchProvider.isSupported("Mac OS X", "x86_64"), "Intel Mac, or x86-64 JDK under Rosetta 2");
        assertTrue(MacosX64SwitchProvider.isSupported("Mac OS X", "amd64"));
        assertTrue(MacosX64SwitchProvider.isSupported("Darwin", "x86_64"));
        assertFalse(MacosX64SwitchProvider.isSupported("Mac OS X", "aarch64"), "arm64 JDK cannot load an x86-64 dylib");
        assertFalse(MacosX64SwitchProvider.isSupported("Linux", "amd64"));
        assertFalse(MacosX64SwitchProvider.isSupported("Windows 11", "amd64"));
        assertFalse(MacosX64SwitchProvider.isSupported("Mac OS X", "x86"));
        assertFalse(MacosX64SwitchProvider.isSupported("", ""));
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
        assertEquals(MacosX64SwitchProvider.unsupported(System.getProperty("os.name"),
                System.getProperty("os.arch")), cause.getMessage());
        IllegalStateException e = assertThrows(IllegalStateException.class, p::port);
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("provider macos-x64-sysv is not available: "), e.getMessage());
    }

    @Test
    void unsupportedMessageNamesThePlatform() {
        assertEquals("macos-x64-sysv runs on macOS x86-64 (an x86-64 JVM, also under Rosetta 2); this JVM reports"
                + " os.name=Linux, os.arch=amd64", MacosX64SwitchProvider.unsupported("Linux", "amd64"));
    }

    @Test
    void anArm64MacGetsTheRosettaHint() {
        assertTrue(MacosX64SwitchProvider.unsupported("Mac OS X", "aarch64")
                .endsWith("; on Apple silicon run an x86-64 JDK under Rosetta 2 to use it"));
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
        assertEquals(MacosX64Native.RESOURCE_PREFIX, m.invoke(null, Platform.MAC, "x86_64", "Mac OS X"));
        assertNotNull(MacosX64SwitchProvider.class.getResource(Artifacts.DYLIB_RESOURCE));
    }

    @Test
    void everyNativeMethodIsInTheSymbolList() {
        Set<String> natives = Arrays.stream(MacosX64Native.class.getDeclaredMethods())
                .filter(m -> Modifier.isNative(m.getModifiers())).map(Method::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertFalse(natives.isEmpty());
        assertTrue(MacosX64Native.SYMBOLS.containsAll(natives), "missing: " + natives);
        assertEquals(MacosX64Native.SYMBOLS.size(), new TreeSet<>(MacosX64Native.SYMBOLS).size(), "no duplicates");
    }

    @Test
    void macOsMemoryConstants() {
        // XNU <sys/mman.h>, <unistd.h>: these differ from Linux (MAP_ANONYMOUS 0x20, _SC_PAGESIZE 30).
        assertEquals(0x1000, MacosX64Native.Libc.MAP_ANON);
        assertEquals(0x02, MacosX64Native.Libc.MAP_PRIVATE);
        assertEquals(29, MacosX64Native.Libc.SC_PAGESIZE);
        assertEquals(0, MacosX64Native.Libc.PROT_NONE);
        assertEquals(1, MacosX64Native.Libc.PROT_READ);
        assertEquals(2, MacosX64Native.Libc.PROT_WRITE);
        Set<String> fields = Arrays.stream(MacosX64Native.Libc.class.getDeclaredFields()).map(f -> f.getName())
                .collect(Collectors.toSet());
        for (String linuxOnly : new String[] {"MAP_STACK", "MAP_GROWSDOWN", "MAP_NORESERVE", "MAP_POPULATE",
            "MAP_ANONYMOUS"}) {
            assertFalse(fields.contains(linuxOnly), linuxOnly + " has no meaning on macOS");
        }
    }

    @Test
    void callbackGeometryAndCapabilities() {
        assertEquals(8, MacosX64SwitchProvider.Port.CALLBACKS.userDataPositions());
        assertEquals(FiberControlBlock.STUB_POSITIONS, MacosX64SwitchProvider.Port.CALLBACKS.integerArguments());
        assertEquals(FiberControlBlock.CALLBACK_FLOAT_SLOTS, MacosX64SwitchProvider.Port.CALLBACKS.floatArguments());
        assertEquals(FiberControlBlock.STUB_TAGS, MacosX64SwitchProvider.Port.CALLBACKS.tags());
        assertEquals(EnumSet.of(Capability.CALLBACK_FLOAT_ARGUMENTS, Capability.GUARD_PAGES, Capability.LAZY_COMMIT,
                Capability.UNWIND_TABLES), MacosX64SwitchProvider.Port.capabilitySet());
    }
}
