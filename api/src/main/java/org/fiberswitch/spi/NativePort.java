package org.fiberswitch.spi;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * A port over a fiberswitch assembly library: the one implementation of {@link SwitchPort} and
 * {@link AbiProbes} that every provider shares. It finds the library's entry points by their C
 * names, reads the library's {@link AbiDescription}, and binds the hot calls ({@code resume},
 * {@code prepare} and the resumer-side probes) through the fastest path available:
 *
 * <ol>
 *   <li>{@code jni}: static natives that the library registers itself with
 *       {@value JniBinding#REGISTER_FUNCTION} (see {@link JniBinding});</li>
 *   <li>{@code jna}: JNA direct mapping ({@link Native#register(Class, NativeLibrary)});</li>
 *   <li>{@code jna-function}: JNA {@link Function} objects, for code that no loader mapped (a
 *       port's code bytes copied into memory by a test) or a second library in one JVM.</li>
 * </ol>
 *
 * The natives of the first two paths are static methods of classes shared by all ports, so each can
 * be bound to one library per JVM: the first port that binds one keeps it, and a port over another
 * library takes the next path and says why in {@link #toString()}. A process normally loads one
 * provider's library, so it always gets the fastest path.
 */
public abstract class NativePort implements SwitchPort, AbiProbes {

    /** Lets a port fill its own FCB slots before {@code prepare}; see {@link SwitchPort#initPortSlots}. */
    @FunctionalInterface
    public interface PortSlots {
        /** Writes the port's slots of the control block at {@code fcb}, for {@code stack}. */
        void init(long fcb, NativeStack stack);

        /** Writes nothing. */
        PortSlots NONE = (fcb, stack) -> { };
    }

    /**
     * What a port is, apart from how Java calls it.
     *
     * @param id           the provider id, for messages
     * @param symbols      the address of an exported C function by its C name (no leading underscore),
     *                     or 0 when the code does not export it
     * @param memory       where stacks come from
     * @param capabilities what the platform adds to what the library and memory state (for example
     *                     {@link Capability#UNWIND_TABLES} where the loader registers unwind data)
     * @param slots        the port's own FCB slots
     * @param origin       where the code comes from, for messages: the loaded file's path, or a note
     */
    public record Spec(String id, ToLongFunction<String> symbols, StackMemory memory, Set<Capability> capabilities,
            PortSlots slots, String origin) {
        public Spec {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(symbols, "symbols");
            Objects.requireNonNull(memory, "memory");
            capabilities = Set.copyOf(capabilities);
            Objects.requireNonNull(slots, "slots");
            Objects.requireNonNull(origin, "origin");
        }
    }

    private final Spec spec;
    private final String slowerBecause;
    private final AbiDescription abi;
    private final Set<Capability> capabilities;
    private final Function abiVersion;
    private final Function layout;
    private final long prepare;
    private final long resume;
    private final long yield;
    private final long stubs;
    private final long registersEntry;
    private final long resumeRegisters;
    private final long fpEnvEntry;
    private final long resumeFpEnv;
    private final long readFpEnv;
    private final long echoEntry;
    private final long alignmentEntry;
    private final long callbackEntry;
    private final long recursionEntry;

    private NativePort(Spec spec, String slowerBecause) {
        this.spec = spec;
        this.slowerBecause = slowerBecause;
        this.abiVersion = function("fiberswitch_abi_version");
        this.layout = function("fiberswitch_layout");
        this.prepare = required("fiberswitch_prepare");
        this.resume = required("fiberswitch_resume");
        this.yield = required("fiberswitch_yield");
        this.stubs = required("fiberswitch_callback_stubs");
        this.registersEntry = required("fiberswitch_probe_registers");
        this.resumeRegisters = required("fiberswitch_probe_resume_registers");
        this.fpEnvEntry = required("fiberswitch_probe_fpenv");
        this.resumeFpEnv = required("fiberswitch_probe_resume_fpenv");
        this.readFpEnv = required("fiberswitch_probe_read_fpenv");
        this.echoEntry = required("fiberswitch_probe_echo");
        this.alignmentEntry = required("fiberswitch_probe_alignment");
        this.callbackEntry = required("fiberswitch_probe_callback");
        this.recursionEntry = required("fiberswitch_probe_recurse");
        Pointer text = function(AbiDescription.FUNCTION).invokePointer(new Object[0]);
        if (text == null) {
            throw new IllegalStateException(spec.id() + ": " + AbiDescription.FUNCTION + "() returned NULL");
        }
        try {
            this.abi = AbiDescription.parse(text.getString(0, "UTF-8"));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(spec.id() + ": " + e.getMessage(), e);
        }
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        caps.addAll(spec.capabilities());
        caps.addAll(spec.memory().capabilities());
        if (abi.callbacks().floatArguments() > 0) {
            caps.add(Capability.CALLBACK_FLOAT_ARGUMENTS);
        }
        this.capabilities = java.util.Collections.unmodifiableSet(caps);
    }

    /**
     * A port over a library JNA loaded, on the fastest binding it can have: {@code jni} unless
     * {@code -D}{@value JniBinding#BINDING_PROPERTY}{@code =jna} or the registration fails, else
     * JNA direct mapping, else JNA functions.
     *
     * @throws IllegalStateException if the library lacks a required entry point or states no valid
     *     {@link AbiDescription}
     */
    public static NativePort bind(Spec spec, NativeLibrary library) {
        Objects.requireNonNull(library, "library");
        String why = null;
        if (JniBinding.requested()) {
            why = JniBinding.registerOnce(spec.symbols().applyAsLong(JniBinding.REGISTER_FUNCTION), JniNatives.class);
            if (why == null) {
                return new JniBound(spec);
            }
        } else {
            why = "-D" + JniBinding.BINDING_PROPERTY + "=jna";
        }
        String direct = DirectNatives.bind(library);
        if (direct == null) {
            return new DirectBound(spec, why);
        }
        return new FunctionBound(spec, (why == null ? "" : why + "; ") + direct);
    }

    /**
     * A port over code that no loader mapped (a port's code bytes copied into memory, as tests do),
     * called through JNA functions by address, or through its own JNI adapters when {@code jni} is
     * true and the shared JNI natives are still free.
     *
     * @throws IllegalStateException if {@code jni} is asked for and cannot be had, or the code lacks a
     *     required entry point
     */
    public static NativePort forCode(Spec spec, boolean jni) {
        if (jni) {
            String why = JniBinding.registerOnce(spec.symbols().applyAsLong(JniBinding.REGISTER_FUNCTION),
                    JniNatives.class);
            if (why != null) {
                throw new IllegalStateException(spec.id() + ": the JNI binding of the code failed: " + why);
            }
            return new JniBound(spec);
        }
        return new FunctionBound(spec, null);
    }

    private long required(String cName) {
        long address = spec.symbols().applyAsLong(cName);
        if (address == 0) {
            throw new IllegalStateException(spec.id() + ": the native code (" + spec.origin() + ") does not export "
                    + cName + "; it was not built from a fiberswitch port source of this version (ABI "
                    + FiberControlBlock.ABI_VERSION + ")");
        }
        return address;
    }

    private Function function(String cName) {
        return Function.getFunction(new Pointer(required(cName)));
    }

    /**
     * Calls one of the library's exported C functions that take and return integers, by its C name:
     * for a port's own probes (Windows reads TEB fields this way). Not for hot paths.
     *
     * @throws IllegalStateException if the library does not export it
     */
    public long invoke(String cName, long... args) {
        Object[] boxed = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            boxed[i] = args[i];
        }
        return function(cName).invokeLong(boxed);
    }

    /** The provider id this port serves. */
    public String id() {
        return spec.id();
    }

    /** Where the code comes from: the loaded library's path, or a note for copied code. */
    public String origin() {
        return spec.origin();
    }

    @Override
    public String toString() {
        return spec.id() + " port, " + binding() + " binding, " + spec.origin()
                + (slowerBecause == null ? "" : " (a faster binding was not used: " + slowerBecause + ")");
    }

    @Override
    public long abiVersion() {
        return abiVersion.invokeLong(new Object[0]);
    }

    @Override
    public long layoutConstant(int index) {
        return layout.invokeLong(new Object[] {(long) index});
    }

    @Override
    public AbiDescription abi() {
        return abi;
    }

    @Override
    public StackMemory stackMemory() {
        return spec.memory();
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public AbiProbes probes() {
        return this;
    }

    @Override
    public long entryPointAddress(String cName) {
        return cName.startsWith("fiberswitch_") ? spec.symbols().applyAsLong(cName) : 0L;
    }

    @Override
    public void initPortSlots(long fcb, NativeStack stack) {
        spec.slots().init(fcb, stack);
    }

    @Override
    public long yieldAddress() {
        return yield;
    }

    @Override
    public long callbackStubsAddress() {
        return stubs;
    }

    @Override
    public long registersEntry() {
        return registersEntry;
    }

    @Override
    public long fpEnvEntry() {
        return fpEnvEntry;
    }

    @Override
    public long echoEntry() {
        return echoEntry;
    }

    @Override
    public long alignmentEntry() {
        return alignmentEntry;
    }

    @Override
    public long callbackEntry() {
        return callbackEntry;
    }

    @Override
    public long recursionEntry() {
        return recursionEntry;
    }

    /** The hot calls through the JNI natives the library registered. */
    private static final class JniBound extends NativePort {
        JniBound(Spec spec) {
            super(spec, null);
        }

        @Override
        public String binding() {
            return "jni";
        }

        @Override
        public void prepare(long fcb) {
            JniNatives.prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return JniNatives.resume(fcb, value);
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return JniNatives.probeResumeRegisters(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return JniNatives.probeResumeFpEnv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return JniNatives.probeReadFpEnv();
        }
    }

    /** The hot calls through JNA direct mapping. */
    private static final class DirectBound extends NativePort {
        DirectBound(Spec spec, String slowerBecause) {
            super(spec, slowerBecause);
        }

        @Override
        public String binding() {
            return "jna";
        }

        @Override
        public void prepare(long fcb) {
            DirectNatives.fiberswitch_prepare(fcb);
        }

        @Override
        public long resume(long fcb, long value) {
            return DirectNatives.fiberswitch_resume(fcb, value);
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return DirectNatives.fiberswitch_probe_resume_registers(fcb, value, seed);
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return DirectNatives.fiberswitch_probe_resume_fpenv(fcb, value, env);
        }

        @Override
        public long readFpEnv() {
            return DirectNatives.fiberswitch_probe_read_fpenv();
        }
    }

    /** Every call through a JNA {@link Function} by address: works for any code, slowest. */
    private static final class FunctionBound extends NativePort {
        private final Function prepareFn;
        private final Function resumeFn;
        private final Function resumeRegistersFn;
        private final Function resumeFpEnvFn;
        private final Function readFpEnvFn;

        FunctionBound(Spec spec, String slowerBecause) {
            super(spec, slowerBecause);
            Function[] f = new Function[5];
            NativePort self = this;
            long[] at = {self.prepare, self.resume, self.resumeRegisters, self.resumeFpEnv, self.readFpEnv};
            for (int i = 0; i < f.length; i++) {
                f[i] = Function.getFunction(new Pointer(at[i]));
            }
            prepareFn = f[0];
            resumeFn = f[1];
            resumeRegistersFn = f[2];
            resumeFpEnvFn = f[3];
            readFpEnvFn = f[4];
        }

        @Override
        public String binding() {
            return "jna-function";
        }

        @Override
        public void prepare(long fcb) {
            prepareFn.invokeVoid(new Object[] {fcb});
        }

        @Override
        public long resume(long fcb, long value) {
            return resumeFn.invokeLong(new Object[] {fcb, value});
        }

        @Override
        public long resumeCheckingRegisters(long fcb, long value, long seed) {
            return resumeRegistersFn.invokeLong(new Object[] {fcb, value, seed});
        }

        @Override
        public long resumeCheckingFpEnv(long fcb, long value, long env) {
            return resumeFpEnvFn.invokeLong(new Object[] {fcb, value, env});
        }

        @Override
        public long readFpEnv() {
            return readFpEnvFn.invokeLong(new Object[0]);
        }
    }

    /**
     * The hot entry points as JNI static natives. A library's {@value JniBinding#REGISTER_FUNCTION}
     * registers them (names and signatures in {@code fiberswitch.h}); each reaches the C entry of
     * the same meaning through a few instructions of assembly that drop {@code JNIEnv*} and
     * {@code jclass}.
     */
    static final class JniNatives {
        private JniNatives() {
        }

        static native long resume(long fcb, long value);

        static native void prepare(long fcb);

        static native long probeResumeRegisters(long fcb, long value, long seed);

        static native long probeResumeFpEnv(long fcb, long value, long env);

        static native long probeReadFpEnv();
    }

    /** The hot entry points through JNA direct mapping, bound to the first library that asks. */
    static final class DirectNatives {
        private static NativeLibrary owner;

        private DirectNatives() {
        }

        /** Binds these natives to {@code library} once; null when bound to it, else why not. */
        static synchronized String bind(NativeLibrary library) {
            if (owner == null) {
                try {
                    Native.register(DirectNatives.class, library);
                } catch (RuntimeException | LinkageError e) {
                    return "JNA direct mapping failed: " + e;
                }
                owner = library;
            }
            return owner == library ? null
                    : "JNA direct mapping is already bound to " + owner.getFile() + " in this JVM";
        }

        static native void fiberswitch_prepare(long fcb);

        static native long fiberswitch_resume(long fcb, long value);

        static native long fiberswitch_probe_resume_registers(long fcb, long value, long seed);

        static native long fiberswitch_probe_resume_fpenv(long fcb, long value, long env);

        static native long fiberswitch_probe_read_fpenv();
    }
}
