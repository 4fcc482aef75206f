package org.fiberswitch.testkit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import org.fiberswitch.spi.PosixStackMemory;

/** The libc memory calls the kit's code-copy helpers need, bound on first use (Linux and macOS). */
final class PosixLibc {
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int PROT_EXEC = 4;
    static final int MAP_PRIVATE = 2;
    /** This OS's mmap flag values. */
    static final PosixStackMemory.Flags FLAGS = Platform.isMac() ? PosixStackMemory.Flags.MACOS
            : PosixStackMemory.Flags.LINUX;

    static {
        Native.register(PosixLibc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private PosixLibc() {
    }

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    static native int mprotect(long addr, long length, int prot) throws LastErrorException;

    static native int munmap(long addr, long length) throws LastErrorException;

    static native long sysconf(int name);

    static long pageSize() {
        return sysconf(FLAGS.scPageSize());
    }
}
