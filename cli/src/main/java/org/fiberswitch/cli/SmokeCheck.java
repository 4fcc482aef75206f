package org.fiberswitch.cli;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackReturn;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberEvent;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.spi.AbiDescription;
import org.fiberswitch.spi.AbiProbes;
import org.fiberswitch.spi.FiberControlBlock;

/** A quick pass over the switch with the port's probes: each check says what it saw. */
final class SmokeCheck {
    /** One check's outcome. */
    record Result(String name, boolean passed, String detail) {
    }

    private final FiberRuntime runtime;
    private final AbiProbes probes;
    private final AbiDescription abi;

    SmokeCheck(FiberRuntime runtime) {
        this.runtime = runtime;
        this.probes = runtime.port().probes();
        this.abi = runtime.port().abi();
    }

    List<Result> runAll() {
        List<Result> out = new ArrayList<>();
        out.add(check("values both ways and completion", this::values));
        out.add(check("callee-saved registers " + abi.calleeSavedRegisters(), this::registers));
        out.add(check("FP control isolation: " + abi.fpControl(), this::fpEnv));
        out.add(check("stack alignment at entry", this::alignment));
        out.add(check("callback stubs, every position, both kinds", this::callbacks));
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            out.add(check("qsort_r sorting through callback events", this::qsort));
        }
        return out;
    }

    private static Result check(String name, Supplier<String> body) {
        try {
            String problem = body.get();
            return new Result(name, problem == null, problem == null ? "" : problem);
        } catch (RuntimeException | Error e) {
            return new Result(name, false, e.toString());
        }
    }

    private String values() {
        Fiber f = runtime.newFiber(probes.echoEntry(), 41);
        if (!new FiberEvent.Yielded(41).equals(f.resume())) {
            return "first yield wrong";
        }
        FiberEvent e = f.resume(-8);
        if (!new FiberEvent.Yielded(-7).equals(e)) {
            return "echo returned " + e;
        }
        e = f.resume(0);
        return new FiberEvent.Completed(2).equals(e) ? null : "completion was " + e;
    }

    private String registers() {
        Fiber f = runtime.newFiber(probes.registersEntry(), 0x5eed);
        f.resume();
        long lost = 0;
        for (int i = 0; i < 3; i++) {
            lost |= probes.resumeCheckingRegisters(f.handle(), 0, 0xabc0 + i);
        }
        long fiberLost = new Pointer(f.handle()).getLong(FiberControlBlock.RESULT);
        f.close();
        return lost == 0 && fiberLost == 0 ? null
                : "lost on the resumer side: " + abi.registerNames(lost) + ", on the fiber side: "
                        + abi.registerNames(fiberLost);
    }

    private String fpEnv() {
        long fiberEnv = abi.fpSampleA();
        Fiber f = runtime.newFiber(probes.fpEnvEntry(), fiberEnv);
        f.resume();
        long changed = probes.resumeCheckingFpEnv(f.handle(), 0, abi.fpSampleB());
        long seen = new Pointer(f.handle()).getLong(FiberControlBlock.TRANSFER);
        f.close();
        if (changed != 0) {
            return "the resumer's control bits changed: 0x" + Long.toHexString(changed);
        }
        return abi.control(seen) == abi.control(fiberEnv) ? null : "the fiber saw " + abi.describeFp(seen);
    }

    private String alignment() {
        FiberEvent e = runtime.newFiber(probes.alignmentEntry(), 0).resume();
        return new FiberEvent.Completed(0).equals(e) ? null : "misaligned by " + e + "; the rule: " + abi.alignmentRule();
    }

    private String callbacks() {
        int positions = runtime.callbackSupport().userDataPositions();
        for (CallbackReturn kind : CallbackReturn.values()) {
            for (int ud = 0; ud < positions; ud++) {
                CallbackStub stub = runtime.callbackStub(ud, kind, ud);
                long flags = ud | (kind == CallbackReturn.DOUBLE ? 0x100 : 0);
                Fiber f = runtime.newCall(probes.callbackEntry(), self -> new long[] {self, stub.address(), flags});
                FiberEvent e = f.resume();
                if (!(e instanceof CallbackEvent cb) || cb.longArg(ud) != f.handle() || cb.doubleArg(0) != 1.25) {
                    f.close();
                    return "position " + ud + " " + kind + ": got " + e;
                }
                FiberEvent done = kind == CallbackReturn.DOUBLE ? cb.reply(3.5) : cb.reply(77);
                long want = kind == CallbackReturn.DOUBLE ? Double.doubleToRawLongBits(3.5) : 77;
                if (!new FiberEvent.Completed(want).equals(done)) {
                    return "position " + ud + " " + kind + ": reply came back as " + done;
                }
            }
        }
        return null;
    }

    private String qsort() {
        int n = 64;
        try (Memory base = new Memory(8L * n)) {
            for (int i = 0; i < n; i++) {
                base.setLong(8L * i, (i * 37L) % n);
            }
            CallbackStub cmp = runtime.callbackStub(2);
            Fiber f = runtime.newCall(NativeSymbols.address("c", "qsort_r"),
                    self -> new long[] {Pointer.nativeValue(base), n, 8, cmp.address(), self});
            FiberEvent e = f.resume();
            while (e instanceof CallbackEvent cb) {
                e = cb.reply(Long.compare(new Pointer(cb.longArg(0)).getLong(0), new Pointer(cb.longArg(1)).getLong(0)));
            }
            for (int i = 0; i < n; i++) {
                if (base.getLong(8L * i) != i) {
                    return "element " + i + " is " + base.getLong(8L * i);
                }
            }
            return null;
        }
    }
}
