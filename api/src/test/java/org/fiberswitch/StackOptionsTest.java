package org.fiberswitch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.NativeStack;
import org.junit.jupiter.api.Test;

class StackOptionsTest {

    @Test
    void defaultsAreDocumented() {
        StackOptions d = StackOptions.defaults();
        assertEquals(256 * 1024, d.size());
        assertTrue(d.guardPage());
        assertEquals(StackOptions.Commit.LAZY, d.commit());
        assertTrue(d.pooled());
    }

    @Test
    void limitsAreEnforcedInclusive() {
        assertEquals(StackOptions.MIN_SIZE, StackOptions.defaults().withSize(StackOptions.MIN_SIZE).size());
        assertEquals(StackOptions.MAX_SIZE, StackOptions.defaults().withSize(StackOptions.MAX_SIZE).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StackOptions.defaults().withSize(StackOptions.MAX_SIZE + 1));
        assertTrue(e.getMessage().contains("1 GiB"), e.getMessage());
        assertThrows(NullPointerException.class, () -> StackOptions.defaults().withCommit(null));
    }

    @Test
    void isAValue() {
        StackOptions a = StackOptions.defaults().withSize(65536).withGuardPage(false);
        StackOptions b = StackOptions.defaults().withGuardPage(false).withSize(65536);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, a.withPooling(false));
        assertFalse(a.guardPage());
    }

    @Test
    void nativeStackGeometry() {
        NativeStack s = new NativeStack(0x10000, 0x5000, 0x1000, false);
        assertEquals(0x11000, s.lowestUsable());
        assertEquals(0x15000 - FiberControlBlock.SIZE, s.controlBlock());
        assertEquals(0x4000 - FiberControlBlock.SIZE, s.usableSize());
    }

    @Test
    void stubIdsMatchTheHeader() {
        assertEquals(0, FiberControlBlock.stubId(0, 0, false));
        assertEquals(1, FiberControlBlock.stubId(0, 0, true));
        assertEquals(2 * 3 + 1, FiberControlBlock.stubId(0, 3, true));
        assertEquals(FiberControlBlock.STUB_COUNT - 1, FiberControlBlock.stubId(15, 7, true));
    }
}
