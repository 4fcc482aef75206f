package org.fiberswitch.windows.x64;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The native boundary of the Windows x86-64 provider, and the only class that touches it: the
 * assembly library {@code fiberswitch.dll} and the kernel32 calls for stack memory, bound with JNA
 * direct mapping ({@link Native#register}), JNA's fastest call path, and the hot calls also as JNI
 * static natives ({@link Jni}), which skip JNA's dispatch. Win64 has a single calling convention
 * (JNICALL included), so no stdcall options are needed.
 */
final class WindowsX64Native {
    /** Library name; JNA maps it to {@code win32-x86-64/fiberswitch.dll} on the class path. */
    static final String LIBRARY = "fiberswitch";

    private static NativeLibrary library;

    private WindowsX64Native() {
    }

    /** Loads and binds the library once. Throws what JNA throws when it cannot. */
    static synchronized NativeLibrary bind() {
        if (library == null) {
            NativeLibrary lib = NativeLibrary.getInstance(LIBRARY, WindowsX64Native.class.getClassLoader());
            Native.register(WindowsX64Native.class, lib);
            Native.register(Kernel32.class, NativeLibrary.getInstance("kernel32"));
            library = lib;
        }
        return library;
    }

    // The switch (src/main/asm/fiberswitch_x86_64_ms_pe_gas.S).
    static native long fiberswitch_abi_version();

    static native long fiberswitch_layout(long index);

    static native void fiberswitch_prepare(long fcb);

    static native long fiberswitch_resume(long fcb, long value);

    // The ABI probes.
    static native long fiberswitch_probe_resume_registers(long fcb, long value, long seed);

    static native long fiberswitch_probe_resume_fpenv(long fcb, long value, long env);

    static native long fiberswitch_probe_read_fpenv();

    static native long fiberswitch_probe_read_teb(long field);

    /**
     * The hot calls as JNI static natives, registered by the DLL's {@code fiberswitch_jni_register}
     * (see {@link org.fiberswitch.spi.JniBinding}); each reaches the C entry point of the same
     * meaning above through a few instructions of assembly that drop {@code JNIEnv*} and
     * {@code jclass} (rcx, rdx), move the arguments down from r8, r9 and the stack slot above the
     * home space, and jump. The TEB work happens in the switch, so both bindings keep it.
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

    /** Stack memory from kernel32. */
    static final class Kernel32 {
        private Kernel32() {
        }

        static native long VirtualAlloc(long address, long size, int allocationType, int protect)
                throws LastErrorException;

        static native int VirtualFree(long address, long size, int freeType) throws LastErrorException;
    }
}
