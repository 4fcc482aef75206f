package org.fiberswitch.windows.x64;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The Windows provider's own native boundary: the kernel32 calls for stack memory, bound with JNA
 * direct mapping on first use. The switch itself is bound by the shared
 * {@link org.fiberswitch.spi.NativePort}.
 */
final class Kernel32 {
    static {
        Native.register(Kernel32.class, NativeLibrary.getInstance("kernel32"));
    }

    private Kernel32() {
    }

    static native long VirtualAlloc(long address, long size, int allocationType, int protect)
            throws LastErrorException;

    static native int VirtualFree(long address, long size, int freeType) throws LastErrorException;
}
