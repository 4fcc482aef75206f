package org.fiberswitch.bench;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** The native callback loop in {@code libfsbench.so} (src/main/c/fsbench.c), JNA direct-mapped. */
final class FsBench {
    static final NativeLibrary LIBRARY = NativeLibrary.getInstance("fsbench", FsBench.class.getClassLoader());

    static {
        Native.register(FsBench.class, LIBRARY);
    }

    private FsBench() {
    }

    /** {@code long cb(long i, void *ud)}. */
    interface LoopCallback extends Callback {
        long invoke(long i, Pointer ud);
    }

    /** Calls {@code cb(i, ud)} for i in 0..n-1 and returns the sum of the replies. */
    static native long fsbench_loop(long n, LoopCallback cb, Pointer ud);

    /** A fiber on the candidate switch (bench/native/alt_switch.S) that echoes v + 1; its FCB. */
    static native long fsbench_alt_fiber();

    /** The candidate switch's resume. */
    static native long alt_resume(long fcb, long value);

    /** The address of {@code fsbench_loop}, for a call fiber. */
    static long loopAddress() {
        return Pointer.nativeValue(LIBRARY.getFunction("fsbench_loop"));
    }
}
