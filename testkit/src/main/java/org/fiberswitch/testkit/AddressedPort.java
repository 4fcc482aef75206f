package org.fiberswitch.testkit;

import com.sun.jna.Function;
import com.sun.jna.Pointer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.fiberswitch.spi.CallbackSupport;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.StackMemory;
import org.fiberswitch.spi.ExportedSymbolsPort;

/**
 * A {@link SwitchPort} over code that is not loaded as a library: every entry point is called by
 * its address through JNA. The kit uses it to run a port's code bytes outside their loader (a
 * Mach-O {@code __text} on Linux) and to mutation-test itself (a patched copy of a working port
 * must fail the right rules). Slower than a real port's direct mapping; for tests only.
 */
public final class AddressedPort extends ExportedSymbolsPort {
    private final ToLongFunction<String> symbols;
    private final StackMemory memory;
    private final CallbackSupport callbacks;
    private final Set<Capability> capabilities;
    private final List<String> calleeSaved;
    private final Map<String, Function> functions = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param symbols      address of an exported C function by its C name (no underscore), 0 if absent
     * @param memory       where stacks come from
     * @param callbacks    what the code's stubs capture
     * @param capabilities what the code can do
     * @param calleeSaved  the register probes' mask order
     */
    public AddressedPort(ToLongFunction<String> symbols, StackMemory memory, CallbackSupport callbacks,
            Set<Capability> capabilities, List<String> calleeSaved) {
        super(symbols);
        this.symbols = symbols;
        this.memory = memory;
        this.callbacks = callbacks;
        this.capabilities = Set.copyOf(capabilities);
        this.calleeSaved = List.copyOf(calleeSaved);
    }

    private long address(String name) {
        long a = symbols.applyAsLong(name);
        if (a == 0) {
            throw new IllegalStateException("the code has no entry point " + name);
        }
        return a;
    }

    private Function fn(String name) {
        return functions.computeIfAbsent(name, n -> Function.getFunction(new Pointer(address(n))));
    }

    private long call(String name, Object... args) {
        return fn(name).invokeLong(args);
    }

    @Override
    public long abiVersion() {
        return call("fiberswitch_abi_version");
    }

    @Override
    public long layoutConstant(int index) {
        return call("fiberswitch_layout", (long) index);
    }

    @Override
    public void prepare(long fcb) {
        call("fiberswitch_prepare", fcb);
    }

    @Override
    public long resume(long fcb, long value) {
        return call("fiberswitch_resume", fcb, value);
    }

    @Override
    public CallbackSupport callbackSupport() {
        return callbacks;
    }

    @Override
    public StackMemory stackMemory() {
        return memory;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public List<String> calleeSavedRegisters() {
        return calleeSaved;
    }

    @Override
    public long resumeCheckingRegisters(long fcb, long value, long seed) {
        return call("fiberswitch_probe_resume_registers", fcb, value, seed);
    }

    @Override
    public long resumeCheckingFpEnv(long fcb, long value, long env) {
        return call("fiberswitch_probe_resume_fpenv", fcb, value, env);
    }

    @Override
    public long readFpEnv() {
        return call("fiberswitch_probe_read_fpenv");
    }

}
