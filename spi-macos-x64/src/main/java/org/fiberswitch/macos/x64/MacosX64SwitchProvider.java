package org.fiberswitch.macos.x64;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fiberswitch.spi.ExportedSymbolsPort;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.CallbackSupport;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.StackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.LazySwitchProvider;

/**
 * The fiberswitch provider for macOS on x86-64 (System V ABI), id {@value #ID}. It also serves an
 * x86-64 JVM that runs under Rosetta 2 on Apple silicon.
 *
 * <p>The library is the Linux port's assembly linked as a Mach-O dylib, so the switch is the same:
 * it saves rbx, rbp, r12-r15, MXCSR and the x87 control word; callback stubs capture integer
 * positions 0-5 from rdi, rsi, rdx, rcx, r8, r9 and 6-7 from the first two stack slots, and float
 * positions 0-7 from xmm0-xmm7. Stacks come from mmap with the macOS flags, with an optional
 * PROT_NONE guard page.
 */
public final class MacosX64SwitchProvider extends LazySwitchProvider {
    /** This provider's id. */
    public static final String ID = "macos-x64-sysv";

    public MacosX64SwitchProvider() {
        super(ID, 100, "macOS x86-64 (an x86-64 JVM, also under Rosetta 2)");
    }

    @Override
    protected boolean supports(String osName, String osArch) {
        return isSupported(osName, osArch);
    }

    /**
     * The platform decision, on given {@code os.name} and {@code os.arch} values. Every JDK on macOS
     * reports "Mac OS X" (also on macOS 11 and later); an x86-64 JDK reports "x86_64" (or "amd64"),
     * also under Rosetta 2, while an arm64 JDK reports "aarch64" and cannot load this x86-64 dylib.
     */
    static boolean isSupported(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        return (os.startsWith("mac os x") || os.startsWith("darwin")) && isX8664(osArch);
    }

    @Override
    protected SwitchPort bind() {
        try {
            MacosX64Native.bind();
        } catch (UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("cannot load libfiberswitch.dylib (" + e.getMessage() + "). JNA extracts it"
                    + " from the jar's " + MacosX64Native.RESOURCE_PREFIX + "/ into jna.tmpdir (default java.io.tmpdir="
                    + System.getProperty("java.io.tmpdir") + "); if that directory is not writable, set -Djna.tmpdir"
                    + " to one that is, or put the library on -Djna.library.path");
        }
        Port port = new Port(null);
        if (!JniBinding.requested()) {
            return port;
        }
        String why = JniBinding.registerOnce(port.entryPointAddress(JniBinding.REGISTER_FUNCTION),
                MacosX64Native.Jni.class);
        return why == null ? new JniPort() : new Port(why);
    }

    @Override
    protected String unsupportedMessage(String osName, String osArch) {
        return unsupported(osName, osArch);
    }

    /** Why this provider does not fit a JVM with these properties, with the Rosetta hint on arm64 Macs. */
    static String unsupported(String osName, String osArch) {
        String hint = osName != null && osName.toLowerCase(Locale.ROOT).startsWith("mac")
                ? "; on Apple silicon run an x86-64 JDK under Rosetta 2 to use it"
                : "";
        return ID + " runs on macOS x86-64 (an x86-64 JVM, also under Rosetta 2); this JVM reports os.name="
                + osName + ", os.arch=" + osArch + hint;
    }

    /** The port with its hot calls on the JNI natives of {@link MacosX64Native.Jni}. */
    static final class JniPort extends Port {
        JniPort() {
            super(null);
        }

        @Override
        public String binding() {
            return "jni";
        }

        @Override
        public void prepare(long fcb) {
            MacosX64Native.Jni.prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return MacosX64Native.Jni.resume(fcb, value);
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return MacosX64Native.Jni.probeResumeRegisters(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return MacosX64Native.Jni.probeResumeFpEnv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return MacosX64Native.Jni.probeReadFpEnv();
        }
    }

    /** The bound port on JNA direct mapping: switch, stack memory and probes. */
    static class Port extends ExportedSymbolsPort {
        static final CallbackSupport CALLBACKS = new CallbackSupport(8, 8, 8, FiberControlBlock.STUB_TAGS,
                "System V: integer positions 0-5 are rdi, rsi, rdx, rcx, r8, r9, positions 6-7 the first two "
                        + "stack arguments; float positions 0-7 are xmm0-xmm7");

        private final MacosStackMemory memory = new MacosStackMemory(
                MacosX64Native.Libc.sysconf(MacosX64Native.Libc.SC_PAGESIZE), MacosStackMemory.Mman.libc());

        private final String jniUnavailable;

        /** @param jniUnavailable why JNI was asked for and not bound, or null */
        Port(String jniUnavailable) {
            super(exportsOf(MacosX64Native.bind()));
            this.jniUnavailable = jniUnavailable;
        }

        @Override
        public String binding() {
            return "jna";
        }

        @Override
        public String toString() {
            return ID + " port, " + binding() + " binding"
                    + (jniUnavailable == null ? "" : " (JNI unavailable: " + jniUnavailable + ")");
        }

        @Override
        public long abiVersion() {
            return MacosX64Native.fiberswitch_abi_version();
        }

        @Override
        public long layoutConstant(int index) {
            return MacosX64Native.fiberswitch_layout(index);
        }

        @Override
        public void prepare(long fcb) {
            MacosX64Native.fiberswitch_prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return MacosX64Native.fiberswitch_resume(fcb, value);
        }

        @Override
        public CallbackSupport callbackSupport() {
            return CALLBACKS;
        }

        @Override
        public StackMemory stackMemory() {
            return memory;
        }

        @Override
        public Set<Capability> capabilities() {
            return capabilitySet();
        }

        /**
         * Guard pages from mprotect, lazy commit (macOS anonymous memory is always lazy), float capture,
         * and unwind tables (dyld registers the dylib's __eh_frame; the first frame has rbp = 0).
         */
        static Set<Capability> capabilitySet() {
            return EnumSet.of(Capability.CALLBACK_FLOAT_ARGUMENTS, Capability.GUARD_PAGES, Capability.LAZY_COMMIT,
                    Capability.UNWIND_TABLES);
        }

        // ---- AbiProbes

        @Override
        public List<String> calleeSavedRegisters() {
            return List.of("rbx", "rbp", "r12", "r13", "r14", "r15");
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return MacosX64Native.fiberswitch_probe_resume_registers(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return MacosX64Native.fiberswitch_probe_resume_fpenv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return MacosX64Native.fiberswitch_probe_read_fpenv();
        }

    }
}
