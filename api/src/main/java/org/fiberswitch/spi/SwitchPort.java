package org.fiberswitch.spi;

import java.util.Set;

/**
 * The native entry points of a port, bound and ready. Every method here is a thin call into the
 * port's assembly library; the lifecycle, state checks and pooling around them live in the api
 * module and are shared by all ports.
 *
 * <p>Addresses are plain {@code long}s. A fiber is identified by the address of its control block
 * (see {@link FiberControlBlock}), which sits at the top of its stack mapping.
 */
public interface SwitchPort {

    /** The ABI version the native library reports; must equal {@link FiberControlBlock#ABI_VERSION}. */
    long abiVersion();

    /**
     * A constant the native library was assembled with, by index into
     * {@link FiberControlBlock#LAYOUT_NAMES}; {@code -1} past the end.
     */
    long layoutConstant(int index);

    /**
     * Builds the first frame of a fresh fiber below {@code FCB_STACK_HI}, so that the first
     * {@link #resume} enters the port's entry trampoline. The generic FCB fields are written first.
     */
    void prepare(long fcb);

    /** Switches onto the fiber; returns the value it yields, its callback's first capture, or its result. */
    long resume(long fcb, long value);

    /** Address of {@code fiberswitch_yield(handle, value)}, for native code that runs on fibers. */
    long yieldAddress();

    /** Address of the first callback stub; see {@link CallbackSupport}. */
    long callbackStubsAddress();

    /** The ABI facts the port's library states about itself. */
    AbiDescription abi();

    /** Which callback argument positions this port captures and where its user data may sit. */
    default CallbackSupport callbackSupport() {
        return abi().callbacks();
    }

    /** Stack memory from the OS. */
    StackMemory stackMemory();

    /** What this port can do beyond the required rules. */
    Set<Capability> capabilities();

    /** The ABI probes the conformance kit drives. */
    AbiProbes probes();

    /**
     * The address of one of the library's exported C functions by its C name (for example
     * {@code "fiberswitch_resume"}), so an accelerator can bind it another way; 0 if the port does
     * not expose it. The default exposes nothing.
     */
    default long entryPointAddress(String cName) {
        return 0L;
    }

    /**
     * How Java calls {@link #resume}: {@code "jni"} (static natives registered by
     * {@link JniBinding}), {@code "jna"} (JNA direct mapping), {@code "ffm"} (an FFM downcall), or
     * whatever name a port gives its own. It names report cells and benchmark runs. The default is
     * {@code "unnamed"}.
     */
    default String binding() {
        return "unnamed";
    }

    /**
     * Lets a port fill its own FCB slots ({@link FiberControlBlock#PORT}) before {@link #prepare};
     * Windows keeps the fiber's TEB stack fields there. The default does nothing.
     */
    default void initPortSlots(long fcb, NativeStack stack) {
    }
}
