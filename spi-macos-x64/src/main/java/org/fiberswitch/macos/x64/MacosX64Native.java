package org.fiberswitch.macos.x64;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.util.List;
import org.fiberswitch.spi.JniBinding;

/**
 * The native boundary of the macOS x86-64 provider, and the only class that touches it: the
 * assembly library {@code libfiberswitch.dylib} and the libc calls for stack memory, bound with JNA
 * direct mapping ({@link Native#register}), JNA's fastest call path, and the hot calls also as JNI
 * static natives ({@link Jni}), which skip JNA's dispatch. The dylib is the Linux port's
 * SysV assembly linked as Mach-O; its symbols carry Mach-O's leading underscore, which dlsym adds,
 * so the C names below are the same as on Linux.
 */
final class MacosX64Native {
    /** Library name; JNA maps it to {@code darwin-x86-64/libfiberswitch.dylib} on the class path. */
    static final String LIBRARY = "fiberswitch";

    /** JNA's resource prefix for this platform, where the jar carries the library. */
    static final String RESOURCE_PREFIX = "darwin-x86-64";

    /**
     * Every C symbol this provider binds or looks up, without Mach-O's underscore. The tests check
     * it against the dylib's exports trie and against the native methods below.
     */
    static final List<String> SYMBOLS = List.of(
            "fiberswitch_abi_version", "fiberswitch_layout", "fiberswitch_prepare", "fiberswitch_resume",
            "fiberswitch_yield", "fiberswitch_callback_stubs", "fiberswitch_probe_registers",
            "fiberswitch_probe_resume_registers", "fiberswitch_probe_fpenv", "fiberswitch_probe_resume_fpenv",
            "fiberswitch_probe_read_fpenv", "fiberswitch_probe_echo", "fiberswitch_probe_alignment", "fiberswitch_probe_callback",
            "fiberswitch_probe_recurse", JniBinding.REGISTER_FUNCTION);

    private static NativeLibrary library;

    private MacosX64Native() {
    }

    /** Loads and binds the library once. Throws what JNA throws when it cannot. */
    static synchronized NativeLibrary bind() {
        if (library == null) {
            NativeLibrary lib = NativeLibrary.getInstance(LIBRARY, MacosX64Native.class.getClassLoader());
            Native.register(MacosX64Native.class, lib);
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
            library = lib;
        }
        return library;
    }

    // The switch (spi-linux-x64/src/main/asm/fiberswitch_x86_64_sysv_gas.S, built for Mach-O).
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
     * {@code fiberswitch_jni_register} (see {@link JniBinding}); each reaches the C entry point of
     * the same meaning above through a few instructions of assembly.
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

    /**
     * Stack memory from libc, with the macOS (XNU) values of the constants, which differ from
     * Linux's: MAP_ANON is 0x1000 (Linux MAP_ANONYMOUS is 0x20) and _SC_PAGESIZE is 29 (Linux 30).
     * macOS has no MAP_STACK, MAP_GROWSDOWN or MAP_POPULATE, and anonymous memory is always
     * committed on first touch, so none is used.
     */
    static final class Libc {
        static final int PROT_NONE = 0;
        static final int PROT_READ = 1;
        static final int PROT_WRITE = 2;
        static final int MAP_PRIVATE = 0x02;
        static final int MAP_ANON = 0x1000;
        static final int SC_PAGESIZE = 29;

        private Libc() {
        }

        static native long mmap(long addr, long length, int prot, int flags, int fd, long offset)
                throws LastErrorException;

        static native int mprotect(long addr, long length, int prot) throws LastErrorException;

        static native int munmap(long addr, long length) throws LastErrorException;

        static native long sysconf(int name);
    }
}
