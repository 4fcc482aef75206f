package org.fiberswitch.testkit;

import java.util.function.LongConsumer;
import org.fiberswitch.spi.PosixStackMemory;

/**
 * Fresh memory that a port's code bytes are copied into and then run from, without the OS loader:
 * a Mach-O dylib's {@code __TEXT} on Linux, or a patched copy of a library for the kit's own
 * mutation tests. Position-independent code with no relocations runs wherever it lands. Linux and
 * macOS only.
 */
public final class ExecutableMemory {
    private ExecutableMemory() {
    }

    /**
     * Maps {@code size} bytes read-write, lets {@code fill} write the code at the base address it is
     * given, then makes the whole mapping read+execute (code never stays writable). The mapping
     * lives as long as the JVM.
     *
     * @return the base address
     */
    public static long map(long size, LongConsumer fill) {
        PosixStackMemory.Flags flags = PosixStackMemory.Flags.thisOs();
        PosixStackMemory.Mman libc = PosixStackMemory.Mman.libc();
        long page = flags.pageSize();
        long rounded = (size + page - 1) / page * page;
        long base = libc.mmap(0, rounded, PosixStackMemory.PROT_READ | PosixStackMemory.PROT_WRITE,
                PosixStackMemory.MAP_PRIVATE | flags.anonymous(), -1, 0);
        fill.accept(base);
        libc.mprotect(base, rounded, PosixStackMemory.PROT_READ | PosixStackMemory.PROT_EXEC);
        return base;
    }
}
