package org.fiberswitch.macos.x64;

import java.util.Locale;
import java.util.Set;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.NativeSwitchProvider;

/**
 * The fiberswitch provider for macOS on x86-64 (System V ABI), id {@value #ID}. It also serves an
 * x86-64 JVM that runs under Rosetta 2 on Apple silicon.
 *
 * <p>The library {@code darwin-x86-64/libfiberswitch.dylib} is the Linux port's assembly
 * ({@code native/src/fiberswitch_x86_64_sysv.S}) linked as Mach-O, with no dependency at all, not
 * even libSystem. dyld registers its {@code __eh_frame}, so native stack walks on a fiber work.
 */
public final class MacosX64SwitchProvider extends NativeSwitchProvider {
    /** This provider's id. */
    public static final String ID = "macos-x64-sysv";

    public MacosX64SwitchProvider() {
        super(ID, "darwin-x86-64", "macOS x86-64 (an x86-64 JVM, also under Rosetta 2)");
    }

    @Override
    protected Set<Capability> platformCapabilities() {
        return Set.of(Capability.UNWIND_TABLES);
    }

    @Override
    protected String unsupportedMessage(String osName, String osArch) {
        String hint = osName != null && osName.toLowerCase(Locale.ROOT).startsWith("mac")
                ? "; on Apple silicon use an arm64 JDK with the macos-aarch64 provider, or run an x86-64 JDK under"
                        + " Rosetta 2 to use this one"
                : "";
        return super.unsupportedMessage(osName, osArch) + hint;
    }
}
