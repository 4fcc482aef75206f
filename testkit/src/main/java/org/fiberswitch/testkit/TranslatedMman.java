package org.fiberswitch.testkit;

import org.fiberswitch.spi.PosixStackMemory;

/**
 * {@link PosixStackMemory}'s calls made with another POSIX OS's flag values (macOS's, say), checked
 * against those values and carried out with this OS's, so that a port's stack memory logic for
 * that OS runs here: the kit can then drive that port's code bytes (mapped with
 * {@link ExecutableMemory}) on stacks made exactly as they would be there.
 */
public final class TranslatedMman implements PosixStackMemory.Mman {
    private final PosixStackMemory.Flags from;
    private final PosixStackMemory.Flags to;

    /** Translates {@code from}'s values to this OS's (Linux or macOS). */
    public TranslatedMman(PosixStackMemory.Flags from) {
        this.from = from;
        this.to = PosixStackMemory.Flags.thisOs();
    }

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        int known = PosixStackMemory.MAP_PRIVATE | from.anonymous() | from.stack() | from.noReserve() | from.populate();
        if ((flags & ~known) != 0 || (flags & (PosixStackMemory.MAP_PRIVATE | from.anonymous())) != (PosixStackMemory.MAP_PRIVATE | from.anonymous())
                || fd != -1 || offset != 0 || addr != 0) {
            throw new AssertionError("PosixStackMemory passed flags 0x" + Integer.toHexString(flags) + ", fd " + fd
                    + ", which are not " + from.os() + "'s private anonymous mapping");
        }
        int mapped = PosixStackMemory.MAP_PRIVATE | to.anonymous()
                | ((flags & from.stack()) != 0 && from.stack() != 0 ? to.stack() : 0)
                | ((flags & from.noReserve()) != 0 && from.noReserve() != 0 ? to.noReserve() : 0)
                | ((flags & from.populate()) != 0 && from.populate() != 0 ? to.populate() : 0);
        return PosixStackMemory.Mman.libc().mmap(0, length, prot, mapped, -1, 0);
    }

    @Override
    public int mprotect(long addr, long length, int prot) {
        return PosixStackMemory.Mman.libc().mprotect(addr, length, prot);
    }

    @Override
    public int munmap(long addr, long length) {
        return PosixStackMemory.Mman.libc().munmap(addr, length);
    }

    /** This OS's page size. */
    public static long pageSize() {
        return PosixStackMemory.Flags.thisOs().pageSize();
    }
}
