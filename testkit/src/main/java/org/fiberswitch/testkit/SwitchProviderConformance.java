package org.fiberswitch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberStartException;
import org.fiberswitch.FiberState;
import org.fiberswitch.FiberStateException;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiDescription;
import org.fiberswitch.spi.AbiProbes;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance rules every fiberswitch port must pass. A port's test scope extends this class
 * and names its provider:
 *
 * <pre>{@code
 * class MyPortConformanceTest extends SwitchProviderConformance {
 *     protected SwitchProvider provider() { return new MyPortProvider(); }
 * }
 * }</pre>
 *
 * or runs {@link DiscoveredProvidersConformanceTest} with no code at all (Surefire's
 * {@code dependenciesToScan}). Rules are grouped by area in nested classes; each has a stable id
 * and a hint ({@link ConformanceRule}) that failures carry. Rules for capabilities a port does not
 * declare are skipped with the reason. {@link ConformanceReportListener} writes a JSON and a
 * Markdown report per run under {@code target/fiberswitch-conformance}.
 */
@ExtendWith(HintOnFailure.class)
public abstract class SwitchProviderConformance {
    /** Report entry key that names the provider of each rule's run. */
    static final String PROVIDER_ENTRY = "fiberswitch.provider";


    /** The provider under test. Called once per rule. */
    protected abstract SwitchProvider provider();

    private SwitchProvider provider;
    private FiberRuntime runtime;
    private SwitchPort port;
    private AbiProbes probes;
    /** The ABI facts the port states: register names, FP control packing and samples, alignment rule. */
    private AbiDescription abi;

    @BeforeEach
    void openRuntime(TestReporter reporter) {
        provider = provider();
        reporter.publishEntry(PROVIDER_ENTRY, provider.id());
        assumeTrue(provider.isSupported(), () -> "provider " + provider.id() + " is not made for os.name="
                + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch"));
        runtime = FiberRuntime.open(provider);
        port = runtime.port();
        // The report cell names how Java calls the switch (e.g. linux-x64-sysv+jni, +jna, +ffm).
        reporter.publishEntry(PROVIDER_ENTRY, provider.id() + "+" + port.binding());
        probes = port.probes();
        abi = port.abi();
    }

    @AfterEach
    void closeRuntime() {
        if (runtime != null) {
            runtime.close();
        }
    }

    private void requireCapability(Capability c) {
        assumeTrue(port.capabilities().contains(c),
                () -> "provider " + provider.id() + " does not declare capability " + c);
    }

    private static long fcbLong(long handle, int offset) {
        return new Pointer(handle).getLong(offset);
    }

    private long envControl(long env) {
        return abi.control(env);
    }

    @Nested
    @DisplayName("1 handshake")
    class Handshake {
        @Test
        @ConformanceRule(id = "1.1", hint = "the provider's isAvailable()/unavailabilityCause() and how it loads its library")
        void required_1_1_providerIsAvailableAndNamesItself() {
            assertTrue(provider.isAvailable(), "isAvailable() is false here");
            assertNull(provider.unavailabilityCause(), "an available provider reports no cause");
            assertFalse(provider.id().isBlank(), "id() is blank");
            assertTrue(provider.id().matches("[a-z0-9]+(-[a-z0-9]+)+"), "id '" + provider.id() + "' is not os-arch-abi style");
        }

        @Test
        @ConformanceRule(id = "1.2", hint = "FIBERSWITCH_ABI_VERSION in native/include/fiberswitch.h and fiberswitch_abi_version")
        void required_1_2_abiVersionMatchesTheApi() {
            assertEquals(FiberControlBlock.ABI_VERSION, port.abiVersion());
        }

        @Test
        @ConformanceRule(id = "1.3", hint = "the FCB_* offsets the library was assembled with (fiberswitch_layout) against fiberswitch.h")
        void required_1_3_layoutConstantsMatchTheSharedHeader() {
            for (int i = 0; i < FiberControlBlock.LAYOUT_NAMES.size(); i++) {
                assertEquals(FiberControlBlock.expectedLayoutConstant(i), port.layoutConstant(i),
                        "layout constant " + FiberControlBlock.LAYOUT_NAMES.get(i));
            }
            assertEquals(-1, port.layoutConstant(FiberControlBlock.LAYOUT_NAMES.size()), "past the end");
        }
    }

    @Nested
    @DisplayName("2 callee-saved registers")
    class Registers {
        // Every switch goes through the port's resumer-side probe, which restores the caller's
        // registers itself: a port that loses one then fails these rules instead of corrupting
        // the JVM (HotSpot keeps r12 and r15 live across native calls).
        private RegisterCheckingProvider checking;
        private FiberRuntime checked;

        @BeforeEach
        void openChecked() {
            checking = new RegisterCheckingProvider(provider);
            checked = FiberRuntime.open(checking);
        }

        @AfterEach
        void closeChecked() {
            if (checked != null) {
                checked.close();
            }
        }

        @Test
        @ConformanceRule(id = "2.1", hint = "the saves and loads of callee-saved registers in the switch: the resumer's "
                + "must come back; the probe's mask bits follow the AbiDescription's callee-saved list")
        void required_2_1_resumerRegistersSurviveARoundTrip() {
            Fiber f = checked.newFiber(probes.echoEntry(), 1);
            for (int v = 2; v < 6; v++) {
                assertInstanceOf(FiberEvent.Yielded.class, f.resume(v));
            }
            assertEquals(0, checking.lost(), "resumer lost " + names(checking.lost()));
        }

        @Test
        @ConformanceRule(id = "2.2", hint = "the fiber side of the switch: a fiber's callee-saved registers must "
                + "survive its yields (check the frame that prepare() builds and the pop order)")
        void required_2_2_fiberRegistersSurviveItsYields() {
            Fiber f = checked.newFiber(probes.registersEntry(), 0x2222_0000_0000L);
            FiberEvent e = f.resume();
            while (e instanceof FiberEvent.Yielded) {
                e = f.resume();
            }
            long lost = ((FiberEvent.Completed) e).result();
            assertEquals(0, lost, "fiber lost " + names(lost));
        }

        @Test
        @ConformanceRule(id = "2.3", hint = "that each fiber's registers are saved on its own stack, not in a shared slot")
        void required_2_3_interleavedFibersKeepTheirOwnRegisters() {
            Fiber a = checked.newFiber(probes.registersEntry(), 0x0a0a);
            Fiber b = checked.newFiber(probes.registersEntry(), 0x0b0b_0000_0000L);
            FiberEvent ea = a.resume();
            FiberEvent eb = b.resume();
            while (ea instanceof FiberEvent.Yielded || eb instanceof FiberEvent.Yielded) {
                if (ea instanceof FiberEvent.Yielded) {
                    ea = a.resume();
                }
                if (eb instanceof FiberEvent.Yielded) {
                    eb = b.resume();
                }
            }
            assertEquals(0, ((FiberEvent.Completed) ea).result(), "fiber a lost registers");
            assertEquals(0, ((FiberEvent.Completed) eb).result(), "fiber b lost registers");
            assertEquals(0, checking.lost(), "resumer lost " + names(checking.lost()));
        }

        private String names(long mask) {
            return abi.registerNames(mask);
        }
}

    @Nested
    @DisplayName("3 FP control words")
    class FpControl {
        @Test
        @ConformanceRule(id = "3.1", hint = "the FP control state's restore on the way back to the resumer: the JVM "
                + "checks it after native calls, so Java must get its own back")
        void required_3_1_aFibersRoundingModeDoesNotLeakToJava() {
            long before = probes.readFpEnv();
            Fiber f = runtime.newFiber(probes.fpEnvEntry(), abi.fpSampleA());
            f.resume();
            assertEquals(envControl(before), envControl(probes.readFpEnv()), "Java's FP control state (" + abi.fpControl() + ") after a switch back");
            f.resume();
            f.close();
            assertEquals(envControl(before), envControl(probes.readFpEnv()));
        }

        @Test
        @ConformanceRule(id = "3.2", hint = "that the switch saves the outgoing side's FP control state and loads the "
                + "incoming side's (a compare-then-load must compare every bit of the AbiDescription's fp-control-mask)")
        void required_3_2_theResumersModeDoesNotLeakIntoTheFiber() {
            Fiber f = runtime.newFiber(probes.fpEnvEntry(), abi.fpSampleA());
            FiberEvent first = f.resume();
            assertEquals(envControl(abi.fpSampleA()), envControl(((FiberEvent.Yielded) first).value()), "the fiber's own env");
            long changed = probes.resumeCheckingFpEnv(f.handle(), 0, abi.fpSampleB());
            assertEquals(0, changed, "the resumer's FP control bits changed across the switch: 0x" + Long.toHexString(changed)
                    + " of " + abi.fpControl());
            assertEquals(envControl(abi.fpSampleA()), envControl(fcbLong(f.handle(), FiberControlBlock.TRANSFER)),
                    "the fiber saw the resumer's env");
            f.close();
        }

        @Test
        @ConformanceRule(id = "3.3", hint = "that the FP env is saved per context (on each stack), not per thread")
        void required_3_3_twoFibersKeepTheirOwnModes() {
            Fiber a = runtime.newFiber(probes.fpEnvEntry(), abi.fpSampleA());
            Fiber b = runtime.newFiber(probes.fpEnvEntry(), abi.fpSampleB());
            long seenA = ((FiberEvent.Yielded) a.resume()).value();
            long seenB = ((FiberEvent.Yielded) b.resume()).value();
            long againA = ((FiberEvent.Yielded) a.resume()).value();
            long againB = ((FiberEvent.Yielded) b.resume()).value();
            assertEquals(envControl(abi.fpSampleA()), envControl(seenA));
            assertEquals(envControl(abi.fpSampleB()), envControl(seenB));
            assertEquals(envControl(abi.fpSampleA()), envControl(againA), "fiber a after fiber b ran");
            assertEquals(envControl(abi.fpSampleB()), envControl(againB), "fiber b after fiber a ran");
            a.close();
            b.close();
        }
    }

    @Nested
    @DisplayName("4 alignment")
    class Alignment {
        @Test
        @ConformanceRule(id = "4.1", hint = "the first frame built by prepare(): the stack must meet the ABI's alignment "
                + "rule (the AbiDescription's alignment) at every function entry")
        void required_4_1_entryPointsAreAligned() {
            for (long size : new long[] {StackOptions.MIN_SIZE, 20480, 65536, 1 << 20}) {
                Fiber f = runtime.newFiber(probes.alignmentEntry(), 0, StackOptions.defaults().withSize(size));
                assertEquals(new FiberEvent.Completed(0), f.resume(), "misalignment at entry on a stack of " + size
                        + " bytes; the rule: " + abi.alignmentRule());
            }
        }

        @Test
        @ConformanceRule(id = "4.2", hint = "the call trampoline: a function called with six arguments must also be aligned")
        void required_4_2_callTrampolineTargetsAreAligned() {
            Fiber f = runtime.newCall(probes.alignmentEntry(), 1, 2, 3, 4, 5, 6);
            assertEquals(new FiberEvent.Completed(0), f.resume(), "misalignment at entry; the rule: " + abi.alignmentRule());
        }
    }

    @Nested
    @DisplayName("5 values and completion")
    class Values {
        @Test
        @ConformanceRule(id = "5.1", hint = "FCB_TRANSFER: resume stores its value there before switching, yield stores "
                + "its value and FCB_EXIT_YIELD, and both return FCB_TRANSFER after switching")
        void required_5_1_valuesTravelBothWays() {
            Fiber f = runtime.newFiber(probes.echoEntry(), 7);
            assertEquals(new FiberEvent.Yielded(7), f.resume());
            assertEquals(new FiberEvent.Yielded(11), f.resume(10));
            assertEquals(new FiberEvent.Yielded(Long.MIN_VALUE + 1), f.resume(Long.MIN_VALUE));
            assertEquals(new FiberEvent.Yielded(-4), f.resume(-5));
        }

        @Test
        @ConformanceRule(id = "5.2", hint = "the entry trampoline's exit: FCB_RESULT and FCB_TRANSFER = the return value, "
                + "FCB_EXIT_DONE, then a final switch to the resumer")
        void required_5_2_completionDeliversTheResult() {
            Fiber f = runtime.newFiber(probes.echoEntry(), 1);
            f.resume();
            f.resume(2);
            assertEquals(new FiberEvent.Completed(2), f.resume(0));
            assertEquals(FiberState.DONE, f.state());
            assertEquals(2, f.result());
        }

        @Test
        @ConformanceRule(id = "5.3", hint = "the entry trampoline's argument registers: FCB_ARGS[0..5] go to the ABI's "
                + "first six integer argument registers or slots")
        void required_5_3_callTrampolinePassesSixArguments() {
            try (Memory buf = new Memory(128); Memory fmt = new Memory(32)) {
                fmt.setString(0, "%d|%d|%d|%d");
                Fiber f = runtime.newCall(Platform.libc("sprintf"), Pointer.nativeValue(buf), Pointer.nativeValue(fmt),
                        11, -22, 333, 4444);
                long written = ((FiberEvent.Completed) f.resume()).result();
                assertEquals("11|-22|333|4444".length(), (int) written, "sprintf's int result");
                assertEquals("11|-22|333|4444", buf.getString(0));
            }
        }
    }

    @Nested
    @DisplayName("6 nesting")
    class Nesting {
        @Test
        @ConformanceRule(id = "6.1", hint = "that resume works from a fiber's own stack: FCB_RESUMER_SP must be saved per "
                + "resume, so a fiber can resume another and get control back")
        void required_6_1_aFiberResumesANestedFiber() {
            long nativeResume = port.entryPointAddress("fiberswitch_resume");
            assumeTrue(nativeResume != 0, "the port does not expose fiberswitch_resume through entryPointAddress");
            Fiber inner = runtime.newFiber(probes.echoEntry(), 5);
            inner.resume();
            // The outer fiber's function is fiberswitch_resume(inner, 40): it switches into inner from the
            // outer's stack, inner yields 41 back to it, and that becomes the outer's result.
            Fiber outer = runtime.newCall(nativeResume, inner.handle(), 40);
            assertEquals(new FiberEvent.Completed(41), outer.resume());
            assertEquals(new FiberEvent.Yielded(101), inner.resume(100), "inner continues from Java afterwards");
        }

        @Test
        @ConformanceRule(id = "6.2", hint = "a port-level symmetric transfer entry (fiber to fiber without the resumer)")
        void optional_6_2_symmetricTransfer() {
            long transfer = port.entryPointAddress("fiberswitch_transfer");
            assumeTrue(transfer != 0, "the port has no symmetric transfer entry (fiberswitch_transfer); "
                    + "fibers switch through their resumer");
        }
    }

    @Nested
    @DisplayName("7 threads")
    class Threads {
        @Test
        @ConformanceRule(id = "7.1", hint = "per-thread state in the switch (TEB fields on Windows): a suspended fiber "
                + "resumed from another thread must run correctly there")
        void required_7_1_aSuspendedFiberMigratesBetweenThreads() throws Exception {
            Fiber f = runtime.newFiber(probes.echoEntry(), 1);
            ExecutorService a = Executors.newSingleThreadExecutor();
            ExecutorService b = Executors.newSingleThreadExecutor();
            try {
                assertEquals(new FiberEvent.Yielded(1), a.submit(() -> f.resume()).get(30, TimeUnit.SECONDS));
                for (int i = 1; i <= 40; i++) {
                    long v = i;
                    ExecutorService on = (i % 2 == 0) ? a : b;
                    assertEquals(new FiberEvent.Yielded(v + 1), on.submit(() -> f.resume(v)).get(30, TimeUnit.SECONDS));
                }
                assertEquals(new FiberEvent.Completed(41), f.resume(0));
            } finally {
                a.shutdownNow();
                b.shutdownNow();
            }
        }

        @Test
        @ConformanceRule(id = "7.2", hint = "global or static state in the port: fibers on many threads at once must not "
                + "share anything")
        void required_7_2_fibersOnManyThreadsStayIndependent() throws Exception {
            int threads = 6;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long seed = 0x1000L * (t + 1);
                    results.add(pool.submit(() -> {
                        for (int round = 0; round < 100; round++) {
                            Fiber f = runtime.newFiber(probes.registersEntry(), seed + round);
                            f.resume();
                            for (int i = 0; i < 3; i++) {
                                long lost = probes.resumeCheckingRegisters(f.handle(), 0, seed ^ i);
                                if (lost != 0) {
                                    return "thread seed " + seed + ": resumer lost mask " + lost;
                                }
                            }
                            if (fcbLong(f.handle(), FiberControlBlock.RESULT) != 0) {
                                return "thread seed " + seed + ": fiber lost registers";
                            }
                            f.close();
                            Fiber e = runtime.newFiber(probes.echoEntry(), seed);
                            FiberEvent r1 = e.resume();
                            FiberEvent r2 = e.resume(seed + 5);
                            FiberEvent r3 = e.resume(0);
                            if (!new FiberEvent.Yielded(seed).equals(r1) || !new FiberEvent.Yielded(seed + 6).equals(r2)
                                    || !new FiberEvent.Completed(2).equals(r3)) {
                                return "thread seed " + seed + ": echo gave " + r1 + ", " + r2 + ", " + r3;
                            }
                        }
                        return null;
                    }));
                }
                for (Future<String> r : results) {
                    assertNull(r.get(120, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        @ConformanceRule(id = "7.3", hint = "nothing in the port: the api's state check must refuse a second resume while "
                + "the fiber runs (a port must not block or switch on its own)")
        void required_7_3_aConcurrentResumeIsRefused() throws Exception {
            long sleep = Platform.isWindows() ? Platform.libc("Sleep") : Platform.libc("usleep");
            Fiber f = runtime.newCall(sleep, Platform.isWindows() ? 300 : 300_000);
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<FiberEvent> first = CompletableFuture.supplyAsync(() -> {
                started.countDown();
                return f.resume();
            });
            started.await();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (f.state() != FiberState.RUNNING && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(FiberState.RUNNING, f.state());
            FiberStateException e = assertThrows(FiberStateException.class, f::resume);
            assertTrue(e.getMessage().contains("already running"), e.getMessage());
            assertThrows(FiberStateException.class, f::close);
            FiberStateException r = assertThrows(FiberStateException.class, runtime::close);
            assertTrue(r.getMessage().contains("cannot close the runtime"), r.getMessage());
            assertInstanceOf(FiberEvent.Completed.class, first.get(30, TimeUnit.SECONDS));
        }
    }

    @Nested
    @DisplayName("8 misuse")
    class Misuse {
        @Test
        @ConformanceRule(id = "8.1", hint = "the api's state machine: DONE is final")
        void required_8_1_resumingAFinishedFiberThrows() {
            Fiber f = runtime.newFiber(probes.echoEntry(), 5);
            assertThrows(FiberStateException.class, f::result, "no result before completion");
            f.resume();
            f.resume(0);
            FiberStateException e = assertThrows(FiberStateException.class, f::resume);
            assertTrue(e.getMessage().contains("completed"), e.getMessage());
        }

        @Test
        @ConformanceRule(id = "8.2", hint = "FiberRuntime.close(): it must close fibers and refuse further use")
        void required_8_2_aClosedRuntimeRefusesWork() {
            Fiber suspended = runtime.newFiber(probes.echoEntry(), 1);
            suspended.resume();
            runtime.close();
            assertEquals(FiberState.CLOSED, suspended.state());
            assertThrows(FiberStateException.class, suspended::resume);
            assertThrows(FiberStateException.class, () -> runtime.newFiber(probes.echoEntry(), 1));
            assertThrows(FiberStateException.class, () -> runtime.callbackStub(0));
        }

        @Test
        @ConformanceRule(id = "8.3", hint = "argument checks before any native call: a null function or too many "
                + "arguments must never reach the trampoline")
        void required_8_3_nullFunctionsAndTooManyArgumentsAreRefused() {
            assertThrows(IllegalArgumentException.class, () -> runtime.newFiber(0, 1));
            assertThrows(IllegalArgumentException.class, () -> runtime.newCall(0L));
            assertThrows(IllegalArgumentException.class, () -> runtime.newCall(probes.echoEntry(), 1, 2, 3, 4, 5, 6, 7));
            Fiber f = runtime.newCall(probes.echoEntry(), self -> new long[7]);
            assertThrows(FiberStartException.class, f::resume);
            assertEquals(FiberState.FAILED, f.state());
            assertEquals(0, runtime.liveFibers(), "a fiber that failed to start is not live");
        }

        @Test
        @ConformanceRule(id = "8.4", hint = "the reply kind check: a stub's CallbackReturn decides resume(long) or "
                + "resumeWithDouble(double)")
        void required_8_4_aReplyOfTheWrongKindIsRefused() {
            CallbackStub dbl = runtime.callbackStub(0, CallbackReturn.DOUBLE, 2);
            Fiber g = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, dbl.address(), 0x100});
            CallbackEvent cb = assertInstanceOf(CallbackEvent.class, g.resume());
            assertThrows(FiberStateException.class, () -> g.resume(1));
            assertThrows(FiberStateException.class, () -> cb.reply(1L));
            FiberEvent done = cb.reply(2.5);
            assertEquals(2.5, Double.longBitsToDouble(((FiberEvent.Completed) done).result()));
            Fiber y = runtime.newFiber(probes.echoEntry(), 1);
            y.resume();
            assertThrows(FiberStateException.class, () -> y.resumeWithDouble(1.0));
        }

        @Test
        @ConformanceRule(id = "8.5", hint = "CallbackEvent staleness: an event is valid only until the next resume")
        void required_8_5_aStaleCallbackEventIsRefused() {
            CallbackStub stub = runtime.callbackStub(0);
            Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), 0});
            CallbackEvent cb = (CallbackEvent) f.resume();
            cb.reply(0);
            assertThrows(FiberStateException.class, () -> cb.longArg(1));
        }

        @Test
        @ConformanceRule(id = "8.6", hint = "the CallbackSupport the port declares: positions and tags outside it must be "
                + "refused before a stub address is computed")
        void required_8_6_unsupportedCallbackPositionsAreRefused() {
            int positions = runtime.callbackSupport().userDataPositions();
            assertThrows(IllegalArgumentException.class, () -> runtime.callbackStub(positions));
            assertThrows(IllegalArgumentException.class, () -> runtime.callbackStub(-1));
            assertThrows(IllegalArgumentException.class,
                    () -> runtime.callbackStub(0, CallbackReturn.INTEGER, runtime.callbackSupport().tags()));
        }
    }

    @Nested
    @DisplayName("9 callback events")
    class Callbacks {
        @Test
        @ConformanceRule(id = "9.1", hint = "the stubs' user-data register/slot per position and the capture of every "
                + "integer argument register and stack slot into FCB_CB_INT")
        void required_9_1_everyIntegerPositionIsCaptured() {
            int positions = runtime.callbackSupport().userDataPositions();
            for (int ud = 0; ud < positions; ud++) {
                CallbackStub stub = runtime.callbackStub(ud, CallbackReturn.INTEGER, ud % runtime.callbackSupport().tags());
                long flags = ud;
                Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), flags});
                CallbackEvent cb = assertInstanceOf(CallbackEvent.class, f.resume(), "user data at " + ud);
                assertEquals(ud, cb.userDataPosition());
                int captured = Math.min(runtime.callbackSupport().integerArguments(), FiberControlBlock.CALLBACK_INT_SLOTS);
                for (int k = 0; k < captured; k++) {
                    long expected = k == ud ? f.handle() : 0x0101010101010101L * (k + 1);
                    assertEquals(expected, cb.longArg(k), "integer position " + k + " with user data at " + ud);
                }
                cb.reply(0);
            }
        }

        @Test
        @ConformanceRule(id = "9.2", hint = "the capture of the float argument registers into FCB_CB_FLOAT")
        void optional_9_2_everyFloatPositionIsCaptured() {
            requireCapability(Capability.CALLBACK_FLOAT_ARGUMENTS);
            CallbackStub stub = runtime.callbackStub(0);
            Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), 0});
            CallbackEvent cb = (CallbackEvent) f.resume();
            for (int k = 0; k < runtime.callbackSupport().floatArguments(); k++) {
                assertEquals(k + 1.25, cb.doubleArg(k), "float position " + k);
            }
            cb.reply(0);
        }

        @Test
        @ConformanceRule(id = "9.3", hint = "the stub's return path: integer replies in the integer return register, "
                + "double replies in the float return register")
        void required_9_3_theReplyBecomesTheReturnValue() {
            CallbackStub i = runtime.callbackStub(1, CallbackReturn.INTEGER, 3);
            Fiber fi = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, i.address(), 1});
            assertEquals(new FiberEvent.Completed(0x7766554433221100L), ((CallbackEvent) fi.resume()).reply(0x7766554433221100L));
            CallbackStub d = runtime.callbackStub(1, CallbackReturn.DOUBLE, 3);
            Fiber fd = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, d.address(), 1 | 0x100});
            FiberEvent done = ((CallbackEvent) fd.resume()).reply(-0.5);
            assertEquals(new FiberEvent.Completed(Double.doubleToRawLongBits(-0.5)), done);
        }

        @Test
        @ConformanceRule(id = "9.4", hint = "the stub id each stub stores in FCB_CALLBACK_ID: id = ((tag * 8) + position) * 2 + kind")
        void required_9_4_tagsTellStubsApart() {
            int tags = runtime.callbackSupport().tags();
            for (int tag = 0; tag < tags; tag++) {
                for (CallbackReturn kind : CallbackReturn.values()) {
                    CallbackStub stub = runtime.callbackStub(0, kind, tag);
                    long flags = kind == CallbackReturn.DOUBLE ? 0x100 : 0;
                    Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), flags});
                    CallbackEvent cb = (CallbackEvent) f.resume();
                    assertEquals(tag, cb.tag(), "tag");
                    assertEquals(kind, cb.returns(), "reply kind");
                    f.close();
                }
            }
        }
    }

    @Nested
    @DisplayName("10 stacks")
    class Stacks {
        @Test
        @ConformanceRule(id = "10.1", hint = "StackOptions limits and the port's page rounding: the smallest and largest "
                + "sizes must work, and sizes outside them must be refused")
        void required_10_1_sizeLimitsAreStatedAndEnforced() {
            assertThrows(IllegalArgumentException.class, () -> StackOptions.defaults().withSize(StackOptions.MIN_SIZE - 1));
            assertThrows(IllegalArgumentException.class, () -> StackOptions.defaults().withSize(StackOptions.MAX_SIZE + 1));
            for (long size : new long[] {StackOptions.MIN_SIZE, StackOptions.MAX_SIZE}) {
                Fiber f = runtime.newFiber(probes.echoEntry(), 3, StackOptions.defaults().withSize(size));
                assertEquals(new FiberEvent.Yielded(3), f.resume(), "stack of " + size + " bytes");
                f.close();
            }
        }

        @Test
        @ConformanceRule(id = "10.2", hint = "StackMemory.allocate: the usable part must really be as large as asked "
                + "(and on Windows __chkstk must find it committed or probe-able)")
        void required_10_2_deepRecursionFitsALargeStack() {
            for (StackOptions.Commit commit : StackOptions.Commit.values()) {
                Fiber f = runtime.newCall(probes.recursionEntry(), self -> new long[] {6000},
                        StackOptions.defaults().withSize(8 << 20).withCommit(commit));
                assertEquals(new FiberEvent.Completed(6000), f.resume(), "6000 KiB of frames on an 8 MiB " + commit + " stack");
            }
        }

        @Test
        @ConformanceRule(id = "10.3", hint = "the guard page: StackMemory must make the lowest page inaccessible, so an "
                + "overflow faults at once instead of writing into a neighbour")
        void optional_10_3_aGuardPageStopsAnOverflowAtOnce() throws Exception {
            requireCapability(Capability.GUARD_PAGES);
            OverflowChild.Outcome outcome = OverflowChild.run(provider.getClass().getName());
            assertTrue(outcome.reachedOverflow(), "the child did not reach the overflow:\n" + outcome.output());
            assertFalse(outcome.survived(), "the overflow was not stopped by the guard page:\n" + outcome.output());
            assertNotEquals(0, outcome.exitCode(), "the child exited normally:\n" + outcome.output());
        }

        @Test
        @ConformanceRule(id = "10.4", hint = "StackMemory.release and the api's pooling: every mapping must be returned")
        void required_10_4_createCloseCyclesDoNotLeak() throws Exception {
            StackOptions unpooled = StackOptions.defaults().withPooling(false);
            cycle(unpooled, 2_000);
            long maps = Platform.isLinux() ? mappings() : -1;
            long committed = committedVirtual();
            cycle(unpooled, 100_000);
            if (maps >= 0) {
                long after = mappings();
                assertTrue(Math.abs(after - maps) < 64, "mappings " + maps + " -> " + after + " over 100,000 cycles");
            }
            long grown = committedVirtual() - committed;
            // A leaked 256 KiB stack per cycle would be 24 GiB; allow 256 MiB of JVM growth.
            assertTrue(grown < 256L << 20, "committed virtual memory grew by " + (grown >> 20) + " MiB over 100,000 cycles");
            assertEquals(0, runtime.liveFibers());
        }

        @Test
        @ConformanceRule(id = "10.5", hint = "FiberRuntime.close and StackPool.close: pooled and live stacks must be released")
        void required_10_5_closingTheRuntimeReleasesEveryStack() throws Exception {
            assumeTrue(Platform.isLinux(), "mapping counts are read from /proc/self/maps, which only Linux has");
            long before = mappings();
            FiberRuntime other = FiberRuntime.open(provider);
            for (int i = 0; i < 200; i++) {
                other.newFiber(probes.echoEntry(), i + 1).resume();
            }
            for (int i = 0; i < 50; i++) {
                Fiber f = other.newFiber(probes.echoEntry(), 1);
                f.resume();
                f.resume(0);
            }
            assertTrue(other.pooledStacks() > 0, "stacks are pooled by default");
            assertTrue(mappings() >= before + 200, "200 live stacks are mapped");
            other.close();
            long after = mappings();
            assertTrue(Math.abs(after - before) < 64, "mappings " + before + " -> " + after + " after close");
        }

        @Test
        @ConformanceRule(id = "10.6", hint = "per-fiber state: with 10,000 fibers suspended at once, each must resume "
                + "into its own stack and values")
        void required_10_6_tenThousandLiveFibersKeepTheirOwnState() {
            StackOptions small = StackOptions.defaults().withSize(StackOptions.MIN_SIZE);
            int n = 10_000;
            List<Fiber> fibers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Fiber f = runtime.newFiber(probes.echoEntry(), i * 2L + 1, small);
                assertEquals(new FiberEvent.Yielded(i * 2L + 1), f.resume());
                fibers.add(f);
            }
            assertEquals(n, runtime.liveFibers());
            for (int i = n - 1; i >= 0; i--) {
                assertEquals(new FiberEvent.Yielded(i * 3L + 2), fibers.get(i).resume(i * 3L + 1), "fiber " + i);
            }
            for (Fiber f : fibers) {
                assertEquals(new FiberEvent.Completed(2), f.resume(0));
            }
            assertEquals(0, runtime.liveFibers());
        }

        @Test
        @ConformanceRule(id = "10.7", hint = "StackMemory and the pool: a finished fiber's stack must be reusable as is, "
                + "with its control block rewritten by the next fiber")
        void required_10_7_pooledStacksAreReused() {
            Fiber f = runtime.newFiber(probes.echoEntry(), 1);
            f.resume();
            long handle = f.handle();
            f.resume(0);
            assertEquals(1, runtime.pooledStacks());
            Fiber g = runtime.newFiber(probes.echoEntry(), 9);
            assertEquals(new FiberEvent.Yielded(9), g.resume());
            assertEquals(handle, g.handle(), "the pooled stack was reused");
            assertEquals(0, runtime.pooledStacks());
            g.close();
            assertEquals(1, runtime.pooledStacks());
        }

        private void cycle(StackOptions options, int n) {
            for (int i = 0; i < n; i++) {
                Fiber f = runtime.newFiber(probes.echoEntry(), i + 1, options);
                f.resume();
                if ((i & 1) == 0) {
                    f.resume(0);
                }
                f.close();
            }
        }

        private long mappings() throws Exception {
            try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
                return lines.count();
            }
        }

        private long committedVirtual() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getCommittedVirtualMemorySize();
        }
    }

    @Nested
    @DisplayName("11 unwinding")
    class Unwinding {
        @Test
        @ConformanceRule(id = "11.1", hint = "the entry trampoline's first frame: a zero return address / .cfi_undefined "
                + "return address (SEH unwind data on Windows) and a zero frame pointer, so unwinders stop there")
        void required_11_1_unwindersStopAtTheFirstFrame() {
            requireCapability(Capability.UNWIND_TABLES);
            try (Memory frames = new Memory(8 * 64)) {
                Fiber f = Platform.isWindows()
                        ? runtime.newCall(Platform.stackWalker(), 0, 64, Pointer.nativeValue(frames), 0)
                        : runtime.newCall(Platform.stackWalker(), Pointer.nativeValue(frames), 64);
                long depth = ((FiberEvent.Completed) f.resume()).result() & 0xFFFF_FFFFL;
                assertTrue(depth >= 1 && depth <= 4, "a stack walk on a fresh fiber found " + depth + " frames");
            }
        }
    }

    @Nested
    @DisplayName("12 garbage collection")
    class GarbageCollection {
        @Test
        @ConformanceRule(id = "12.1", hint = "that nothing Java-visible lives on fiber stacks and the switch does not "
                + "touch JVM state: fibers must switch correctly while the GC moves and frees objects")
        void required_12_1_fibersSwitchCorrectlyUnderGcPressure() throws Exception {
            AtomicBoolean stop = new AtomicBoolean();
            Thread garbage = new Thread(() -> {
                List<byte[]> keep = new ArrayList<>();
                int n = 0;
                while (!stop.get()) {
                    keep.add(new byte[1024 + (n++ % 4096)]);
                    if (keep.size() > 4096) {
                        keep.clear();
                    }
                    if (n % 20_000 == 0) {
                        System.gc();
                    }
                }
            }, "gc-pressure");
            garbage.setDaemon(true);
            garbage.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                int fibers = 0;
                while (System.nanoTime() < deadline) {
                    Fiber f = runtime.newFiber(probes.registersEntry(), fibers);
                    f.resume();
                    for (int i = 0; i < 3; i++) {
                        assertEquals(0, probes.resumeCheckingRegisters(f.handle(), 0, fibers * 31L + i));
                    }
                    assertEquals(0, fcbLong(f.handle(), FiberControlBlock.RESULT));
                    f.close();
                    Fiber e = runtime.newFiber(probes.echoEntry(), fibers + 1);
                    assertEquals(new FiberEvent.Yielded(fibers + 1), e.resume());
                    for (int i = 1; i < 50; i++) {
                        assertEquals(new FiberEvent.Yielded(i + 1L), e.resume(i));
                    }
                    e.close();
                    fibers++;
                }
                assertTrue(fibers > 10, "only " + fibers + " fibers ran in 2 s");
            } finally {
                stop.set(true);
                garbage.join(10_000);
            }
        }
    }

}
