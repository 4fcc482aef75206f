package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.NativeStack;
import org.junit.jupiter.api.Test;

/** The TEB values a fresh fiber starts with, computed for given stacks. */
class TebModeTest {
    private static final long BASE = 0x0000_0200_0000_0000L;
    private static final long PAGE = WindowsStackMemory.PAGE_SIZE;
    private static final long MIB = 1 << 20;

    private static NativeStack lazy() {
        return new NativeStack(BASE, MIB + PAGE, PAGE, false);
    }

    private static NativeStack eager() {
        return new NativeStack(BASE, MIB + PAGE, PAGE, true);
    }

    @Test
    void lazyStacksGetTheirRealBounds() {
        NativeStack s = lazy();
        assertEquals(TebMode.FULL, TebMode.forStack(s, null));
        long top = BASE + MIB + PAGE;
        assertArrayEquals(new long[] {
            top - FiberControlBlock.SIZE,                 // StackBase: the FCB, where the stack starts
            top - WindowsStackMemory.INITIAL_COMMIT,      // StackLimit: lowest committed byte
            BASE,                                         // DeallocationStack: the allocation base
            0L,                                           // FiberData: not a Windows fiber
            -1L                                           // ExceptionList: empty chain
        }, TebMode.FULL.slots(s));
    }

    @Test
    void lazyStacksNeverUseTheTrickEvenWhenAsked() {
        assertEquals(TebMode.FULL, TebMode.forStack(lazy(), "trick"));
        assertThrows(IllegalStateException.class, () -> TebMode.STACK_LIMIT.slots(lazy()));
    }

    @Test
    void committedStacksUseTheStackLimitTrick() {
        NativeStack s = eager();
        assertEquals(TebMode.STACK_LIMIT, TebMode.forStack(s, null));
        assertEquals(TebMode.STACK_LIMIT, TebMode.forStack(s, " Trick "));
        long[] slots = TebMode.STACK_LIMIT.slots(s);
        assertArrayEquals(new long[] {0x7FFF_FFFF_0000L, 0L, 0L, 0L, -1L}, slots);
        // every trick fiber carries the same values, which is what lets fiber-to-fiber switches skip
        NativeStack other = new NativeStack(BASE + 64 * MIB, 16 * 1024 + PAGE, PAGE, true);
        assertArrayEquals(slots, TebMode.STACK_LIMIT.slots(other));
    }

    @Test
    void thePropertyForcesFullBoundsOnCommittedStacks() {
        NativeStack s = eager();
        assertEquals(TebMode.FULL, TebMode.forStack(s, "full"));
        long[] slots = TebMode.FULL.slots(s);
        assertEquals(s.controlBlock(), slots[TebMode.SLOT_STACK_BASE]);
        assertEquals(s.lowestUsable(), slots[TebMode.SLOT_STACK_LIMIT], "all committed down to the guard page");
        assertEquals(BASE, slots[TebMode.SLOT_DEALLOCATION_STACK]);
    }

    @Test
    void anUnknownPropertyValueIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TebMode.forStack(eager(), "fast"));
        assertTrue(e.getMessage().contains(TebMode.PROPERTY), e.getMessage());
    }

    @Test
    void smallLazyStacksAreCommittedWhole() {
        // 16 KiB is the api's minimum: the initial commit cannot reach below the guard page
        NativeStack s = new NativeStack(BASE, 8 * 1024 + PAGE, PAGE, false);
        assertEquals(s.lowestUsable(), TebMode.FULL.slots(s)[TebMode.SLOT_STACK_LIMIT]);
    }

    @Test
    void slotsSitInThePortAreaOfTheFcb() {
        assertEquals(FiberControlBlock.PORT, TebMode.slotOffset(0));
        assertEquals(FiberControlBlock.PORT + 0x20, TebMode.slotOffset(TebMode.SLOT_EXCEPTION_LIST));
        assertTrue(TebMode.slotOffset(TebMode.SLOTS - 1) < FiberControlBlock.PORT + 8 * FiberControlBlock.PORT_SLOTS);
    }
}
