package org.fiberswitch;

/**
 * A fiber or runtime was used in a state that does not allow it: resuming a finished or running
 * fiber, replying to a callback with the wrong kind of value, using a closed runtime. The message
 * says what was wrong and what to do instead.
 */
public class FiberStateException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public FiberStateException(String message) {
        super(message);
    }
}
