package org.fiberswitch.spi;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.util.Objects;
import java.util.Set;

/**
 * Fiber stacks from {@code mmap}, for every POSIX port (Linux and macOS, whatever the
 * architecture): one private anonymous read-write mapping per stack, with a {@code PROT_NONE}
 * guard page at the bottom when asked. Lazy stacks are committed page by page on first touch;
 * eager ones are committed up front ({@code MAP_POPULATE} where the OS has it, else one write per
 * page).
 *
 * <p>The OS calls go through {@link Mman}, so this logic can be tested with another OS's flag
 * values on any machine.
 */
public final class PosixStackMemory implements StackMemory {

    /** The libc memory calls, with the libc signatures; failures throw {@link LastErrorException}. */
    public interface Mman {
        long mmap(long addr, long length, int prot, int flags, int fd, long offset);

        int mprotect(long addr, long length, int prot);

        int munmap(long addr, long length);

        /** This machine's libc (Linux or macOS), bound with JNA direct mapping on first use. */
        static Mman libc() {
            return Libc.MMAN;
        }
    }

    /**
     * An OS's values of the mmap constants; 0 where the OS has no such flag.
     *
     * @param os          the OS's name, for messages
     * @param anonymous   {@code MAP_ANONYMOUS} / {@code MAP_ANON}
     * @param noReserve   {@code MAP_NORESERVE} for lazy stacks, or 0
     * @param populate    {@code MAP_POPULATE} for eager stacks, or 0 to touch each page instead
     * @param stack       {@code MAP_STACK}, or 0
     * @param scPageSize  {@code _SC_PAGESIZE} for {@code sysconf}
     */
    public record Flags(String os, int anonymous, int noReserve, int populate, int stack, int scPageSize) {
        /** Linux, on every architecture it runs fibers on (the generic mmap flag values). */
        public static final Flags LINUX = new Flags("Linux", 0x20, 0x4000, 0x8000, 0x20000, 30);
        /**
         * macOS (XNU): MAP_ANON is 0x1000 and _SC_PAGESIZE 29; there is no MAP_STACK or MAP_POPULATE,
         * and anonymous memory is always committed on first touch.
         */
        public static final Flags MACOS = new Flags("macOS", 0x1000, 0, 0, 0, 29);

        /**
         * This machine's flags.
         *
         * @throws UnsupportedOperationException on an OS that is neither Linux nor macOS
         */
        public static Flags thisOs() {
            if (Platform.isLinux()) {
                return LINUX;
            }
            if (Platform.isMac()) {
                return MACOS;
            }
            throw new UnsupportedOperationException("PosixStackMemory knows Linux and macOS; this JVM reports os.name="
                    + System.getProperty("os.name") + ": the port must bring its own StackMemory");
        }

        /** The page size sysconf reports on this machine, whose flags these must be. */
        public long pageSize() {
            return Libc.sysconf(scPageSize);
        }
    }

    static final int PROT_NONE = 0;
    /** {@code PROT_READ}, the same on Linux and macOS. */
    public static final int PROT_READ = 1;
    /** {@code PROT_WRITE}, the same on Linux and macOS. */
    public static final int PROT_WRITE = 2;
    /** {@code PROT_EXEC}, the same on Linux and macOS. */
    public static final int PROT_EXEC = 4;
    /** {@code MAP_PRIVATE}, the same on Linux and macOS. */
    public static final int MAP_PRIVATE = 0x02;

    private final long pageSize;
    private final Flags flags;
    private final Mman mman;

    /**
     * @throws IllegalArgumentException if {@code pageSize} is not a positive power of two
     */
    public PosixStackMemory(long pageSize, Flags flags, Mman mman) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " (sysconf(_SC_PAGESIZE = "
                    + flags.scPageSize() + ")) is not a power of two; is this really " + flags.os() + "?");
        }
        this.pageSize = pageSize;
        this.flags = Objects.requireNonNull(flags, "flags");
        this.mman = Objects.requireNonNull(mman, "mman");
    }

    /**
     * Stack memory from this machine's libc, with its OS's flags.
     *
     * @throws UnsupportedOperationException on an OS that is neither Linux nor macOS
     */
    public static PosixStackMemory forThisOs() {
        Flags flags = Flags.thisOs();
        return new PosixStackMemory(flags.pageSize(), flags, Libc.MMAN);
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of(Capability.GUARD_PAGES, Capability.LAZY_COMMIT);
    }

    @Override
    public NativeStack allocate(long size, boolean guardPage, boolean commitNow) {
        if (size <= 0 || size % pageSize != 0) {
            throw new IllegalArgumentException("stack size " + size + " is not a positive multiple of the page size "
                    + pageSize);
        }
        long guard = guardPage ? pageSize : 0;
        long total = size + guard;
        int mapFlags = MAP_PRIVATE | flags.anonymous() | flags.stack() | (commitNow ? flags.populate() : flags.noReserve());
        long base;
        try {
            base = mman.mmap(0, total, PROT_READ | PROT_WRITE, mapFlags, -1, 0);
        } catch (LastErrorException e) {
            throw new StackAllocationException("mmap of a " + total + "-byte fiber stack failed: " + e.getMessage()
                    + ". If the process has many live fibers it may have hit the OS's limit on mappings (on Linux"
                    + " vm.max_map_count; a guarded stack takes 2): close fibers you no longer need, or use"
                    + " guard-less stacks; otherwise memory is exhausted (check ulimit -v and cgroup limits)", e);
        }
        if (guardPage) {
            try {
                mman.mprotect(base, guard, PROT_NONE);
            } catch (LastErrorException e) {
                StackAllocationException failure = new StackAllocationException("mprotect of the guard page of a fiber"
                        + " stack failed: " + e.getMessage() + ". The process may have hit the OS's limit on mappings"
                        + " (on Linux vm.max_map_count); close fibers you no longer need or use guard-less stacks", e);
                try {
                    unmap(base, total);
                } catch (StackAllocationException cleanup) {
                    failure.addSuppressed(cleanup);
                }
                throw failure;
            }
        }
        if (commitNow && flags.populate() == 0) {
            // No MAP_POPULATE: a write faults each page in now, so the fiber takes no page faults later.
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

    @Override
    public String toString() {
        return "mmap stacks (" + flags.os() + ", " + pageSize + "-byte pages)";
    }

    /** libc through JNA direct mapping, bound on first use (so never on Windows). */
    static final class Libc {
        static final Mman MMAN = new Mman() {
            @Override
            public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
                return Libc.mmap(addr, length, prot, flags, fd, offset);
            }

            @Override
            public int mprotect(long addr, long length, int prot) {
                return Libc.mprotect(addr, length, prot);
            }

            @Override
            public int munmap(long addr, long length) {
                return Libc.munmap(addr, length);
            }
        };

        static {
            Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        private Libc() {
        }

        static native long mmap(long addr, long length, int prot, int flags, int fd, long offset)
                throws LastErrorException;

        static native int mprotect(long addr, long length, int prot) throws LastErrorException;

        static native int munmap(long addr, long length) throws LastErrorException;

        static native long sysconf(int name);
    }
}
