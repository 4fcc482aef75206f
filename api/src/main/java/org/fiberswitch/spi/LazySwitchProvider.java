package org.fiberswitch.spi;

/**
 * The discovery half of a provider, done once for every port: a cheap platform check, the library
 * bound on first use and the outcome remembered, the ABI handshake, and the reason when it failed.
 * A port supplies its id, its platform decision and {@link #bind()}.
 */
public abstract class LazySwitchProvider implements SwitchProvider {
    private final String id;
    private final int priority;
    private final String platform;
    private final Object lock = new Object();
    private volatile SwitchPort port;
    private volatile Throwable cause;
    private volatile boolean probed;

    /**
     * @param id       the provider id, e.g. {@code linux-x64-sysv}
     * @param priority higher wins; built-in ports use 100
     * @param platform what it runs on, for messages, e.g. {@code "Linux x86-64"}
     */
    protected LazySwitchProvider(String id, int priority, String platform) {
        this.id = id;
        this.priority = priority;
        this.platform = platform;
    }

    /** The platform decision, on given {@code os.name} and {@code os.arch} values. */
    protected abstract boolean supports(String osName, String osArch);

    /**
     * Loads the native library and returns the bound port. Called at most once, and only when
     * {@link #isSupported()}; what it throws becomes {@link #unavailabilityCause()}.
     */
    protected abstract SwitchPort bind();

    /**
     * JNA's resource prefix (as in {@code com.sun.jna.Platform.RESOURCE_PREFIX}) for a JVM that
     * reports these {@code os.name} and {@code os.arch} values: {@code linux-x86-64},
     * {@code darwin-aarch64}, {@code win32-x86-64} and so on. Ports name their platform by it, so
     * the api knows no architecture.
     */
    public static String resourcePrefix(String osName, String osArch) {
        return PlatformNames.resourcePrefix(osName, osArch);
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final int priority() {
        return priority;
    }

    @Override
    public final boolean isSupported() {
        return supports(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    @Override
    public final boolean isAvailable() {
        return load() != null;
    }

    @Override
    public final Throwable unavailabilityCause() {
        load();
        return cause;
    }

    @Override
    public final SwitchPort port() {
        SwitchPort p = load();
        if (p == null) {
            throw new IllegalStateException("provider " + id + " is not available: " + cause.getMessage(), cause);
        }
        return p;
    }

    private SwitchPort load() {
        if (probed) {
            return port;
        }
        synchronized (lock) {
            if (!probed) {
                try {
                    port = checkedBind();
                } catch (Throwable t) {
                    cause = t;
                }
                probed = true;
            }
        }
        return port;
    }

    /** Why this provider does not fit a JVM with these properties; a port may add a hint. */
    protected String unsupportedMessage(String osName, String osArch) {
        return id + " runs on " + platform + "; this JVM reports os.name=" + osName + ", os.arch=" + osArch;
    }

    private SwitchPort checkedBind() {
        if (!isSupported()) {
            throw new UnsupportedOperationException(
                    unsupportedMessage(System.getProperty("os.name"), System.getProperty("os.arch")));
        }
        SwitchPort p = bind();
        String mismatch = FiberControlBlock.verify(p);
        if (mismatch != null) {
            throw new IllegalStateException(id + ": " + mismatch + " [" + p + "]");
        }
        return p;
    }
}
