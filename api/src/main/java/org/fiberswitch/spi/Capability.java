package org.fiberswitch.spi;

/**
 * Optional abilities of a port; the conformance kit skips, with the reason, the rules of what a port
 * lacks. Facts that belong to one platform alone (the Windows TEB modes, say) are the port's own API,
 * not capabilities.
 */
public enum Capability {
    /** Callback stubs capture float/double arguments. */
    CALLBACK_FLOAT_ARGUMENTS,
    /** Stacks can end in an inaccessible guard region. */
    GUARD_PAGES,
    /** Stacks can be committed lazily, page by page on first touch. */
    LAZY_COMMIT,
    /**
     * The code is registered with the platform's unwinder (a loaded library with its unwind tables),
     * so a native stack walk on a fiber works and stops at the first frame.
     */
    UNWIND_TABLES
}
