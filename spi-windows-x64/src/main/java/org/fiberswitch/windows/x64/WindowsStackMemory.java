package org.fiberswitch.windows.x64;

import com.sun.jna.LastErrorException;
import java.util.Set;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.StackAllocationException;
import org.fiberswitch.spi.StackMemory;

/**
 * Fiber stacks from VirtualAlloc, shaped like a Windows thread stack so that the OS and the TEB
 * agree about them:
 *
 * <pre>
 *  base                                                                   base + mappingSize
 *  | guard page | reserved ......... | PAGE_GUARD | committed (INITIAL_COMMIT) ... FCB |
 *    (reserved only: any touch faults)   (lazy: the OS moves it down and updates TEB StackLimit)
 * </pre>
 *
 * The whole mapping is reserved with {@code PAGE_READWRITE} rather than {@code PAGE_NOACCESS} (a
 * Wine 8 quirk; Windows accepts either, and the Wine harness reserves the same way). A lazy stack
 * commits its top {@link #INITIAL_COMMIT} bytes and
 * one {@code PAGE_GUARD} page below them; the OS grows it page by page, as for a thread stack,
 * because the switch gives the fiber its own TEB StackBase / StackLimit / DeallocationStack (the
 * "full" TEB mode). An eager stack commits everything above the guard page, which is what the
 * StackLimit trick needs. The guard page is never committed, so no VirtualProtect is needed: a
 * reserved page already faults on any access. The kernel32 calls go through {@link VirtualMemory}
 * so this logic can be tested where there is no Windows.
 */
final class WindowsStackMemory implements StackMemory {
    static final int MEM_COMMIT = 0x1000;
    static final int MEM_RESERVE = 0x2000;
    static final int MEM_RELEASE = 0x8000;
    static final int PAGE_READWRITE = 0x04;
    static final int PAGE_GUARD = 0x100;

    /** Windows x64 pages are always 4 KiB. */
    static final long PAGE_SIZE = 4096;

    /** Bytes committed up front at the top of a lazy stack: the FCB page and the first frames. */
    static final long INITIAL_COMMIT = 16 * 1024;

    /** The kernel32 memory calls, with their Win32 signatures. */
    interface VirtualMemory {
        long virtualAlloc(long address, long size, int allocationType, int protect) throws LastErrorException;

        int virtualFree(long address, long size, int freeType) throws LastErrorException;

        /** The real calls, through {@link Kernel32}. */
        static VirtualMemory kernel32() {
            return new VirtualMemory() {
                @Override
                public long virtualAlloc(long address, long size, int allocationType, int protect) {
                    return Kernel32.VirtualAlloc(address, size, allocationType, protect);
                }

                @Override
                public int virtualFree(long address, long size, int freeType) {
                    return Kernel32.VirtualFree(address, size, freeType);
                }
            };
        }
    }

    private final VirtualMemory vm;

    WindowsStackMemory(VirtualMemory vm) {
        this.vm = vm;
    }

    @Override
    public long pageSize() {
        return PAGE_SIZE;
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of(Capability.GUARD_PAGES, Capability.LAZY_COMMIT);
    }

    /** Lowest committed address of a freshly allocated lazy stack (everything above is committed). */
    static long initialCommitBottom(NativeStack stack) {
        long top = stack.base() + stack.mappingSize();
        return Math.max(stack.lowestUsable(), top - INITIAL_COMMIT);
    }

    @Override
    public NativeStack allocate(long size, boolean guardPage, boolean commitNow) {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("stack size " + size + " is not a positive multiple of the page size "
                    + PAGE_SIZE);
        }
        long guard = guardPage ? PAGE_SIZE : 0;
        long total = size + guard;
        long base;
        try {
            base = vm.virtualAlloc(0, total, MEM_RESERVE, PAGE_READWRITE);
        } catch (LastErrorException e) {
            throw new StackAllocationException("VirtualAlloc(MEM_RESERVE) of a " + total + "-byte fiber stack failed: "
                    + e.getMessage() + ". The address space or the commit limit is exhausted: close fibers you no"
                    + " longer need or use smaller stacks", e);
        }
        NativeStack stack = new NativeStack(base, total, guard, commitNow);
        long top = base + total;
        try {
            if (commitNow) {
                vm.virtualAlloc(base + guard, size, MEM_COMMIT, PAGE_READWRITE);
            } else {
                long bottom = initialCommitBottom(stack);
                vm.virtualAlloc(bottom, top - bottom, MEM_COMMIT, PAGE_READWRITE);
                // The OS grows the stack from this page down, while TEB StackLimit says so.
                if (bottom - PAGE_SIZE >= stack.lowestUsable()) {
                    vm.virtualAlloc(bottom - PAGE_SIZE, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
                }
            }
        } catch (LastErrorException e) {
            free(base);
            throw new StackAllocationException("VirtualAlloc(MEM_COMMIT) of a fiber stack failed: " + e.getMessage()
                    + ". The system commit limit (RAM + page file) is exhausted: use lazily committed (LAZY) or"
                    + " smaller stacks, or close fibers you no longer need", e);
        }
        return stack;
    }

    @Override
    public void release(NativeStack stack) {
        free(stack.base());
    }

    private void free(long base) {
        try {
            // MEM_RELEASE takes size 0 and gives back the whole reservation, committed or not.
            vm.virtualFree(base, 0, MEM_RELEASE);
        } catch (LastErrorException e) {
            throw new StackAllocationException("VirtualFree of a fiber stack at 0x" + Long.toHexString(base)
                    + " failed: " + e.getMessage(), e);
        }
    }
}
