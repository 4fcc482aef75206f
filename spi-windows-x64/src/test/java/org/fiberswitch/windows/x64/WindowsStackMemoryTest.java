package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.LastErrorException;
import java.util.ArrayList;
import java.util.List;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackAllocationException;
import org.junit.jupiter.api.Test;

/** The VirtualAlloc calls a stack takes, recorded instead of made. */
class WindowsStackMemoryTest {
    private static final long BASE = 0x7_0000_0000L;
    private static final long PAGE = 4096;

    /** Records calls; fails the n-th VirtualAlloc when asked. */
    static final class Recorder implements WindowsStackMemory.VirtualMemory {
        final List<String> calls = new ArrayList<>();
        int failAlloc = -1;
        int allocs;

        @Override
        public long virtualAlloc(long address, long size, int type, int protect) {
            calls.add(String.format("alloc %x %x type=%x prot=%x", address, size, type, protect));
            if (allocs++ == failAlloc) {
                throw new LastErrorException(1455); // ERROR_COMMITMENT_LIMIT
            }
            return address == 0 ? BASE : address;
        }

        @Override
        public int virtualFree(long address, long size, int type) {
            calls.add(String.format("free %x %x type=%x", address, size, type));
            return 1;
        }
    }

    @Test
    void lazyStackReservesCommitsTheTopAndPlacesAGuardPage() {
        Recorder r = new Recorder();
        NativeStack s = new WindowsStackMemory(r).allocate(256 * 1024, true, false);
        long total = 256 * 1024 + PAGE;
        long top = BASE + total;
        long bottom = top - WindowsStackMemory.INITIAL_COMMIT;
        assertEquals(List.of(
                String.format("alloc 0 %x type=2000 prot=4", total),                  // reserve, PAGE_READWRITE
                String.format("alloc %x %x type=1000 prot=4", bottom, top - bottom),   // commit the top
                String.format("alloc %x 1000 type=1000 prot=104", bottom - PAGE)),     // PAGE_GUARD below it
                r.calls);
        assertEquals(new NativeStack(BASE, total, PAGE, false), s);
        assertEquals(BASE + PAGE, s.lowestUsable(), "the guard page stays reserved only");
    }

    @Test
    void eagerStackCommitsEverythingAboveTheGuardPage() {
        Recorder r = new Recorder();
        NativeStack s = new WindowsStackMemory(r).allocate(64 * 1024, true, true);
        assertEquals(List.of(
                String.format("alloc 0 %x type=2000 prot=4", 64 * 1024 + PAGE),
                String.format("alloc %x %x type=1000 prot=4", BASE + PAGE, 64 * 1024)),
                r.calls);
        assertTrue(s.committed());
    }

    @Test
    void aStackNoBiggerThanTheInitialCommitGetsNoGuardPageCommit() {
        Recorder r = new Recorder();
        new WindowsStackMemory(r).allocate(16 * 1024, true, false);
        assertEquals(2, r.calls.size(), r.calls.toString());
    }

    @Test
    void releaseFreesTheWholeReservation() {
        Recorder r = new Recorder();
        WindowsStackMemory m = new WindowsStackMemory(r);
        m.release(m.allocate(64 * 1024, false, true));
        assertEquals(String.format("free %x 0 type=8000", BASE), r.calls.get(r.calls.size() - 1));
    }

    @Test
    void aFailedCommitGivesTheReservationBackAndExplains() {
        Recorder r = new Recorder();
        r.failAlloc = 1;
        StackAllocationException e = assertThrows(StackAllocationException.class,
                () -> new WindowsStackMemory(r).allocate(64 * 1024, true, true));
        assertTrue(e.getMessage().contains("commit limit"), e.getMessage());
        assertEquals(String.format("free %x 0 type=8000", BASE), r.calls.get(r.calls.size() - 1));
    }

    @Test
    void aFailedReserveExplains() {
        Recorder r = new Recorder();
        r.failAlloc = 0;
        StackAllocationException e = assertThrows(StackAllocationException.class,
                () -> new WindowsStackMemory(r).allocate(64 * 1024, true, false));
        assertTrue(e.getMessage().contains("MEM_RESERVE"), e.getMessage());
        assertFalse(r.calls.stream().anyMatch(c -> c.startsWith("free")));
    }

    @Test
    void sizesMustBeWholePages() {
        WindowsStackMemory m = new WindowsStackMemory(new Recorder());
        assertThrows(IllegalArgumentException.class, () -> m.allocate(1000, true, false));
        assertThrows(IllegalArgumentException.class, () -> m.allocate(0, true, false));
        assertEquals(4096, m.pageSize());
    }
}
