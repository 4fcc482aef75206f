package org.fiberswitch.macos.x64;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;
import org.fiberswitch.testkit.AddressedPort;

/**
 * Test-only provider that runs the macOS dylib's own code bytes on Linux x86-64: the kit's
 * {@link AddressedPort} calls the entry points of the mapped {@code __TEXT} segment
 * ({@link MachOCode}) by their exports-trie offsets, and stacks come from the macOS provider's
 * {@link MacosStackMemory} with the macOS flags translated to Linux ones. What differs from the
 * real provider is only the call path and the mmap flag values. Public with a public constructor so
 * the kit's death test can name it in a child JVM.
 */
public final class MachOCodeProvider implements SwitchProvider {
    static final String ID = MacosX64SwitchProvider.ID + "-on-linux";

    private SwitchPort port;
    private Throwable cause;

    public MachOCodeProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public boolean isSupported() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    @Override
    public synchronized boolean isAvailable() {
        if (port == null && cause == null) {
            try {
                if (!isSupported()) {
                    throw new UnsupportedOperationException("the Mach-O code harness needs Linux x86-64");
                }
                MachOCode code = MachOCode.load();
                // Copied code is not registered with any unwinder, so UNWIND_TABLES is not claimed.
                Set<Capability> caps = EnumSet.copyOf(MacosX64SwitchProvider.Port.capabilitySet());
                caps.remove(Capability.UNWIND_TABLES);
                SwitchPort addressed = new AddressedPort(name -> {
                    Long offset = code.image.exports.get("_" + name);
                    return offset == null ? 0L : code.base + offset;
                }, new MacosStackMemory(LinuxLibc.sysconf(LinuxLibc.SC_PAGESIZE), new LinuxLibc.TranslatingMman()),
                        MacosX64SwitchProvider.Port.CALLBACKS, caps, List.of("rbx", "rbp", "r12", "r13", "r14", "r15"));
                // The same call path as the real provider: the dylib's JNI adapters, unless -Dfiberswitch.binding=jna.
                port = JniBinding.requested() ? MachOCodeJni.bind(addressed) : addressed;
            } catch (RuntimeException | LinkageError e) {
                cause = e;
            }
        }
        return port != null;
    }

    @Override
    public synchronized Throwable unavailabilityCause() {
        isAvailable();
        return cause;
    }

    @Override
    public synchronized SwitchPort port() {
        if (!isAvailable()) {
            throw new IllegalStateException(ID + " is not available: " + cause, cause);
        }
        return port;
    }
}
