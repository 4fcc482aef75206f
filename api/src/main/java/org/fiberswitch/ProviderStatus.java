package org.fiberswitch;

/**
 * One provider as discovery saw it, for diagnostics ({@link FiberRuntime#providers()}).
 *
 * @param id        the provider's id
 * @param className its implementation class
 * @param priority  higher wins
 * @param supported whether it is made for this OS and architecture
 * @param available whether its native library loaded and passed the ABI handshake
 * @param reason    why it is not usable, or {@code null}
 */
public record ProviderStatus(String id, String className, int priority, boolean supported,
        boolean available, String reason) {

    /** One line: id, state and reason. */
    @Override
    public String toString() {
        String state = available ? "available" : supported ? "NOT AVAILABLE" : "not for this platform";
        return id + " (" + className + ", priority " + priority + "): " + state
                + (reason == null ? "" : " - " + reason);
    }
}
