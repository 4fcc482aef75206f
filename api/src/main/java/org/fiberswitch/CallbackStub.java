package org.fiberswitch;

/**
 * A native function pointer to give native code in place of a callback. When native code running
 * on a fiber calls it, the fiber suspends and {@link Fiber#resume(long)} returns a
 * {@link CallbackEvent} with the callback's arguments; the reply becomes the callback's return
 * value.
 *
 * <p>The stub finds its fiber through the callback's user-data argument, which must be the fiber's
 * {@link Fiber#handle() handle} and sit at {@link #userDataPosition()} among the integer/pointer
 * arguments. A stub called with anything else there, or from a stack that is not that fiber's,
 * stops the process at once (an illegal instruction) rather than switch to a wrong stack.
 *
 * @param address          the function pointer
 * @param userDataPosition integer argument position of the user data (the fiber handle)
 * @param returns          how the reply is returned
 * @param tag              tells callbacks of the same fiber apart (0 .. tags-1)
 */
public record CallbackStub(long address, int userDataPosition, CallbackReturn returns, int tag) {
}
