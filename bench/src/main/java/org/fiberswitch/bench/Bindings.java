package org.fiberswitch.bench;

import org.fiberswitch.FiberRuntime;
import org.fiberswitch.spi.JniBinding;

/**
 * Opens a runtime whose port calls the switch through one named binding, so that a benchmark's
 * {@code binding} parameter means what it says: {@code jni} (the providers' default), {@code jna}
 * (JNA direct mapping, the fallback) or {@code ffm} (the fiberswitch-ffm accelerator, JDK 22+).
 */
final class Bindings {
    private Bindings() {
    }

    /** @throws IllegalStateException if the runtime did not end up on {@code binding} */
    static FiberRuntime open(String binding) {
        // FiberRuntime and the providers read these when they open and bind; each fork opens once.
        System.setProperty(FiberRuntime.ACCELERATE_PROPERTY, Boolean.toString(binding.equals("ffm")));
        System.setProperty(JniBinding.BINDING_PROPERTY, binding.equals("jna") ? "jna" : "jni");
        FiberRuntime runtime = FiberRuntime.open();
        String actual = runtime.port().binding();
        if (!actual.equals(binding)) {
            String port = runtime.port().toString();
            runtime.close();
            throw new IllegalStateException("binding=" + binding + " is not available here: the port is " + port
                    + " (java.version=" + System.getProperty("java.version") + "); ffm needs the bench built and"
                    + " run on JDK 22+, jni a port whose library exports " + JniBinding.REGISTER_FUNCTION);
        }
        return runtime;
    }
}
