package org.fiberswitch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** With no real provider on the class path, discovery explains itself. */
class DiscoveryTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(FiberRuntime.PROVIDER_PROPERTY);
    }

    @Test
    void listsEveryProviderWithItsReason() {
        List<ProviderStatus> all = FiberRuntime.providers();
        assertEquals(3, all.size(), all.toString());
        ProviderStatus other = all.stream().filter(s -> s.id().equals("fake-other-platform")).findFirst().orElseThrow();
        assertFalse(other.supported());
        assertEquals("fake platform", other.reason(), "the provider's own reason");
        ProviderStatus throwing = all.stream().filter(s -> s.id().equals("fake-throwing-check")).findFirst().orElseThrow();
        assertFalse(throwing.supported());
        assertEquals("its isSupported() threw java.lang.IllegalStateException: cannot read /etc/fake-release",
                throwing.reason());
        ProviderStatus noLib = all.stream().filter(s -> s.id().equals("fake-no-library")).findFirst().orElseThrow();
        assertTrue(noLib.supported());
        assertFalse(noLib.available());
        assertTrue(noLib.reason().contains("cannot open shared object"), noLib.reason());
        assertTrue(noLib.toString().contains("NOT AVAILABLE"), noLib.toString());
    }

    @Test
    void openWithoutAUsableProviderSaysWhatWasFoundAndWhatToDo() {
        ProviderNotFoundException e = assertThrows(ProviderNotFoundException.class, FiberRuntime::open);
        assertTrue(e.getMessage().contains("fake-no-library"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot open shared object"), e.getMessage());
        assertTrue(e.getMessage().contains("fake-other-platform"), e.getMessage());
        assertTrue(e.getMessage().contains("Add the provider jar"), e.getMessage());
        assertTrue(e.getCause() instanceof UnsatisfiedLinkError, "the provider's own failure is the cause: " + e.getCause());
    }

    @Test
    void discoveryThroughAClassLoaderOrAModuleLayer() {
        assertEquals(FiberRuntime.providers().size(), FiberRuntime.providers(getClass().getClassLoader()).size());
        // The boot layer holds no fiberswitch modules here (tests run on the class path): nothing found.
        assertEquals(List.of(), FiberRuntime.providers(ModuleLayer.boot()));
        ProviderNotFoundException e = assertThrows(ProviderNotFoundException.class,
                () -> FiberRuntime.open(ModuleLayer.boot()));
        assertTrue(e.getMessage().contains("no providers on the class path"), e.getMessage());
    }

    @Test
    void aStrictOverrideOfAnUnusableProviderFails() {
        System.setProperty(FiberRuntime.PROVIDER_PROPERTY, "fake-other-platform");
        ProviderNotFoundException e = assertThrows(ProviderNotFoundException.class, FiberRuntime::open);
        assertTrue(e.getMessage().contains("is not made for"), e.getMessage());
        System.setProperty(FiberRuntime.PROVIDER_PROPERTY, "fake-no-library");
        e = assertThrows(ProviderNotFoundException.class, FiberRuntime::open);
        assertTrue(e.getMessage().contains("is not available: libfake.so"), e.getMessage());
        assertTrue(e.getCause() instanceof UnsatisfiedLinkError);
    }
}
