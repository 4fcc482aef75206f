package org.fiberswitch;

/**
 * Computes a call fiber's arguments once its handle is known, for native APIs that take the
 * callback's user data as an argument of the call itself:
 *
 * <pre>{@code
 * runtime.newCall(qsortR, self -> new long[] {base, count, 8, comparator.address(), self});
 * }</pre>
 */
@FunctionalInterface
public interface FiberArguments {
    /**
     * @param self the fiber's handle (the address of its control block)
     * @return up to six integer/pointer arguments
     */
    long[] arguments(long self);
}
