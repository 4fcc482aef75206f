package org.fiberswitch.linux.x64;

import java.util.Set;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.NativeSwitchProvider;

/**
 * The fiberswitch provider for Linux on x86-64 (System V ABI), id {@value #ID}: the library
 * {@code linux-x86-64/libfiberswitch.so}, built from {@code native/src/fiberswitch_x86_64_sysv.S},
 * which states its ABI facts itself ({@link org.fiberswitch.spi.AbiDescription}). Stacks come from
 * mmap; glibc's unwinder reads the library's unwind tables, so native stack walks on a fiber work.
 */
public final class LinuxX64SwitchProvider extends NativeSwitchProvider {
    /** This provider's id. */
    public static final String ID = "linux-x64-sysv";

    public LinuxX64SwitchProvider() {
        super(ID, "linux-x86-64", "Linux x86-64");
    }

    @Override
    protected Set<Capability> platformCapabilities() {
        return Set.of(Capability.UNWIND_TABLES);
    }
}
