package org.fiberswitch;

/** A fiber could not be started; it is now {@link FiberState#FAILED}. The cause says why. */
public class FiberStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FiberStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
