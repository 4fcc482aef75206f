package org.fiberswitch.spi;

/** Optional abilities of a port; the conformance kit skips, with the reason, what a port lacks. */
public enum Capability {
    /** Callback stubs capture float/double arguments. */
    CALLBACK_FLOAT_ARGUMENTS,
    /** Stacks can end in an inaccessible guard page. */
    GUARD_PAGES,
    /** Stacks can be committed lazily, page by page on first touch. */
    LAZY_COMMIT,
    /**
     * The code is registered with the platform's unwinder (a loaded library with its unwind tables),
     * so a native stack walk on a fiber works and stops at the first frame.
     */
    UNWIND_TABLES,
    /** Windows: TEB stack fields swapped on every switch. */
    TEB_FULL_SWAP,
    /** Windows: the StackLimit trick (fully committed stacks, TEB work only at the thread boundary). */
    TEB_STACK_LIMIT_TRICK
}
