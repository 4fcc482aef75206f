package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberStartException;
import org.fiberswitch.FiberState;
import org.fiberswitch.FiberStateException;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Every misuse throws a clear exception and leaves the JVM and the runtime intact. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class MisuseTest {
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
    void resumingAFinishedFiberThrows() {
        Fiber f = runtime.newFiber(probes.echoEntry(), 5);
        f.resume();
        f.resume(0);
        FiberStateException e = assertThrows(FiberStateException.class, f::resume);
        assertTrue(e.getMessage().contains("has completed with result 1"), e.getMessage());
        assertTrue(e.getMessage().contains("create a new one"), e.getMessage());
    }

    @Test
    void resumingWhileAnotherThreadRunsItThrows() throws Exception {
        // usleep(300 ms) runs on the fiber while a second thread tries to resume and close it.
        Fiber f = runtime.newCall(NativeSymbols.address("c", "usleep"), 300_000);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<FiberEvent> first = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            return f.resume();
        });
        started.await();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (f.state() != FiberState.RUNNING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(FiberState.RUNNING, f.state());
        FiberStateException e = assertThrows(FiberStateException.class, f::resume);
        assertTrue(e.getMessage().contains("already running"), e.getMessage());
        FiberStateException c = assertThrows(FiberStateException.class, f::close);
        assertTrue(c.getMessage().contains("while it runs"), c.getMessage());
        FiberStateException r = assertThrows(FiberStateException.class, runtime::close);
        assertTrue(r.getMessage().contains("cannot close the runtime"), r.getMessage());
        assertEquals(new FiberEvent.Completed(0), first.get(10, TimeUnit.SECONDS));
        assertEquals(FiberState.DONE, f.state());
    }

    @Test
    void aClosedRuntimeRefusesWork() {
        Fiber suspended = runtime.newFiber(probes.echoEntry(), 1);
        suspended.resume();
        runtime.close();
        assertEquals(FiberState.CLOSED, suspended.state());
        assertThrows(FiberStateException.class, suspended::resume);
        FiberStateException e = assertThrows(FiberStateException.class, () -> runtime.newFiber(probes.echoEntry(), 1));
        assertTrue(e.getMessage().contains("is closed; open a new one"), e.getMessage());
        assertThrows(FiberStateException.class, () -> runtime.callbackStub(0));
        runtime.close(); // idempotent
    }

    @Test
    void aNullFunctionIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runtime.newFiber(0, 1));
        assertTrue(e.getMessage().contains("function address is 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> runtime.newCall(0L));
    }

    @Test
    void tooManyArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> runtime.newCall(probes.echoEntry(), 1, 2, 3, 4, 5, 6, 7));
        Fiber f = runtime.newCall(probes.echoEntry(), self -> new long[7]);
        FiberStartException e = assertThrows(FiberStartException.class, f::resume);
        assertTrue(e.getMessage().contains("at most 6"), e.getMessage());
        assertEquals(FiberState.FAILED, f.state());
        assertThrows(FiberStateException.class, f::resume);
    }

    @Test
    void badStackSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> StackOptions.defaults().withSize(StackOptions.MIN_SIZE - 1));
        assertThrows(IllegalArgumentException.class, () -> StackOptions.defaults().withSize(StackOptions.MAX_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> StackOptions.defaults().withSize(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StackOptions.defaults().withSize(0));
        assertTrue(e.getMessage().contains("16 KiB"), e.getMessage());
        // The limits themselves are accepted and work.
        Fiber small = runtime.newFiber(probes.echoEntry(), 3, StackOptions.defaults().withSize(StackOptions.MIN_SIZE));
        assertEquals(new FiberEvent.Yielded(3), small.resume());
        small.close();
        Fiber huge = runtime.newFiber(probes.echoEntry(), 3, StackOptions.defaults().withSize(StackOptions.MAX_SIZE));
        assertEquals(new FiberEvent.Yielded(3), huge.resume());
        huge.close();
    }

    @Test
    void aReplyOfTheWrongKindIsRefused() {
        CallbackStub intStub = runtime.callbackStub(0, CallbackReturn.INTEGER, 1);
        Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, intStub.address(), 0});
        CallbackEvent cb = assertInstanceOf(CallbackEvent.class, f.resume());
        FiberStateException e = assertThrows(FiberStateException.class, () -> cb.reply(1.5));
        assertTrue(e.getMessage().contains("reply with resume(long)"), e.getMessage());
        assertEquals(new FiberEvent.Completed(99), cb.reply(99));

        CallbackStub dblStub = runtime.callbackStub(0, CallbackReturn.DOUBLE, 1);
        Fiber g = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, dblStub.address(), 0x100});
        CallbackEvent dcb = assertInstanceOf(CallbackEvent.class, g.resume());
        FiberStateException d = assertThrows(FiberStateException.class, () -> g.resume(1));
        assertTrue(d.getMessage().contains("resumeWithDouble"), d.getMessage());
        FiberEvent done = dcb.reply(2.5);
        assertEquals(2.5, Double.longBitsToDouble(((FiberEvent.Completed) done).result()));

        Fiber y = runtime.newFiber(probes.echoEntry(), 1);
        y.resume();
        assertThrows(FiberStateException.class, () -> y.resumeWithDouble(1.0));
    }

    @Test
    void aStaleCallbackEventIsRefused() {
        CallbackStub stub = runtime.callbackStub(0);
        Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), 0});
        CallbackEvent cb = (CallbackEvent) f.resume();
        cb.reply(0);
        FiberStateException e = assertThrows(FiberStateException.class, () -> cb.longArg(1));
        assertTrue(e.getMessage().contains("stale"), e.getMessage());
        assertThrows(FiberStateException.class, () -> cb.reply(1));
    }

    @Test
    void badCallbackPositionsAndTagsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> runtime.callbackStub(8));
        assertThrows(IllegalArgumentException.class, () -> runtime.callbackStub(-1));
        assertThrows(IllegalArgumentException.class, () -> runtime.callbackStub(0, CallbackReturn.INTEGER, 16));
        assertThrows(NullPointerException.class, () -> runtime.callbackStub(0, null, 0));
    }

    @Test
    void resultBeforeCompletionThrows() {
        Fiber f = runtime.newFiber(probes.echoEntry(), 1);
        assertThrows(FiberStateException.class, f::result);
        f.close();
        assertEquals(FiberState.CLOSED, f.state());
        assertThrows(FiberStateException.class, f::resume);
        f.close(); // idempotent
    }
}
