package org.fiberswitch.macos.x64;

import java.util.Set;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.NativePort;
import org.fiberswitch.spi.PosixStackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;
import org.fiberswitch.testkit.TranslatedMman;

/**
 * Test-only provider that runs the macOS dylib's own code bytes on Linux x86-64: the shared
 * {@link NativePort} calls the entry points of the mapped {@code __TEXT} segment ({@link MachOCode})
 * by their exports-trie offsets, through the dylib's own JNI adapters (or JNA functions under
 * {@code -Dfiberswitch.binding=jna}), and stacks come from {@link PosixStackMemory} with the macOS
 * flag values, translated to Linux ones. What differs from the real provider is only the loader and
 * the mmap flag numbers. Public with a public constructor so the kit's death test can name it in a
 * child JVM.
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
        return com.sun.jna.Platform.RESOURCE_PREFIX.equals("linux-x86-64");
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
                port = NativePort.forCode(new NativePort.Spec(ID, name -> {
                    Long offset = code.image.exports.get("_" + name);
                    return offset == null ? 0L : code.base + offset;
                }, new PosixStackMemory(TranslatedMman.pageSize(), PosixStackMemory.Flags.MACOS,
                        new TranslatedMman(PosixStackMemory.Flags.MACOS)),
                        Set.of(), NativePort.PortSlots.NONE,
                        "the dylib's __TEXT mapped at 0x" + Long.toHexString(code.base)), JniBinding.requested());
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
