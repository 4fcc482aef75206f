package org.fiberswitch.spi;

/**
 * An optional plugin that rebinds a port's hot entry points through a faster call path, for
 * example {@code java.lang.foreign} downcall handles on JDK 22 and newer in place of JNA. Found
 * through {@link java.util.ServiceLoader}; the first with the highest priority that accepts the
 * port wins. {@code -Dfiberswitch.accelerate=false} turns all accelerators off.
 *
 * <p>An accelerated port must behave exactly like the port it wraps: same results, same memory,
 * same probes. It only changes how Java reaches the native code.
 */
public interface PortAccelerator {

    /** A stable id such as {@code ffm}, shown by the doctor. */
    String id();

    /** Higher is tried first. */
    int priority();

    /**
     * A faster port in front of {@code port}, or {@code null} when this accelerator cannot serve
     * it here (the JVM is too old, the port does not expose its entry points, ...).
     */
    SwitchPort accelerate(SwitchPort port);
}
