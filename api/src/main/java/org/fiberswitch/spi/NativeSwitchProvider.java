package org.fiberswitch.spi;

import java.util.Set;

/**
 * The provider skeleton every assembly port shares: a port is its library plus a subclass that
 * names its platform, which is usually all it needs:
 *
 * <pre>{@code
 * public final class LinuxAarch64SwitchProvider extends NativeSwitchProvider {
 *     public LinuxAarch64SwitchProvider() {
 *         super("linux-aarch64-aapcs64", "linux-aarch64", "Linux AArch64");
 *     }
 *
 *     protected Set<Capability> platformCapabilities() {
 *         return Set.of(Capability.UNWIND_TABLES);
 *     }
 * }
 * }</pre>
 *
 * <p>The library ({@code fiberswitch}, mapped per OS: {@code libfiberswitch.so}, {@code .dylib},
 * {@code fiberswitch.dll}) sits in the provider's jar under JNA's resource prefix for its platform
 * ({@code linux-aarch64/libfiberswitch.so}). The skeleton loads that copy (never a library of the
 * same name found elsewhere, unless {@code -Dfiberswitch.library} says so), checks the ABI
 * handshake, reads the library's {@link AbiDescription}, takes POSIX {@code mmap} stacks on Linux and
 * macOS, and binds the hot calls through {@link NativePort}. Everything ABI-specific lives in the
 * library; the subclass adds only what differs by OS: other stack memory, the port's own FCB slots,
 * and hints for a JVM it does not fit.
 */
public abstract class NativeSwitchProvider extends LazySwitchProvider {
    private final String resourcePrefix;

    /**
     * @param id             the provider id, {@code os-arch-abi} style, such as {@code linux-x64-sysv}
     * @param resourcePrefix JNA's name of the platform the library is built for, such as
     *                       {@code linux-x86-64}; also where the jar carries it
     * @param platform       the platform in words, for messages, such as {@code "Linux x86-64"}
     */
    protected NativeSwitchProvider(String id, String resourcePrefix, String platform) {
        super(id, 100, platform);
        this.resourcePrefix = resourcePrefix;
    }

    /** JNA's name of the platform this port is built for, such as {@code linux-x86-64}. */
    public final String resourcePrefix() {
        return resourcePrefix;
    }

    @Override
    protected boolean supports(String osName, String osArch) {
        return resourcePrefix.equals(resourcePrefix(osName, osArch));
    }

    /**
     * What the platform adds to the capabilities the library and the stack memory state; for example
     * {@link Capability#UNWIND_TABLES} where the OS loader registers the library's unwind data.
     * None by default.
     */
    protected Set<Capability> platformCapabilities() {
        return Set.of();
    }

    /** Where stacks come from: {@link PosixStackMemory} by default. Called once per bind. */
    protected StackMemory stackMemory() {
        return PosixStackMemory.forThisOs();
    }

    /** The port's own FCB slots; see {@link SwitchPort#initPortSlots}. Writes nothing by default. */
    protected void initPortSlots(long fcb, NativeStack stack) {
    }

    /** The library's name before the OS maps it; {@code fiberswitch} by default. */
    protected String libraryName() {
        return "fiberswitch";
    }

    /**
     * Loads the library and binds the port; called once, by {@link LazySwitchProvider}.
     *
     * @throws UnsatisfiedLinkError if the library cannot be loaded, saying why and what to do
     * @throws IllegalStateException if it lacks an entry point or states no valid description
     */
    @Override
    protected final SwitchPort bind() {
        BundledLibrary.Loaded loaded = BundledLibrary.load(libraryName(), resourcePrefix, getClass().getClassLoader());
        NativePort.Spec spec = new NativePort.Spec(id(), cName -> exported(loaded, cName), stackMemory(),
                platformCapabilities(), this::initPortSlots, loaded.origin());
        return NativePort.bind(spec, loaded.library());
    }

    private static long exported(BundledLibrary.Loaded loaded, String cName) {
        try {
            return com.sun.jna.Pointer.nativeValue(loaded.library().getFunction(cName));
        } catch (UnsatisfiedLinkError e) {
            return 0L;
        }
    }
}
