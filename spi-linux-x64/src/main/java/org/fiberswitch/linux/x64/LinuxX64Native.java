package org.fiberswitch.linux.x64;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The native boundary of the Linux x86-64 provider, and the only class that touches it: the
 * assembly library {@code libfiberswitch.so} and the three libc calls for stack memory, bound with
 * JNA direct mapping ({@link Native#register}), JNA's fastest call path, and the hot calls also
 * as JNI static natives ({@link Jni}), which skip JNA's dispatch.
 */
final class LinuxX64Native {
    /** Library name; JNA maps it to {@code linux-x86-64/libfiberswitch.so} on the class path. */
    static final String LIBRARY = "fiberswitch";

    private static NativeLibrary library;

    private LinuxX64Native() {
    }

    /** Loads and binds the library once. Throws what JNA throws when it cannot. */
    static synchronized NativeLibrary bind() {
        if (library == null) {
            NativeLibrary lib = NativeLibrary.getInstance(LIBRARY, LinuxX64Native.class.getClassLoader());
            Native.register(LinuxX64Native.class, lib);
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
            library = lib;
        }
        return library;
    }

    // The switch (src/main/asm/fiberswitch_x86_64_sysv_gas.S).
    static native long fiberswitch_abi_version();

    static native long fiberswitch_layout(long index);

    static native void fiberswitch_prepare(long fcb);

    static native long fiberswitch_resume(long fcb, long value);

    // The ABI probes.
    static native long fiberswitch_probe_resume_registers(long fcb, long value, long seed);

    static native long fiberswitch_probe_resume_fpenv(long fcb, long value, long env);

    static native long fiberswitch_probe_read_fpenv();

    /**
     * The hot calls as JNI static natives, registered by the library's
     * {@code fiberswitch_jni_register} (see {@link org.fiberswitch.spi.JniBinding}); each reaches
     * the C entry point of the same meaning above through a few instructions of assembly.
     */
    static final class Jni {
        private Jni() {
        }

        static native long resume(long fcb, long value);

        static native void prepare(long fcb);

        static native long probeResumeRegisters(long fcb, long value, long seed);

        static native long probeResumeFpEnv(long fcb, long value, long env);

        static native long probeReadFpEnv();
    }

    /** Stack memory from libc. */
    static final class Libc {
        static final int PROT_NONE = 0;
        static final int PROT_READ = 1;
        static final int PROT_WRITE = 2;
        static final int MAP_PRIVATE = 0x02;
        static final int MAP_ANONYMOUS = 0x20;
        static final int MAP_NORESERVE = 0x4000;
        static final int MAP_POPULATE = 0x8000;
        static final int MAP_STACK = 0x20000;
        static final int SC_PAGESIZE = 30;

        private Libc() {
        }

        static native long mmap(long addr, long length, int prot, int flags, int fd, long offset)
                throws LastErrorException;

        static native int mprotect(long addr, long length, int prot) throws LastErrorException;

        static native int munmap(long addr, long length) throws LastErrorException;

        static native long sysconf(int name);
    }
}
