package org.fiberswitch;

/** How a callback stub hands the Java reply back to native code. */
public enum CallbackReturn {
    /** The reply is returned as an integer or pointer (also right for {@code void} callbacks). */
    INTEGER,
    /** The reply is returned as a {@code double} (for callbacks declared to return double). */
    DOUBLE
}
