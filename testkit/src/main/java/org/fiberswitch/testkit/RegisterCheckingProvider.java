package org.fiberswitch.testkit;

import org.fiberswitch.spi.ForwardingSwitchPort;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;

/**
 * The provider under test, with every resume made through its resumer-side register probe: the
 * probe fills the caller's callee-saved registers with patterns, resumes, checks and restores
 * them, so the JVM never sees a register a broken port lost. The masks are collected in
 * {@link #lost()}.
 */
final class RegisterCheckingProvider implements SwitchProvider {
    private final SwitchProvider delegate;
    private final Port port;
    private long lost;

    RegisterCheckingProvider(SwitchProvider delegate) {
        this.delegate = delegate;
        this.port = new Port(delegate.port());
    }

    /** Registers lost on the resumer side so far, as a mask in the order of the AbiDescription's callee-saved list. */
    synchronized long lost() {
        return lost;
    }

    @Override
    public String id() {
        return delegate.id();
    }

    @Override
    public int priority() {
        return delegate.priority();
    }

    @Override
    public boolean isSupported() {
        return delegate.isSupported();
    }

    @Override
    public boolean isAvailable() {
        return delegate.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        return delegate.unavailabilityCause();
    }

    @Override
    public SwitchPort port() {
        return port;
    }

    private final class Port extends ForwardingSwitchPort {
        private long seed = 0x5eed_0000L;

        Port(SwitchPort real) {
            super(real);
        }

        @Override
        public long resume(long fcb, long value) {
            long mask = delegate().probes().resumeCheckingRegisters(fcb, value, seed++);
            synchronized (RegisterCheckingProvider.this) {
                lost |= mask;
            }
            return new com.sun.jna.Pointer(fcb).getLong(org.fiberswitch.spi.FiberControlBlock.TRANSFER);
        }

        @Override
        public long entryPointAddress(String cName) {
            // Hidden, so an accelerator cannot bind the native resume directly and bypass the probe.
            return 0L;
        }
    }
}
