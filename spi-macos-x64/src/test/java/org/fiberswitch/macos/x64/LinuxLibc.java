package org.fiberswitch.macos.x64;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/** Test-only: the Linux libc memory calls, with the Linux constants, for the harness that runs the dylib's code here. */
final class LinuxLibc {
    static final int PROT_NONE = 0;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int PROT_EXEC = 4;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int SC_PAGESIZE = 30;

    static {
        Native.register(LinuxLibc.class, NativeLibrary.getInstance("c"));
    }

    private LinuxLibc() {
    }

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    static native int mprotect(long addr, long length, int prot) throws LastErrorException;

    static native int munmap(long addr, long length) throws LastErrorException;

    static native long sysconf(int name);

    static native int mincore(long addr, long length, byte[] vec) throws LastErrorException;

    /**
     * {@link MacosStackMemory}'s calls carried out on Linux: the macOS flag values it passes are
     * checked, then translated (only MAP_ANON differs; PROT_* and MAP_PRIVATE are the same numbers).
     */
    static final class TranslatingMman implements MacosStackMemory.Mman {
        @Override
        public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
            int macos = MacosX64Native.Libc.MAP_PRIVATE | MacosX64Native.Libc.MAP_ANON;
            if (flags != macos || fd != -1 || offset != 0 || addr != 0) {
                throw new AssertionError("MacosStackMemory passed flags 0x" + Integer.toHexString(flags) + ", fd " + fd
                        + "; expected MAP_PRIVATE | MAP_ANON (0x1002) and fd -1");
            }
            return LinuxLibc.mmap(0, length, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        }

        @Override
        public int mprotect(long addr, long length, int prot) {
            return LinuxLibc.mprotect(addr, length, prot);
        }

        @Override
        public int munmap(long addr, long length) {
            return LinuxLibc.munmap(addr, length);
        }
    }
}
