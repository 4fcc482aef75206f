package org.fiberswitch.ffm;

import java.lang.reflect.InvocationTargetException;
import org.fiberswitch.spi.PortAccelerator;
import org.fiberswitch.spi.SwitchPort;

/**
 * Binds a port's hot entry points with {@code java.lang.foreign} downcall handles, which cost a
 * fraction of a JNA direct-mapped call and the same as a provider's JNI natives (see
 * docs/performance.md). Accepts any port that exposes
 * its entry points through {@link SwitchPort#entryPointAddress(String)}; everything else stays with
 * the wrapped port.
 *
 * <p>The JVM must allow native access to this module (or to the class path):
 * {@code --enable-native-access=ALL-UNNAMED}, or {@code =org.fiberswitch.ffm} on the module path.
 * Without it JDK 22-23 warn; if the JVM refuses, this accelerator steps aside and the runtime keeps
 * the provider's own binding. {@code -Dfiberswitch.accelerate=false} turns it off.
 */
public final class FfmAccelerator implements PortAccelerator {

    /** This accelerator's id, as {@code FiberRuntime.accelerator()} reports it. */
    public static final String ID = "ffm";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 100;
    }

    /**
     * The FFM port in front of {@code port}, or {@code null} on a JVM older than 22, when native
     * access is denied, or when the port does not expose its entry points.
     */
    @Override
    public SwitchPort accelerate(SwitchPort port) {
        // This class is compiled for 17 (see the pom); FfmPort needs 22, so reach it only there.
        if (Runtime.version().feature() < 22) {
            return null;
        }
        try {
            return (SwitchPort) Class.forName("org.fiberswitch.ffm.FfmPort")
                    .getDeclaredMethod("bind", SwitchPort.class)
                    .invoke(null, port);
        } catch (InvocationTargetException e) {
            // IllegalCallerException when native access is denied, or a port that lacks an entry
            // point: the plain port still works, so step aside rather than fail the runtime.
            return null;
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
