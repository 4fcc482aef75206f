package org.fiberswitch.macos.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackAllocationException;
import org.junit.jupiter.api.Test;

/**
 * {@link MacosStackMemory}: first against a recording stand-in for libc (the exact calls and macOS
 * flags), then on real Linux memory with the flags translated (guard page, commit, release).
 */
class MacosStackMemoryTest {
    private static final long PAGE = 4096;
    private static final long BASE = 0x7000_0000_0000L;

    /** Records the calls; fails the ones it is told to. */
    static final class RecordingMman implements MacosStackMemory.Mman {
        final List<String> calls = new ArrayList<>();
        boolean failMmap;
        boolean failMprotect;

        @Override
        public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
            calls.add(String.format("mmap(0x%x, %d, %d, 0x%x, %d, %d)", addr, length, prot, flags, fd, offset));
            if (failMmap) {
                throw new LastErrorException(12);
            }
            return BASE;
        }

        @Override
        public int mprotect(long addr, long length, int prot) {
            calls.add(String.format("mprotect(0x%x, %d, %d)", addr, length, prot));
            if (failMprotect) {
                throw new LastErrorException(12);
            }
            return 0;
        }

        @Override
        public int munmap(long addr, long length) {
            calls.add(String.format("munmap(0x%x, %d)", addr, length));
            return 0;
        }
    }

    @Test
    void guardedStackIsOneMappingWithAProtNoneFirstPage() {
        RecordingMman os = new RecordingMman();
        NativeStack s = new MacosStackMemory(PAGE, os).allocate(64 * PAGE, true, false);
        assertEquals(List.of("mmap(0x0, 266240, 3, 0x1002, -1, 0)", "mprotect(0x700000000000, 4096, 0)"), os.calls);
        assertEquals(new NativeStack(BASE, 65 * PAGE, PAGE, false), s);
        assertEquals(BASE + PAGE, s.lowestUsable());
        assertEquals(BASE + 65 * PAGE - FiberControlBlock.SIZE, s.controlBlock());
    }

    @Test
    void unguardedStackHasNoMprotect() {
        RecordingMman os = new RecordingMman();
        NativeStack s = new MacosStackMemory(PAGE, os).allocate(4 * PAGE, false, false);
        assertEquals(List.of("mmap(0x0, 16384, 3, 0x1002, -1, 0)"), os.calls);
        assertEquals(new NativeStack(BASE, 4 * PAGE, 0, false), s);
    }

    @Test
    void releaseUnmapsTheWholeMapping() {
        RecordingMman os = new RecordingMman();
        MacosStackMemory m = new MacosStackMemory(PAGE, os);
        m.release(new NativeStack(BASE, 9 * PAGE, PAGE, false));
        assertEquals(List.of("munmap(0x700000000000, 36864)"), os.calls);
    }

    @Test
    void sizesMustBePositivePageMultiples() {
        MacosStackMemory m = new MacosStackMemory(PAGE, new RecordingMman());
        for (long bad : new long[] {0, -PAGE, PAGE + 1, PAGE / 2}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.allocate(bad, true, false));
            assertEquals("stack size " + bad + " is not a positive multiple of the page size 4096", e.getMessage());
        }
        MacosStackMemory big = new MacosStackMemory(16384, new RecordingMman());
        assertThrows(IllegalArgumentException.class, () -> big.allocate(PAGE, false, false), "4 KiB on 16 KiB pages");
    }

    @Test
    void pageSizeFromTheOsIsChecked() {
        assertEquals(4096, MacosStackMemory.checkedPageSize(4096));
        assertEquals(16384, MacosStackMemory.checkedPageSize(16384));
        for (long bad : new long[] {0, -1, 3000}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> MacosStackMemory.checkedPageSize(bad));
            assertTrue(e.getMessage().startsWith("sysconf(_SC_PAGESIZE = 29) returned " + bad), e.getMessage());
        }
    }

    @Test
    void mmapFailureIsAStackAllocationExceptionWithAHint() {
        RecordingMman os = new RecordingMman();
        os.failMmap = true;
        StackAllocationException e = assertThrows(StackAllocationException.class,
                () -> new MacosStackMemory(PAGE, os).allocate(PAGE, true, false));
        assertTrue(e.getMessage().startsWith("mmap of a 8192-byte fiber stack failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("ulimit -v"), e.getMessage());
        assertEquals(1, os.calls.size());
    }

    @Test
    void mprotectFailureGivesTheMappingBack() {
        RecordingMman os = new RecordingMman();
        os.failMprotect = true;
        StackAllocationException e = assertThrows(StackAllocationException.class,
                () -> new MacosStackMemory(PAGE, os).allocate(2 * PAGE, true, false));
        assertTrue(e.getMessage().startsWith("mprotect of the guard page of a fiber stack failed: "), e.getMessage());
        assertEquals("munmap(0x700000000000, 12288)", os.calls.get(2));
    }

    // ---- on real memory (Linux, flags translated by LinuxLibc.TranslatingMman)

    private static MacosStackMemory real() {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"),
                "checks real memory through Linux mmap and /proc/self/maps");
        return new MacosStackMemory(LinuxLibc.sysconf(LinuxLibc.SC_PAGESIZE), new LinuxLibc.TranslatingMman());
    }

    /** Permissions of the /proc/self/maps line that covers addr, e.g. "rw-p", or null. */
    private static String permsAt(long addr) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.split("\\s+");
            String[] range = f[0].split("-");
            if (Long.parseUnsignedLong(range[0], 16) <= addr && addr < Long.parseUnsignedLong(range[1], 16)) {
                return f[1];
            }
        }
        return null;
    }

    private static int residentPages(long addr, long length, long page) {
        byte[] vec = new byte[(int) (length / page)];
        LinuxLibc.mincore(addr, length, vec);
        int n = 0;
        for (byte b : vec) {
            n += b & 1;
        }
        return n;
    }

    @Test
    void realGuardPageIsInaccessibleTheStackReadWriteAndReleaseUnmaps() throws IOException {
        MacosStackMemory m = real();
        NativeStack s = m.allocate(16 * m.pageSize(), true, false);
        try {
            assertEquals("---p", permsAt(s.base()));
            assertEquals("rw-p", permsAt(s.lowestUsable()));
            assertEquals("rw-p", permsAt(s.base() + s.mappingSize() - 1));
        } finally {
            m.release(s);
        }
        // mincore fails with ENOMEM on a range that is no longer (wholly) mapped.
        LastErrorException gone = assertThrows(LastErrorException.class,
                () -> LinuxLibc.mincore(s.base(), s.mappingSize(), new byte[(int) (s.mappingSize() / m.pageSize())]));
        assertEquals(12, gone.getErrorCode(), "ENOMEM after release");
    }

    @Test
    void eagerCommitFaultsInEveryPageAndLazyNone() {
        MacosStackMemory m = real();
        long page = m.pageSize();
        NativeStack eager = m.allocate(32 * page, true, true);
        NativeStack lazy = m.allocate(32 * page, true, false);
        try {
            assertEquals(32, residentPages(eager.lowestUsable(), 32 * page, page));
            assertEquals(0, residentPages(lazy.lowestUsable(), 32 * page, page));
        } finally {
            m.release(eager);
            m.release(lazy);
        }
    }
}
