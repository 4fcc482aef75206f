package org.fiberswitch.macos.x64;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackAllocationException;
import org.fiberswitch.spi.StackMemory;

/**
 * Fiber stacks from mmap with the macOS flags: {@code MAP_PRIVATE | MAP_ANON}, read-write, and a
 * {@code PROT_NONE} guard page at the bottom when asked. macOS has no {@code MAP_POPULATE}, so an
 * eager commit writes one byte per page. The three libc calls go through {@link Mman} so that this
 * logic, which is the same on any OS, can be tested where there is no macOS.
 */
final class MacosStackMemory implements StackMemory {

    /** The libc memory calls, with the libc signatures. */
    interface Mman {
        long mmap(long addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

        int mprotect(long addr, long length, int prot) throws LastErrorException;

        int munmap(long addr, long length) throws LastErrorException;

        /** The real calls, through {@link MacosX64Native.Libc}. */
        static Mman libc() {
            return new Mman() {
                @Override
                public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
                    return MacosX64Native.Libc.mmap(addr, length, prot, flags, fd, offset);
                }

                @Override
                public int mprotect(long addr, long length, int prot) {
                    return MacosX64Native.Libc.mprotect(addr, length, prot);
                }

                @Override
                public int munmap(long addr, long length) {
                    return MacosX64Native.Libc.munmap(addr, length);
                }
            };
        }
    }

    private final long pageSize;
    private final Mman mman;

    MacosStackMemory(long pageSize, Mman mman) {
        this.pageSize = checkedPageSize(pageSize);
        this.mman = mman;
    }

    /**
     * The OS page size, checked: 4 KiB on Intel Macs and for x86-64 processes under Rosetta 2.
     *
     * @throws IllegalStateException if the OS reported something that is not a positive power of two
     */
    static long checkedPageSize(long fromOs) {
        if (fromOs <= 0 || Long.bitCount(fromOs) != 1) {
            throw new IllegalStateException("sysconf(_SC_PAGESIZE = " + MacosX64Native.Libc.SC_PAGESIZE
                    + ") returned " + fromOs + ", not a page size; is this really macOS?");
        }
        return fromOs;
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public NativeStack allocate(long size, boolean guardPage, boolean commitNow) {
        if (size <= 0 || size % pageSize != 0) {
            throw new IllegalArgumentException("stack size " + size + " is not a positive multiple of the page size "
                    + pageSize);
        }
        long guard = guardPage ? pageSize : 0;
        long total = size + guard;
        long base;
        try {
            base = mman.mmap(0, total, MacosX64Native.Libc.PROT_READ | MacosX64Native.Libc.PROT_WRITE,
                    MacosX64Native.Libc.MAP_PRIVATE | MacosX64Native.Libc.MAP_ANON, -1, 0);
        } catch (LastErrorException e) {
            throw new StackAllocationException("mmap of a " + total + "-byte fiber stack failed: " + e.getMessage()
                    + ". Memory or address space is exhausted: close fibers you no longer need, use smaller"
                    + " stacks, or check the process limits (ulimit -v)", e);
        }
        if (guardPage) {
            try {
                mman.mprotect(base, guard, MacosX64Native.Libc.PROT_NONE);
            } catch (LastErrorException e) {
                unmap(base, total);
                throw new StackAllocationException("mprotect of the guard page of a fiber stack failed: "
                        + e.getMessage() + "; use guard-less stacks if this persists", e);
            }
        }
        if (commitNow) {
            // Writing a zero faults each page in now, so the fiber takes no page faults later.
            Pointer p = new Pointer(base);
            for (long off = guard; off < total; off += pageSize) {
                p.setByte(off, (byte) 0);
            }
        }
        return new NativeStack(base, total, guard, commitNow);
    }

    @Override
    public void release(NativeStack stack) {
        unmap(stack.base(), stack.mappingSize());
    }

    private void unmap(long base, long length) {
        try {
            mman.munmap(base, length);
        } catch (LastErrorException e) {
            throw new StackAllocationException("munmap of a fiber stack at 0x" + Long.toHexString(base)
                    + " failed: " + e.getMessage(), e);
        }
    }
}
