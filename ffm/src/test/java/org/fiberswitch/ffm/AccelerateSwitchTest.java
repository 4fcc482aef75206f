package org.fiberswitch.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Runs in both surefire executions of this module: the default one (the accelerator is used) and
 * {@code accelerate-false}, where the whole JVM has {@code -Dfiberswitch.accelerate=false} and the
 * same fibers must run on the port the provider bound itself (its JNI natives).
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the accelerator over the Linux x86-64 provider")
class AccelerateSwitchTest {

    /** Set by the surefire execution, next to the flag it tests, so a lost flag cannot pass unseen. */
    private static String expectedAccelerator() {
        return System.getProperty("fiberswitch.test.expectedAccelerator", "ffm");
    }

    @Test
    void fibersRunOnWhicheverPortTheJvmFlagsSelect() {
        try (FiberRuntime runtime = FiberRuntime.open()) {
            assertEquals(expectedAccelerator(), runtime.accelerator());
            Fiber echo = runtime.newFiber(runtime.port().probes().echoEntry(), 7);
            assertEquals(new FiberEvent.Yielded(7), echo.resume());
            for (long v = 1; v <= 1000; v++) {
                assertEquals(new FiberEvent.Yielded(v + 1), echo.resume(v));
            }
            assertEquals(new FiberEvent.Completed(1001), echo.resume(0));

            CallbackStub stub = runtime.callbackStub(1);
            Fiber call = runtime.newCall(runtime.port().probes().callbackEntry(),
                    self -> new long[] {self, stub.address(), 1});
            CallbackEvent e = (CallbackEvent) call.resume();
            assertEquals(call.handle(), e.longArg(1));
            assertEquals(new FiberEvent.Completed(99), e.reply(99));
        }
    }
}
