package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.ProviderNotFoundException;
import org.fiberswitch.ProviderStatus;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.LazySwitchProvider;
import org.fiberswitch.spi.SwitchPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Discovery, the strict override, the platform decision and the ABI handshake. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class ProviderDiscoveryTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(FiberRuntime.PROVIDER_PROPERTY);
    }

    @Test
    void listsTheLinuxProviderAsAvailable() {
        List<ProviderStatus> all = FiberRuntime.providers();
        ProviderStatus linux = all.stream().filter(s -> s.id().equals(LinuxX64SwitchProvider.ID)).findFirst()
                .orElseThrow(() -> new AssertionError("not discovered: " + all));
        assertTrue(linux.supported());
        assertTrue(linux.available(), linux.toString());
        assertNull(linux.reason());
        assertEquals(LinuxX64SwitchProvider.class.getName(), linux.className());
    }

    @Test
    void theOverrideAcceptsTheIdOrTheClassName() {
        System.setProperty(FiberRuntime.PROVIDER_PROPERTY, LinuxX64SwitchProvider.ID);
        try (FiberRuntime r = FiberRuntime.open()) {
            assertEquals(LinuxX64SwitchProvider.ID, r.providerId());
        }
        System.setProperty(FiberRuntime.PROVIDER_PROPERTY, LinuxX64SwitchProvider.class.getName());
        try (FiberRuntime r = FiberRuntime.open()) {
            assertEquals(LinuxX64SwitchProvider.ID, r.providerId());
        }
    }

    @Test
    void anOverrideThatCannotBeHonouredFailsLoudly() {
        System.setProperty(FiberRuntime.PROVIDER_PROPERTY, "riscv64-lp64d");
        ProviderNotFoundException e = assertThrows(ProviderNotFoundException.class, FiberRuntime::open);
        assertTrue(e.getMessage().contains("no provider has the id or class 'riscv64-lp64d'"), e.getMessage());
        assertTrue(e.getMessage().contains(LinuxX64SwitchProvider.ID), "lists what was found: " + e.getMessage());
        System.setProperty(FiberRuntime.PROVIDER_PROPERTY, "java.lang.String");
        e = assertThrows(ProviderNotFoundException.class, FiberRuntime::open);
        assertTrue(e.getMessage().contains("does not implement"), e.getMessage());
    }

    @Test
    void platformDecision() {
        String prefix = new LinuxX64SwitchProvider().resourcePrefix();
        assertEquals(prefix, LazySwitchProvider.resourcePrefix("Linux", "amd64"));
        assertEquals(prefix, LazySwitchProvider.resourcePrefix("Linux", "x86_64"));
        assertNotEquals(prefix, LazySwitchProvider.resourcePrefix("Linux", "aarch64"));
        assertNotEquals(prefix, LazySwitchProvider.resourcePrefix("Mac OS X", "x86_64"));
        assertNotEquals(prefix, LazySwitchProvider.resourcePrefix("Windows 11", "amd64"));
        // This JVM's pair gives JNA's own name for it.
        assertEquals(com.sun.jna.Platform.RESOURCE_PREFIX,
                LazySwitchProvider.resourcePrefix(System.getProperty("os.name"), System.getProperty("os.arch")));
    }

    @Test
    void theLibraryReportsTheSharedLayout() {
        SwitchPort port = new LinuxX64SwitchProvider().port();
        assertEquals(FiberControlBlock.ABI_VERSION, port.abiVersion());
        for (int i = 0; i < FiberControlBlock.LAYOUT_NAMES.size(); i++) {
            assertEquals(FiberControlBlock.expectedLayoutConstant(i), port.layoutConstant(i),
                    FiberControlBlock.LAYOUT_NAMES.get(i));
        }
        assertEquals(-1, port.layoutConstant(FiberControlBlock.LAYOUT_NAMES.size()));
        assertNull(FiberControlBlock.verify(port));
    }
}
