package org.fiberswitch.windows.x64;

import java.util.Locale;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.NativeStack;

/**
 * How a fiber's TEB stack fields are set while it runs. The switch carries each side's values in
 * its own switch frame and writes them (only when they differ) on every switch, so the thread gets
 * its own back whenever control returns to its stack, on whichever thread that is. What differs
 * between the modes is only the values a fiber starts with, written into FCB_PORT slots 0-4 and
 * copied into the first frame by {@code fiberswitch_prepare}.
 */
enum TebMode {
    /**
     * The fiber's real bounds: StackBase = its stack top, StackLimit = its lowest committed byte,
     * DeallocationStack = its allocation base. Lazy stacks grow through the OS guard page as thread
     * stacks do, and {@code __chkstk}, SEH and GetCurrentThreadStackLimits see the truth.
     */
    FULL,
    /**
     * The StackLimit trick, for fully committed stacks: StackLimit = DeallocationStack = 0 and
     * StackBase = the top of user space, the same for every fiber. {@code __chkstk} never probes,
     * SEH accepts frames on any fiber, and a switch between two such fibers finds nothing to
     * write. Code on the fiber that asks for its stack bounds gets the whole address space.
     */
    STACK_LIMIT;

    /** System property that forces {@link #FULL} for committed stacks too: {@code full}. */
    static final String PROPERTY = "fiberswitch.windows.teb";

    /** StackBase in {@link #STACK_LIMIT} mode: one past the highest user address on Windows x64. */
    static final long TRICK_STACK_BASE = 0x7FFF_FFFF_0000L;
    /** StackLimit and DeallocationStack in {@link #STACK_LIMIT} mode. */
    static final long TRICK_STACK_LIMIT = 0L;
    /** TEB ExceptionList of a fresh fiber: the empty chain, as CreateFiber sets it (Wine walks it). */
    static final long EMPTY_EXCEPTION_LIST = -1L;

    /** FCB_PORT slot indexes, as fiberswitch_prepare reads them. */
    static final int SLOT_STACK_BASE = 0;
    static final int SLOT_STACK_LIMIT = 1;
    static final int SLOT_DEALLOCATION_STACK = 2;
    static final int SLOT_FIBER_DATA = 3;
    static final int SLOT_EXCEPTION_LIST = 4;
    static final int SLOTS = 5;

    /**
     * The mode for a stack: committed stacks use the trick unless {@code property} is {@code full};
     * lazily committed stacks always need the full mode, since the OS grows them through the TEB.
     *
     * @throws IllegalArgumentException for a property value other than {@code full}, {@code trick}
     *     or unset
     */
    static TebMode forStack(NativeStack stack, String property) {
        String p = property == null ? "" : property.trim().toLowerCase(Locale.ROOT);
        if (!p.isEmpty() && !p.equals("full") && !p.equals("trick")) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + property
                    + " is not understood; use 'full' (every fiber gets its real TEB stack bounds) or 'trick'"
                    + " (the default: fully committed stacks use the StackLimit trick)");
        }
        return stack.committed() && !p.equals("full") ? STACK_LIMIT : FULL;
    }

    /** The FCB_PORT slot values (StackBase, StackLimit, DeallocationStack, FiberData, ExceptionList). */
    long[] slots(NativeStack stack) {
        long[] s = new long[SLOTS];
        if (this == FULL) {
            s[SLOT_STACK_BASE] = stack.controlBlock();
            s[SLOT_STACK_LIMIT] = stack.committed() ? stack.lowestUsable()
                    : WindowsStackMemory.initialCommitBottom(stack);
            s[SLOT_DEALLOCATION_STACK] = stack.base();
        } else {
            if (!stack.committed()) {
                throw new IllegalStateException("the StackLimit trick needs a fully committed stack");
            }
            s[SLOT_STACK_BASE] = TRICK_STACK_BASE;
            s[SLOT_STACK_LIMIT] = TRICK_STACK_LIMIT;
            s[SLOT_DEALLOCATION_STACK] = TRICK_STACK_LIMIT;
        }
        s[SLOT_FIBER_DATA] = 0L;
        s[SLOT_EXCEPTION_LIST] = EMPTY_EXCEPTION_LIST;
        return s;
    }

    /** Byte offset of slot {@code i} in the FCB. */
    static int slotOffset(int i) {
        return FiberControlBlock.PORT + 8 * i;
    }
}
