package org.fiberswitch.linux.x64;

import com.sun.jna.LastErrorException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fiberswitch.spi.ExportedSymbolsPort;
import org.fiberswitch.spi.CallbackSupport;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackAllocationException;
import org.fiberswitch.spi.StackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.LazySwitchProvider;

/**
 * The fiberswitch provider for Linux on x86-64 (System V ABI), id {@value #ID}.
 *
 * <p>The switch saves rbx, rbp, r12-r15, MXCSR and the x87 control word; callback stubs capture
 * integer positions 0-5 from rdi, rsi, rdx, rcx, r8, r9 and 6-7 from the first two stack slots, and
 * float positions 0-7 from xmm0-xmm7. Stacks come from mmap, with an optional PROT_NONE guard page.
 */
public final class LinuxX64SwitchProvider extends LazySwitchProvider {
    /** This provider's id. */
    public static final String ID = "linux-x64-sysv";

    public LinuxX64SwitchProvider() {
        super(ID, 100, "Linux x86-64");
    }

    @Override
    protected boolean supports(String osName, String osArch) {
        return isSupported(osName, osArch);
    }

    /** The platform decision, on given {@code os.name} and {@code os.arch} values. */
    static boolean isSupported(String osName, String osArch) {
        return osName.toLowerCase(Locale.ROOT).startsWith("linux") && isX8664(osArch);
    }

    @Override
    protected SwitchPort bind() {
        try {
            LinuxX64Native.bind();
        } catch (UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("cannot load libfiberswitch.so (" + e.getMessage() + "). JNA extracts it"
                    + " from the jar into -Djna.tmpdir if set, else ~/.cache/JNA/temp, else java.io.tmpdir ("
                    + System.getProperty("java.io.tmpdir") + "); if those are read-only or mounted noexec, set"
                    + " -Djna.tmpdir to a writable directory that allows executables, or put the library on"
                    + " -Djna.library.path");
        }
        Port port = new Port(null);
        if (!JniBinding.requested()) {
            return port;
        }
        String why = JniBinding.registerOnce(port.entryPointAddress(JniBinding.REGISTER_FUNCTION),
                LinuxX64Native.Jni.class);
        return why == null ? new JniPort() : new Port(why);
    }

    /** The port with its hot calls on the JNI natives of {@link LinuxX64Native.Jni}. */
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
            LinuxX64Native.Jni.prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return LinuxX64Native.Jni.resume(fcb, value);
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return LinuxX64Native.Jni.probeResumeRegisters(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return LinuxX64Native.Jni.probeResumeFpEnv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return LinuxX64Native.Jni.probeReadFpEnv();
        }
    }

    /** The bound port on JNA direct mapping: switch, stack memory and probes. */
    static class Port extends ExportedSymbolsPort implements StackMemory {
        private static final CallbackSupport CALLBACKS = new CallbackSupport(8, 8, 8, FiberControlBlock.STUB_TAGS,
                "System V: integer positions 0-5 are rdi, rsi, rdx, rcx, r8, r9, positions 6-7 the first two "
                        + "stack arguments; float positions 0-7 are xmm0-xmm7");

        private final long pageSize;
        private final String jniUnavailable;

        /** @param jniUnavailable why JNI was asked for and not bound, or null */
        Port(String jniUnavailable) {
            super(exportsOf(LinuxX64Native.bind()));
            long page = LinuxX64Native.Libc.sysconf(LinuxX64Native.Libc.SC_PAGESIZE);
            this.pageSize = page > 0 ? page : 4096;
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
            return LinuxX64Native.fiberswitch_abi_version();
        }

        @Override
        public long layoutConstant(int index) {
            return LinuxX64Native.fiberswitch_layout(index);
        }

        @Override
        public void prepare(long fcb) {
            LinuxX64Native.fiberswitch_prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return LinuxX64Native.fiberswitch_resume(fcb, value);
        }

        @Override
        public CallbackSupport callbackSupport() {
            return CALLBACKS;
        }

        @Override
        public StackMemory stackMemory() {
            return this;
        }

        @Override
        public Set<Capability> capabilities() {
            return EnumSet.of(Capability.CALLBACK_FLOAT_ARGUMENTS, Capability.GUARD_PAGES, Capability.LAZY_COMMIT,
                    Capability.UNWIND_TABLES);
        }

        // ---- StackMemory

        @Override
        public long pageSize() {
            return pageSize;
        }

        @Override
        public NativeStack allocate(long size, boolean guardPage, boolean commitNow) {
            if (size <= 0 || size % pageSize != 0) {
                throw new IllegalArgumentException("stack size " + size + " is not a positive multiple of the page size "
                        + pageSize);
            }
            long guard = guardPage ? pageSize : 0;
            long total = size + guard;
            int flags = LinuxX64Native.Libc.MAP_PRIVATE | LinuxX64Native.Libc.MAP_ANONYMOUS
                    | LinuxX64Native.Libc.MAP_STACK
                    | (commitNow ? LinuxX64Native.Libc.MAP_POPULATE : LinuxX64Native.Libc.MAP_NORESERVE);
            long base;
            try {
                base = LinuxX64Native.Libc.mmap(0, total, LinuxX64Native.Libc.PROT_READ | LinuxX64Native.Libc.PROT_WRITE,
                        flags, -1, 0);
            } catch (LastErrorException e) {
                throw new StackAllocationException("mmap of a " + total + "-byte fiber stack failed: " + e.getMessage()
                        + ". If the process has many live fibers it may have hit vm.max_map_count (a guarded stack"
                        + " takes 2 mappings): close fibers you no longer need, use guard-less stacks, or raise"
                        + " vm.max_map_count; otherwise memory is exhausted (check ulimit -v and cgroup limits)", e);
            }
            if (guardPage) {
                try {
                    LinuxX64Native.Libc.mprotect(base, guard, LinuxX64Native.Libc.PROT_NONE);
                } catch (LastErrorException e) {
                    unmap(base, total);
                    throw new StackAllocationException("mprotect of the guard page failed: " + e.getMessage()
                            + ". The process may have hit vm.max_map_count; raise it or use guard-less stacks", e);
                }
            }
            return new NativeStack(base, total, guard, commitNow);
        }

        @Override
        public void release(NativeStack stack) {
            unmap(stack.base(), stack.mappingSize());
        }

        private static void unmap(long base, long length) {
            try {
                LinuxX64Native.Libc.munmap(base, length);
            } catch (LastErrorException e) {
                throw new StackAllocationException("munmap of a fiber stack at 0x" + Long.toHexString(base)
                        + " failed: " + e.getMessage(), e);
            }
        }

        // ---- AbiProbes

        @Override
        public List<String> calleeSavedRegisters() {
            return List.of("rbx", "rbp", "r12", "r13", "r14", "r15");
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return LinuxX64Native.fiberswitch_probe_resume_registers(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return LinuxX64Native.fiberswitch_probe_resume_fpenv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return LinuxX64Native.fiberswitch_probe_read_fpenv();
        }

    }
}
