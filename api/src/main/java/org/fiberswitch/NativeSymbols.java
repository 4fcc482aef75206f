package org.fiberswitch;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** Finds the address of a native function, for {@link FiberRuntime#newCall(long, long...)}. */
public final class NativeSymbols {
    private NativeSymbols() {
    }

    /**
     * The address of {@code symbol} in {@code library}, loaded the way JNA loads libraries
     * ({@code "c"} is the C library).
     *
     * @throws IllegalArgumentException if the library or symbol cannot be found
     */
    public static long address(String library, String symbol) {
        try {
            return Pointer.nativeValue(NativeLibrary.getInstance(library).getFunction(symbol));
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalArgumentException("cannot find native symbol '" + symbol + "' in library '"
                    + library + "': " + e.getMessage(), e);
        }
    }
}
