package org.fiberswitch.spi;

import java.util.Objects;
import java.util.Set;

/**
 * A port in front of another that forwards every call, for ports that change only a few of them:
 * an accelerator rebinding the hot entry points, or a test harness wrapping {@code resume}. It is
 * its own {@link AbiProbes}, forwarding to the wrapped port's probes, so an override of a probe
 * method applies wherever the probes are reached.
 */
public abstract class ForwardingSwitchPort implements SwitchPort, AbiProbes {
    private final SwitchPort delegate;
    private final AbiProbes probes;

    protected ForwardingSwitchPort(SwitchPort delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.probes = delegate.probes();
    }

    /** The wrapped port. */
    protected final SwitchPort delegate() {
        return delegate;
    }

    @Override
    public long abiVersion() {
        return delegate.abiVersion();
    }

    @Override
    public long layoutConstant(int index) {
        return delegate.layoutConstant(index);
    }

    @Override
    public void prepare(long fcb) {
        delegate.prepare(fcb);
    }

    @Override
    public long resume(long fcb, long value) {
        return delegate.resume(fcb, value);
    }

    @Override
    public long yieldAddress() {
        return delegate.yieldAddress();
    }

    @Override
    public long callbackStubsAddress() {
        return delegate.callbackStubsAddress();
    }

    @Override
    public AbiDescription abi() {
        return delegate.abi();
    }

    @Override
    public CallbackSupport callbackSupport() {
        return delegate.callbackSupport();
    }

    @Override
    public StackMemory stackMemory() {
        return delegate.stackMemory();
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public AbiProbes probes() {
        return this;
    }

    @Override
    public long entryPointAddress(String cName) {
        return delegate.entryPointAddress(cName);
    }

    @Override
    public String binding() {
        return delegate.binding();
    }

    @Override
    public void initPortSlots(long fcb, NativeStack stack) {
        delegate.initPortSlots(fcb, stack);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " over " + delegate;
    }

    @Override
    public long registersEntry() {
        return probes.registersEntry();
    }

    @Override
    public long resumeCheckingRegisters(long fcb, long value, long seed) {
        return probes.resumeCheckingRegisters(fcb, value, seed);
    }

    @Override
    public long fpEnvEntry() {
        return probes.fpEnvEntry();
    }

    @Override
    public long resumeCheckingFpEnv(long fcb, long value, long env) {
        return probes.resumeCheckingFpEnv(fcb, value, env);
    }

    @Override
    public long readFpEnv() {
        return probes.readFpEnv();
    }

    @Override
    public long echoEntry() {
        return probes.echoEntry();
    }

    @Override
    public long alignmentEntry() {
        return probes.alignmentEntry();
    }

    @Override
    public long callbackEntry() {
        return probes.callbackEntry();
    }

    @Override
    public long recursionEntry() {
        return probes.recursionEntry();
    }
}
