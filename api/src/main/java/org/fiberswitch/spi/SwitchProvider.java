package org.fiberswitch.spi;

/**
 * One port of fiberswitch to an OS and ABI, found through {@link java.util.ServiceLoader}.
 *
 * <p>A provider is cheap to construct and to ask {@link #isSupported()}; it loads its native
 * library only when {@link #isAvailable()} or {@link #port()} is first called, and remembers the
 * outcome. This is the split netty uses for its native transports: check availability, and when a
 * provider is not available, {@link #unavailabilityCause()} says why.
 */
public interface SwitchProvider {

    /** A stable id such as {@code linux-x64-sysv}; {@code -Dfiberswitch.provider} matches it. */
    String id();

    /** Higher wins when several providers are available. Built-in ports use 100. */
    int priority();

    /** Whether this JVM's {@code os.name} and {@code os.arch} are the ones this port is for. Cheap. */
    boolean isSupported();

    /**
     * Whether the native library loaded and passed the ABI handshake. Loads it on first call.
     */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false, or {@code null} when it is available. */
    Throwable unavailabilityCause();

    /**
     * The bound native side of the port.
     *
     * @throws IllegalStateException if the provider is not available; its cause is
     *     {@link #unavailabilityCause()}
     */
    SwitchPort port();
}
