package org.fiberswitch.windows.x64;

import com.sun.jna.Pointer;
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
import org.fiberswitch.spi.StackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.LazySwitchProvider;

/**
 * The fiberswitch provider for Windows on x86-64 (Microsoft x64 ABI), id {@value #ID}.
 *
 * <p>The switch saves rbx, rbp, rdi, rsi, r12-r15, the full 128 bits of xmm6-xmm15, MXCSR and the
 * x87 control word, and the TEB fields StackBase, StackLimit, DeallocationStack, FiberData and
 * ExceptionList (see {@link TebMode}: lazily committed stacks get their real bounds, fully committed
 * ones the StackLimit trick unless {@code -Dfiberswitch.windows.teb=full}). Callback stubs capture
 * positions 0-3 from rcx, rdx, r8, r9 and xmm0-3, and 4-7 from the stack above the home space.
 * Stacks come from VirtualAlloc, with a reserved-only guard page at the bottom.
 *
 * <p>Java calls the switch through JNI static natives that the DLL registers
 * ({@link JniBinding}, binding {@code "jni"}) unless {@code -Dfiberswitch.binding=jna} asks for JNA
 * direct mapping alone or the registration fails; then the port stays on JNA (binding
 * {@code "jna"}) and its {@code toString} says why. Both bindings reach the same switch, so the TEB
 * modes, callbacks and probes behave the same.
 */
public final class WindowsX64SwitchProvider extends LazySwitchProvider {
    /** This provider's id. */
    public static final String ID = "windows-x64-win64";

    public WindowsX64SwitchProvider() {
        super(ID, 100, "Windows x86-64");
    }

    @Override
    protected boolean supports(String osName, String osArch) {
        return isSupported(osName, osArch);
    }

    /** The platform decision, on given {@code os.name} and {@code os.arch} values. */
    static boolean isSupported(String osName, String osArch) {
        return osName.toLowerCase(Locale.ROOT).startsWith("windows") && isX8664(osArch);
    }

    @Override
    protected SwitchPort bind() {
        try {
            WindowsX64Native.bind();
        } catch (UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("cannot load fiberswitch.dll (" + e.getMessage() + "). JNA extracts it"
                    + " from the jar into jna.tmpdir (default java.io.tmpdir=" + System.getProperty("java.io.tmpdir")
                    + "); if that directory is not writable or a policy blocks DLLs there, set -Djna.tmpdir to an"
                    + " allowed directory, or put the DLL on -Djna.library.path");
        }
        WindowsStackMemory memory = new WindowsStackMemory(WindowsStackMemory.VirtualMemory.kernel32());
        Port port = new Port(memory, null);
        if (!JniBinding.requested()) {
            return port;
        }
        String why = JniBinding.registerOnce(port.entryPointAddress(JniBinding.REGISTER_FUNCTION),
                WindowsX64Native.Jni.class);
        return why == null ? new JniPort(memory) : new Port(memory, why);
    }

    /**
     * The port with its hot calls on the JNI natives of {@link WindowsX64Native.Jni}; everything
     * else (TEB slots, stack memory, {@code readTeb}) is {@link Port}'s.
     */
    static final class JniPort extends Port {
        JniPort(WindowsStackMemory memory) {
            super(memory, null);
        }

        @Override
        public String binding() {
            return "jni";
        }

        @Override
        public void prepare(long fcb) {
            WindowsX64Native.Jni.prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return WindowsX64Native.Jni.resume(fcb, value);
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return WindowsX64Native.Jni.probeResumeRegisters(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return WindowsX64Native.Jni.probeResumeFpEnv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return WindowsX64Native.Jni.probeReadFpEnv();
        }
    }

    /** The bound port on JNA direct mapping: switch, stack memory, TEB slots and probes. */
    static class Port extends ExportedSymbolsPort {
        static final CallbackSupport CALLBACKS = new CallbackSupport(8, 8, 4, FiberControlBlock.STUB_TAGS,
                "Microsoft x64: arguments are positional; positions 0-3 are rcx, rdx, r8, r9 (or xmm0-xmm3 for"
                        + " floats), positions 4-7 the stack slots above the return address and the 32-byte home"
                        + " space, whatever their type (float positions 4-7 are recorded as the raw bits of the"
                        + " same slots)");

        /** Bit order of the register probes' masks. */
        static final List<String> CALLEE_SAVED = List.of("rbx", "rbp", "r12", "r13", "r14", "r15", "rdi", "rsi",
                "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");

        private final WindowsStackMemory memory;
        private final String jniUnavailable;

        /** @param jniUnavailable why JNI was asked for and not bound, or null */
        Port(WindowsStackMemory memory, String jniUnavailable) {
            super(exportsOf(WindowsX64Native.bind()));
            this.memory = memory;
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
            return WindowsX64Native.fiberswitch_abi_version();
        }

        @Override
        public long layoutConstant(int index) {
            return WindowsX64Native.fiberswitch_layout(index);
        }

        @Override
        public void initPortSlots(long fcb, NativeStack stack) {
            long[] slots = TebMode.forStack(stack, System.getProperty(TebMode.PROPERTY)).slots(stack);
            Pointer p = new Pointer(fcb);
            for (int i = 0; i < slots.length; i++) {
                p.setLong(TebMode.slotOffset(i), slots[i]);
            }
        }

        @Override
        public void prepare(long fcb) {
            WindowsX64Native.fiberswitch_prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return WindowsX64Native.fiberswitch_resume(fcb, value);
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
            return EnumSet.of(Capability.CALLBACK_FLOAT_ARGUMENTS, Capability.GUARD_PAGES, Capability.LAZY_COMMIT,
                    Capability.TEB_FULL_SWAP, Capability.TEB_STACK_LIMIT_TRICK);
        }

        /**
         * The calling thread's TEB field: 0 StackBase, 1 StackLimit, 2 DeallocationStack, 3 FiberData,
         * 4 GuaranteedStackBytes, 5 ExceptionList. For checks of what a fiber and its thread see.
         */
        public long readTeb(int field) {
            if (field < 0 || field > 5) {
                throw new IllegalArgumentException("TEB field " + field + " is not 0-5");
            }
            return WindowsX64Native.fiberswitch_probe_read_teb(field);
        }

        // ---- AbiProbes

        @Override
        public List<String> calleeSavedRegisters() {
            return CALLEE_SAVED;
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return WindowsX64Native.fiberswitch_probe_resume_registers(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return WindowsX64Native.fiberswitch_probe_resume_fpenv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return WindowsX64Native.fiberswitch_probe_read_fpenv();
        }

    }
}
