package org.fiberswitch.spi;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.function.ToLongFunction;

/**
 * The part of a port that is only addresses: the library's exported entry points looked up once by
 * their C names, and the probe entries the conformance kit runs on fibers. A port extends it and
 * adds its bound calls ({@code resume}, {@code prepare}, the handshake, the resumer-side probes),
 * its stack memory and its capabilities.
 */
public abstract class ExportedSymbolsPort implements SwitchPort, AbiProbes {
    private final ToLongFunction<String> symbols;
    private final long yield;
    private final long stubs;
    private final long registersEntry;
    private final long fpEnvEntry;
    private final long echoEntry;
    private final long alignmentEntry;
    private final long callbackEntry;
    private final long recursionEntry;

    /**
     * @param symbols the address of an exported C function by its C name (no leading underscore),
     *                or 0 when the library does not export it
     * @throws IllegalStateException if a required entry point is missing
     */
    protected ExportedSymbolsPort(ToLongFunction<String> symbols) {
        this.symbols = symbols;
        this.yield = required("fiberswitch_yield");
        this.stubs = required("fiberswitch_callback_stubs");
        this.registersEntry = required("fiberswitch_probe_registers");
        this.fpEnvEntry = required("fiberswitch_probe_fpenv");
        this.echoEntry = required("fiberswitch_probe_echo");
        this.alignmentEntry = required("fiberswitch_probe_alignment");
        this.callbackEntry = required("fiberswitch_probe_callback");
        this.recursionEntry = required("fiberswitch_probe_recurse");
    }

    /**
     * Exported-function lookup in a library JNA loaded: the address, or 0 when it does not export
     * the name.
     */
    protected static ToLongFunction<String> exportsOf(NativeLibrary library) {
        return cName -> {
            try {
                return Pointer.nativeValue(library.getFunction(cName));
            } catch (UnsatisfiedLinkError e) {
                return 0L;
            }
        };
    }

    private long required(String cName) {
        long address = symbols.applyAsLong(cName);
        if (address == 0) {
            throw new IllegalStateException("the native library does not export " + cName
                    + "; it was not built from a fiberswitch port source of this version");
        }
        return address;
    }

    @Override
    public long entryPointAddress(String cName) {
        return cName.startsWith("fiberswitch_") ? symbols.applyAsLong(cName) : 0L;
    }

    @Override
    public long yieldAddress() {
        return yield;
    }

    @Override
    public long callbackStubsAddress() {
        return stubs;
    }

    @Override
    public AbiProbes probes() {
        return this;
    }

    @Override
    public long registersEntry() {
        return registersEntry;
    }

    @Override
    public long fpEnvEntry() {
        return fpEnvEntry;
    }

    @Override
    public long echoEntry() {
        return echoEntry;
    }

    @Override
    public long alignmentEntry() {
        return alignmentEntry;
    }

    @Override
    public long callbackEntry() {
        return callbackEntry;
    }

    @Override
    public long recursionEntry() {
        return recursionEntry;
    }
}
