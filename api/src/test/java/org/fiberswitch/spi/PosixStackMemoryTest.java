package org.fiberswitch.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PosixStackMemory}: first against a recording stand-in for libc (the exact calls with the
 * Linux and the macOS flags), then on real Linux memory (guard page, commit, release).
 */
class PosixStackMemoryTest {
    private static final long PAGE = 4096;
    private static final long BASE = 0x7000_0000_0000L;

    /** Records the calls; fails the ones it is told to. */
    static final class RecordingMman implements PosixStackMemory.Mman {
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
        NativeStack s = new PosixStackMemory(PAGE, PosixStackMemory.Flags.MACOS, os).allocate(64 * PAGE, true, false);
        assertEquals(List.of("mmap(0x0, 266240, 3, 0x1002, -1, 0)", "mprotect(0x700000000000, 4096, 0)"), os.calls);
        assertEquals(new NativeStack(BASE, 65 * PAGE, PAGE, false), s);
        assertEquals(BASE + PAGE, s.lowestUsable());
        assertEquals(BASE + 65 * PAGE - FiberControlBlock.SIZE, s.controlBlock());
    }

    @Test
    void unguardedStackHasNoMprotect() {
        RecordingMman os = new RecordingMman();
        NativeStack s = new PosixStackMemory(PAGE, PosixStackMemory.Flags.MACOS, os).allocate(4 * PAGE, false, false);
        assertEquals(List.of("mmap(0x0, 16384, 3, 0x1002, -1, 0)"), os.calls);
        assertEquals(new NativeStack(BASE, 4 * PAGE, 0, false), s);
    }

    @Test
    void releaseUnmapsTheWholeMapping() {
        RecordingMman os = new RecordingMman();
        PosixStackMemory m = new PosixStackMemory(PAGE, PosixStackMemory.Flags.MACOS, os);
        m.release(new NativeStack(BASE, 9 * PAGE, PAGE, false));
        assertEquals(List.of("munmap(0x700000000000, 36864)"), os.calls);
    }

    @Test
    void sizesMustBePositivePageMultiples() {
        PosixStackMemory m = new PosixStackMemory(PAGE, PosixStackMemory.Flags.MACOS, new RecordingMman());
        for (long bad : new long[] {0, -PAGE, PAGE + 1, PAGE / 2}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.allocate(bad, true, false));
            assertEquals("stack size " + bad + " is not a positive multiple of the page size 4096", e.getMessage());
        }
        PosixStackMemory big = new PosixStackMemory(16384, PosixStackMemory.Flags.MACOS, new RecordingMman());
        assertThrows(IllegalArgumentException.class, () -> big.allocate(PAGE, false, false), "4 KiB on 16 KiB pages");
    }

    @Test
    void pageSizeFromTheOsIsChecked() {
        assertEquals(16384, new PosixStackMemory(16384, PosixStackMemory.Flags.MACOS, new RecordingMman()).pageSize());
        for (long bad : new long[] {0, -1, 3000}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new PosixStackMemory(bad, PosixStackMemory.Flags.MACOS, new RecordingMman()));
            assertTrue(e.getMessage().startsWith("page size " + bad + " (sysconf(_SC_PAGESIZE = 29))"), e.getMessage());
        }
    }

    @Test
    void linuxFlagsAskForNoReserveOrPopulateAndAStack() {
        RecordingMman os = new RecordingMman();
        PosixStackMemory m = new PosixStackMemory(PAGE, PosixStackMemory.Flags.LINUX, os);
        m.allocate(4 * PAGE, true, false);
        m.allocate(4 * PAGE, false, true);
        assertEquals(List.of("mmap(0x0, 20480, 3, 0x24022, -1, 0)", "mprotect(0x700000000000, 4096, 0)",
                "mmap(0x0, 16384, 3, 0x28022, -1, 0)"), os.calls);
    }

    @Test
    void mmapFailureIsAStackAllocationExceptionWithAHint() {
        RecordingMman os = new RecordingMman();
        os.failMmap = true;
        StackAllocationException e = assertThrows(StackAllocationException.class,
                () -> new PosixStackMemory(PAGE, PosixStackMemory.Flags.MACOS, os).allocate(PAGE, true, false));
        assertTrue(e.getMessage().startsWith("mmap of a 8192-byte fiber stack failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("ulimit -v"), e.getMessage());
        assertEquals(1, os.calls.size());
    }

    @Test
    void mprotectFailureGivesTheMappingBack() {
        RecordingMman os = new RecordingMman();
        os.failMprotect = true;
        StackAllocationException e = assertThrows(StackAllocationException.class,
                () -> new PosixStackMemory(PAGE, PosixStackMemory.Flags.MACOS, os).allocate(2 * PAGE, true, false));
        assertTrue(e.getMessage().startsWith("mprotect of the guard page of a fiber stack failed: "), e.getMessage());
        assertEquals("munmap(0x700000000000, 12288)", os.calls.get(2));
    }

    // ---- on real memory (Linux, flags translated by LinuxLibc.TranslatingMman)

    /** The real libc, with mincore for residency checks. */
    static final class LinuxLibc {
        static {
            Native.register(LinuxLibc.class, NativeLibrary.getInstance("c"));
        }

        static native int mincore(long addr, long length, byte[] vec) throws LastErrorException;
    }

    private static void assumeLinux() {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"),
                "checks real memory through Linux mmap and /proc/self/maps");
    }

    /**
     * The memory under test on this machine, with Linux's flags. The macOS flag values run on real
     * memory in spi-macos-x64, where the kit drives the dylib's code on stacks made with them.
     */
    private static List<PosixStackMemory> real() {
        assumeLinux();
        return List.of(PosixStackMemory.forThisOs());
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
        for (PosixStackMemory m : real()) {
            guardPageAndRelease(m);
        }
    }

    private static void guardPageAndRelease(PosixStackMemory m) throws IOException {
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
        for (PosixStackMemory m : real()) {
            eagerAndLazy(m);
        }
    }

    private static void eagerAndLazy(PosixStackMemory m) {
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
