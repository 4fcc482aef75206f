package org.fiberswitch;

/**
 * No switch provider could be used: none on the class path fits this platform, none loaded, or
 * the one named by {@code -Dfiberswitch.provider} cannot be honoured. The message lists every
 * provider found and why each was passed over.
 */
public class ProviderNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProviderNotFoundException(String message) {
        super(message);
    }

    public ProviderNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
