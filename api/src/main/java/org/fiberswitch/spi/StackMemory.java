package org.fiberswitch.spi;

import java.util.Set;

/**
 * Stack memory from the OS: mmap/mprotect/munmap on Linux and macOS, VirtualAlloc/VirtualProtect/
 * VirtualFree on Windows.
 */
public interface StackMemory {

    /** The OS page size; stack sizes are rounded up to it. */
    long pageSize();

    /**
     * Maps a stack whose usable part plus the FCB is {@code size} bytes (a page multiple), with a
     * guard page below it when asked.
     *
     * @param size      page-multiple bytes for the FCB plus the stack
     * @param guardPage add an inaccessible page at the bottom
     * @param commitNow commit every page now rather than on first touch
     * @throws StackAllocationException when the OS refuses, with its error and what to do
     */
    NativeStack allocate(long size, boolean guardPage, boolean commitNow);

    /** Returns a stack to the OS. */
    void release(NativeStack stack);

    /**
     * Which of {@link Capability#GUARD_PAGES} and {@link Capability#LAZY_COMMIT} this memory
     * provides; none by default.
     */
    default Set<Capability> capabilities() {
        return Set.of();
    }
}
