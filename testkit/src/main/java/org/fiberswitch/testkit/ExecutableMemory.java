package org.fiberswitch.testkit;

import java.util.function.LongConsumer;

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
        long page = PosixLibc.pageSize();
        long rounded = (size + page - 1) / page * page;
        long base = PosixLibc.mmap(0, rounded, PosixLibc.PROT_READ | PosixLibc.PROT_WRITE,
                PosixLibc.MAP_PRIVATE | PosixLibc.FLAGS.anonymous(), -1, 0);
        fill.accept(base);
        PosixLibc.mprotect(base, rounded, PosixLibc.PROT_READ | PosixLibc.PROT_EXEC);
        return base;
    }
}
