/**
 * The optional FFM accelerator: on JDK 22 and later it rebinds a port's hot entry points
 * ({@code fiberswitch_resume}, {@code fiberswitch_prepare} and the probes) as
 * {@code java.lang.foreign} downcall handles. It is found through {@link java.util.ServiceLoader}
 * as an {@link org.fiberswitch.spi.PortAccelerator}; put {@code fiberswitch-ffm} on the class path
 * (or module path) and {@code FiberRuntime.open()} uses it. On older JDKs it declines and the
 * provider's own binding is used. {@code -Dfiberswitch.accelerate=false} turns it off.
 *
 * <p>It was written when providers called the switch through JNA, and an FFM downcall cost a
 * fraction of a JNA call. The providers now bind JNI natives of their own, which measure the same
 * as FFM on JDK 25 (see docs/performance.md), so this module matters only where a provider ends up
 * on JNA.
 *
 * <p>{@code fiberswitch_resume} is bound without {@code Linker.Option.critical}: a fiber may run
 * long native code, and a critical downcall would hold off safepoints (and so every GC) until it
 * returns.
 */
package org.fiberswitch.ffm;
