package org.fiberswitch;

/** Where a {@link Fiber} is in its life. */
public enum FiberState {
    /** Created; holds no stack yet. The first {@link Fiber#resume()} starts it. */
    NEW,
    /** Switched out at a yield or inside a callback; waits for the next resume. */
    SUSPENDED,
    /** A thread is inside {@link Fiber#resume()} and the fiber's native code runs. */
    RUNNING,
    /** Its function returned; {@link Fiber#result()} holds the value. Its stack is already released. */
    DONE,
    /** It could not be started (for example the OS refused its stack); see {@link Fiber#failure()}. */
    FAILED,
    /** Closed by {@link Fiber#close()} or by closing its runtime. */
    CLOSED
}
