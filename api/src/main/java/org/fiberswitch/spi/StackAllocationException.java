package org.fiberswitch.spi;

/** The OS refused stack memory. The message carries the OS error and a hint. */
public class StackAllocationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StackAllocationException(String message) {
        super(message);
    }

    public StackAllocationException(String message, Throwable cause) {
        super(message, cause);
    }
}
