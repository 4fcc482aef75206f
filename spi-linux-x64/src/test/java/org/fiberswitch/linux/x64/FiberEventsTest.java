package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberStateException;
import org.fiberswitch.spi.AbiProbes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** {@link Fiber#switches()}, {@link Fiber#waitingCallback()} and the staleness of events they make. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "drives the Linux x86-64 provider")
class FiberEventsTest {
    private FiberRuntime runtime;
    private AbiProbes probes;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        probes = runtime.port().probes();
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    @Test
    void switchesCountsEveryYieldCallbackAndTheEnd() {
        try (Fiber echo = runtime.newFiber(probes.echoEntry(), 5)) {
            assertEquals(0, echo.switches());
            echo.resume();
            echo.resume(6);
            assertEquals(2, echo.switches());
            assertInstanceOf(FiberEvent.Completed.class, echo.resume(0));
            assertEquals(3, echo.switches());
        }
    }

    @Test
    void waitingCallbackIsACurrentEventForTheSameCallback() {
        CallbackStub stub = runtime.callbackStub(0);
        try (Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), 0})) {
            assertNull(f.waitingCallback(), "not started");
            CallbackEvent first = (CallbackEvent) f.resume();
            CallbackEvent again = f.waitingCallback();
            assertNotSame(first, again);
            assertEquals(first.longArg(0), again.longArg(0));
            assertEquals(first.tag(), again.tag());
            FiberEvent end = again.reply(41);
            assertEquals(41, ((FiberEvent.Completed) end).result());
            assertThrows(FiberStateException.class, () -> first.longArg(0), "the reply made both stale");
            assertThrows(FiberStateException.class, () -> first.reply(1));
            assertNull(f.waitingCallback(), "done");
        }
    }

    @Test
    void aYieldIsNotACallback() {
        try (Fiber echo = runtime.newFiber(probes.echoEntry(), 5)) {
            echo.resume();
            assertNull(echo.waitingCallback());
        }
    }
}
