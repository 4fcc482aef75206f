package org.fiberswitch.pull;

/**
 * The native function returned a code that its {@link NativePull} counts as an error (by the
 * builder's {@code succeedsWhen} predicate, or by the {@link EarlyStop}'s expected results after an
 * early stop). It is thrown at the consumer: from {@code hasNext}, {@code next}, a stream's terminal
 * operation, {@code read}, or {@code close}. By then the native call has returned, so nothing is left
 * running.
 */
public class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long code;
    private final boolean afterEarlyStop;

    /**
     * @param message        what was called and what it returned
     * @param code           the return value
     * @param afterEarlyStop whether the consumer had stopped early
     */
    public NativeCallException(String message, long code, boolean afterEarlyStop) {
        super(message);
        this.code = code;
        this.afterEarlyStop = afterEarlyStop;
    }

    /** The function's return value (sign-extended from 32 bits when the builder said {@code intResult()}). */
    public long code() {
        return code;
    }

    /** Whether the consumer had stopped early (closed) before the function returned this code. */
    public boolean afterEarlyStop() {
        return afterEarlyStop;
    }
}
