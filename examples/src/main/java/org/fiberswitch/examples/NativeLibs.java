package org.fiberswitch.examples;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** Loads the system libraries the recipes bind, by their runtime soname first (no -dev package needed). */
final class NativeLibs {
    private NativeLibs() {
    }

    /**
     * The first of {@code names} that loads. The soname ({@code libsqlite3.so.0}) is what Debian's
     * runtime package installs; the short name ({@code sqlite3}) also finds a -dev symlink.
     */
    static NativeLibrary load(String... names) {
        UnsatisfiedLinkError first = null;
        for (String name : names) {
            try {
                return NativeLibrary.getInstance(name);
            } catch (UnsatisfiedLinkError e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("none of " + String.join(", ", names)
                + " could be loaded; install the library's runtime package (Debian: libsqlite3-0, libexpat1,"
                + " libcurl4)");
        e.initCause(first);
        throw e;
    }

    /** The address of {@code symbol}, for a fiber to call. */
    static long address(NativeLibrary lib, String symbol) {
        return Pointer.nativeValue(lib.getFunction(symbol));
    }

    static Function function(NativeLibrary lib, String symbol) {
        return lib.getFunction(symbol);
    }
}
