package org.fiberswitch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.fiberswitch.spi.CallbackSupport;
import org.fiberswitch.spi.FiberControlBlock;
import org.fiberswitch.spi.PortAccelerator;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;

/**
 * The entry point: one bound switch provider, the fibers made with it, and their stack pool.
 *
 * <p>{@link #open()} picks the best available provider that {@link ServiceLoader} finds, or the one
 * named by the system property {@value #PROVIDER_PROPERTY} (an id such as {@code linux-x64-sysv}, or
 * a class name), which is strict: if it cannot be honoured, opening fails and says why.
 * {@link #providers()} lists what was found and why each provider is or is not usable.
 *
 * <p>A runtime is thread-safe. Closing it closes its fibers and returns all stacks to the OS;
 * using it afterwards throws {@link FiberStateException}.
 */
public final class FiberRuntime implements AutoCloseable {
    /** System property that forces a provider by id or class name. */
    public static final String PROVIDER_PROPERTY = "fiberswitch.provider";
    /** System property; {@code false} turns {@link PortAccelerator}s off. */
    public static final String ACCELERATE_PROPERTY = "fiberswitch.accelerate";

    /** Which provider, binding and accelerator were chosen, and why others were not (DEBUG). */
    private static final System.Logger LOG = System.getLogger(FiberRuntime.class.getName());

    private final SwitchProvider provider;
    private final SwitchPort port;
    private final String accelerator;
    private final List<String> acceleratorNotes;
    private final StackPool pool;
    private final long yieldAddress;
    private final long stubsAddress;
    private final CallbackSupport callbacks;
    private final Set<Fiber> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean closed;

    private FiberRuntime(SwitchProvider provider, Discovery discovery) {
        this.provider = provider;
        SwitchPort bound = provider.port();
        String mismatch = FiberControlBlock.verify(bound);
        if (mismatch != null) {
            throw new ProviderNotFoundException("provider " + provider.id() + " failed the ABI handshake: "
                    + mismatch + " [" + bound + "]");
        }
        SwitchPort fast = null;
        String used = "none";
        List<String> notes = new ArrayList<>(discovery.acceleratorLoadFailures());
        if ("false".equalsIgnoreCase(System.getProperty(ACCELERATE_PROPERTY))) {
            notes.add("accelerators are off (-D" + ACCELERATE_PROPERTY + "=false)");
        } else {
            for (PortAccelerator a : discovery.accelerators()) {
                try {
                    fast = a.accelerate(bound);
                    if (fast == null) {
                        notes.add(a.id() + ": declined this port on this JVM");
                    }
                } catch (RuntimeException | LinkageError e) {
                    // A failing accelerator must not cost the runtime: note it, try the next.
                    fast = null;
                    notes.add(a.id() + ": failed: " + e);
                    LOG.log(System.Logger.Level.WARNING, "fiberswitch: accelerator " + a.id() + " failed on "
                            + provider.id() + "; using the provider's own binding", e);
                }
                if (fast != null) {
                    used = a.id();
                    break;
                }
            }
        }
        this.port = fast != null ? fast : bound;
        this.accelerator = used;
        this.acceleratorNotes = List.copyOf(notes);
        this.pool = new StackPool(port.stackMemory());
        this.yieldAddress = port.yieldAddress();
        this.stubsAddress = port.callbackStubsAddress();
        this.callbacks = port.callbackSupport();
        LOG.log(System.Logger.Level.DEBUG, () -> "fiberswitch: runtime opened on " + this.port + ", accelerator "
                + accelerator + (acceleratorNotes.isEmpty() ? "" : " " + acceleratorNotes));
    }

    /**
     * Opens a runtime on the provider named by {@value #PROVIDER_PROPERTY}, or else on the
     * available provider with the highest priority, among those {@link ServiceLoader} finds through
     * the class loader of the fiberswitch api.
     *
     * @throws ProviderNotFoundException if none can be used; the message lists what was found
     */
    public static FiberRuntime open() {
        return open(Discovery.of(FiberRuntime.class.getClassLoader()));
    }

    /**
     * As {@link #open()}, finding providers and accelerators through {@code loader}: for plugin hosts
     * and web applications whose provider jars are visible only to their own loader.
     */
    public static FiberRuntime open(ClassLoader loader) {
        return open(Discovery.of(Objects.requireNonNull(loader, "loader")));
    }

    /** As {@link #open()}, finding providers and accelerators in the modules of {@code layer}. */
    public static FiberRuntime open(ModuleLayer layer) {
        return open(Discovery.of(Objects.requireNonNull(layer, "layer")));
    }

    private static FiberRuntime open(Discovery discovery) {
        String wanted = System.getProperty(PROVIDER_PROPERTY);
        if (wanted != null && !wanted.isBlank()) {
            return open(wanted.trim(), discovery);
        }
        List<SwitchProvider> found = discovery.providers();
        SwitchProvider best = found.stream()
                .filter(p -> safeSupported(p) && safeAvailable(p))
                .max(Comparator.comparingInt(SwitchProvider::priority))
                .orElse(null);
        if (best == null) {
            ProviderNotFoundException e = new ProviderNotFoundException("no usable fiberswitch provider for os.name="
                    + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                    + ". Found: " + describe(found)
                    + ". Add the provider jar for this platform (fiberswitch-providers carries every one)"
                    + " to the class path or module path.");
            // Every provider made for this platform that failed to load says why, as a cause or suppressed.
            for (SwitchProvider p : found) {
                Throwable cause = safeSupported(p) ? p.unavailabilityCause() : null;
                if (cause != null) {
                    if (e.getCause() == null) {
                        e.initCause(cause);
                    } else {
                        e.addSuppressed(cause);
                    }
                }
            }
            throw e;
        }
        logChoice(best, found);
        return new FiberRuntime(best, discovery);
    }

    private static void logChoice(SwitchProvider chosen, List<SwitchProvider> found) {
        LOG.log(System.Logger.Level.DEBUG, () -> {
            List<String> others = new ArrayList<>();
            for (SwitchProvider p : found) {
                if (p != chosen) {
                    others.add(status(p).toString());
                }
            }
            return "fiberswitch: chose provider " + chosen.id() + " (priority " + chosen.priority() + ")"
                    + (others.isEmpty() ? "" : "; passed over: " + String.join("; ", others));
        });
    }

    /**
     * Opens a runtime on the provider with this id or implementation class name, and on no other.
     *
     * @throws ProviderNotFoundException if it is not found, not made for this platform, or not
     *     available; the message says which and why
     */
    public static FiberRuntime open(String providerIdOrClass) {
        return open(Objects.requireNonNull(providerIdOrClass, "providerIdOrClass"),
                Discovery.of(FiberRuntime.class.getClassLoader()));
    }

    private static FiberRuntime open(String providerIdOrClass, Discovery discovery) {
        List<SwitchProvider> found = discovery.providers();
        SwitchProvider match = null;
        for (SwitchProvider p : found) {
            if (p.id().equals(providerIdOrClass) || p.getClass().getName().equals(providerIdOrClass)) {
                match = p;
                break;
            }
        }
        if (match == null) {
            match = instantiate(providerIdOrClass, found, discovery.classLoader());
        }
        if (!safeSupported(match)) {
            throw new ProviderNotFoundException("provider '" + providerIdOrClass + "' ("
                    + match.getClass().getName() + ") is not made for os.name=" + System.getProperty("os.name")
                    + ", os.arch=" + System.getProperty("os.arch") + " (" + status(match).reason() + "); remove -D"
                    + PROVIDER_PROPERTY + " to pick automatically. Found: " + describe(found),
                    supportCheckFailure(match));
        }
        if (!safeAvailable(match)) {
            Throwable cause = match.unavailabilityCause();
            throw new ProviderNotFoundException("provider '" + providerIdOrClass + "' is not available: "
                    + (cause == null ? "no reason given" : cause.getMessage()), cause);
        }
        return new FiberRuntime(match, discovery);
    }

    /**
     * Opens a runtime on this provider instance, as conformance kits and tests do.
     *
     * @throws ProviderNotFoundException if it is not available
     */
    public static FiberRuntime open(SwitchProvider provider) {
        Objects.requireNonNull(provider, "provider");
        if (!provider.isAvailable()) {
            Throwable cause = provider.unavailabilityCause();
            throw new ProviderNotFoundException("provider '" + provider.id() + "' is not available: "
                    + (cause == null ? "no reason given" : cause.getMessage()), cause);
        }
        return new FiberRuntime(provider, Discovery.of(FiberRuntime.class.getClassLoader()));
    }

    /** Every provider {@link ServiceLoader} finds, with whether it can be used here and why not. */
    public static List<ProviderStatus> providers() {
        return statuses(Discovery.of(FiberRuntime.class.getClassLoader()));
    }

    /** As {@link #providers()}, through {@code loader}. */
    public static List<ProviderStatus> providers(ClassLoader loader) {
        return statuses(Discovery.of(Objects.requireNonNull(loader, "loader")));
    }

    /** As {@link #providers()}, in the modules of {@code layer}. */
    public static List<ProviderStatus> providers(ModuleLayer layer) {
        return statuses(Discovery.of(Objects.requireNonNull(layer, "layer")));
    }

    private static List<ProviderStatus> statuses(Discovery discovery) {
        List<ProviderStatus> out = new ArrayList<>();
        for (SwitchProvider p : discovery.providers()) {
            out.add(status(p));
        }
        return out;
    }

    private static ProviderStatus status(SwitchProvider p) {
        Throwable checkFailed = supportCheckFailure(p);
        boolean supported = checkFailed == null && safeSupported(p);
        boolean available = supported && safeAvailable(p);
        String reason = null;
        if (checkFailed != null) {
            reason = "its isSupported() threw " + checkFailed;
        } else if (!supported) {
            // A provider that knows why it does not fit says so (a hint for Rosetta, say).
            Throwable why = safeCause(p);
            reason = why instanceof UnsupportedOperationException && why.getMessage() != null ? why.getMessage()
                    : "made for another OS or architecture";
        } else if (!available) {
            Throwable cause = safeCause(p);
            reason = cause == null ? "no reason given" : cause.getMessage();
        }
        return new ProviderStatus(p.id(), p.getClass().getName(), p.priority(), supported, available, reason);
    }

    private static Throwable safeCause(SwitchProvider p) {
        try {
            return p.unavailabilityCause();
        } catch (RuntimeException | LinkageError e) {
            return e;
        }
    }

    /** What {@code p.isSupported()} threw, or null when it answered. */
    private static Throwable supportCheckFailure(SwitchProvider p) {
        try {
            p.isSupported();
            return null;
        } catch (RuntimeException | LinkageError e) {
            return e;
        }
    }

    private static String describe(List<SwitchProvider> found) {
        if (found.isEmpty()) {
            return "no providers on the class path";
        }
        List<String> lines = new ArrayList<>();
        for (SwitchProvider p : found) {
            lines.add(status(p).toString());
        }
        return String.join("; ", lines);
    }

    /** Where providers and accelerators are looked for: a class loader or a module layer. */
    private record Discovery(ClassLoader loader, ModuleLayer layer, List<String> acceleratorLoadFailures,
            List<PortAccelerator> accelerators) {

        static Discovery of(ClassLoader loader) {
            return accelerators(loader, null, ServiceLoader.load(PortAccelerator.class, loader));
        }

        static Discovery of(ModuleLayer layer) {
            return accelerators(null, layer, ServiceLoader.load(layer, PortAccelerator.class));
        }

        private static Discovery accelerators(ClassLoader loader, ModuleLayer layer, ServiceLoader<PortAccelerator> sl) {
            List<PortAccelerator> out = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            var it = sl.iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    out.add(it.next());
                } catch (ServiceConfigurationError | LinkageError e) {
                    // An accelerator that cannot load here (say, built for a newer JDK) is skipped and
                    // noted; the others, and the plain port, still work.
                    failures.add("an accelerator could not be loaded: " + e);
                }
            }
            out.sort(Comparator.comparingInt(PortAccelerator::priority).reversed());
            return new Discovery(loader, layer, failures, out);
        }

        List<SwitchProvider> providers() {
            List<SwitchProvider> out = new ArrayList<>();
            ServiceLoader<SwitchProvider> sl = layer != null ? ServiceLoader.load(layer, SwitchProvider.class)
                    : ServiceLoader.load(SwitchProvider.class, loader);
            var it = sl.iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    out.add(it.next());
                } catch (ServiceConfigurationError e) {
                    // A broken provider jar must not hide the others; it shows up in open()'s message.
                    out.add(new BrokenProvider(e));
                }
            }
            return out;
        }

        ClassLoader classLoader() {
            return loader != null ? loader : FiberRuntime.class.getClassLoader();
        }
    }

    private static SwitchProvider instantiate(String className, List<SwitchProvider> found, ClassLoader loader) {
        try {
            Class<?> c = Class.forName(className, true, loader);
            if (!SwitchProvider.class.isAssignableFrom(c)) {
                throw new ProviderNotFoundException("-D" + PROVIDER_PROPERTY + "=" + className
                        + " names a class that does not implement " + SwitchProvider.class.getName());
            }
            return (SwitchProvider) c.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new ProviderNotFoundException("no provider has the id or class '" + className
                    + "'. Found: " + describe(found) + ". Fix -D" + PROVIDER_PROPERTY
                    + " or add the provider's jar.");
        } catch (ReflectiveOperationException e) {
            throw new ProviderNotFoundException("cannot instantiate provider class " + className
                    + " (it needs a public no-argument constructor): " + e, e);
        }
    }

    private static boolean safeSupported(SwitchProvider p) {
        try {
            return p.isSupported();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static boolean safeAvailable(SwitchProvider p) {
        try {
            return p.isAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** The provider this runtime runs on. */
    public SwitchProvider provider() {
        return provider;
    }

    /**
     * The id of the {@link PortAccelerator} in use, or {@code "none"} when the provider's own
     * binding is used.
     */
    public String accelerator() {
        return accelerator;
    }

    /**
     * Why the accelerators found were not used, one note each (declined this port, failed with an
     * exception, could not be loaded, turned off); empty when one is in use and none failed.
     */
    public List<String> acceleratorNotes() {
        return acceleratorNotes;
    }

    /** The port this runtime calls: the provider's, or an accelerated one in front of it. */
    public SwitchPort port() {
        return port;
    }

    /** The id of the provider this runtime runs on. */
    public String providerId() {
        return provider.id();
    }

    /** Which callback argument positions the provider captures. */
    public CallbackSupport callbackSupport() {
        return callbacks;
    }

    /**
     * The address of {@code intptr_t fiberswitch_yield(void *self, intptr_t value)}, for native
     * code that runs on fibers and was not linked against the provider's library.
     */
    public long yieldFunction() {
        ensureOpen();
        return yieldAddress;
    }

    /**
     * A fiber that calls {@code intptr_t entry(void *self, intptr_t arg)} on its own stack, with
     * the default stack options. The entry yields with {@code fiberswitch_yield(self, value)}.
     */
    public Fiber newFiber(long entry, long arg) {
        return newFiber(entry, arg, StackOptions.defaults());
    }

    /** As {@link #newFiber(long, long)}, with the given stack options. */
    public Fiber newFiber(long entry, long arg, StackOptions options) {
        return create(entry, self -> new long[] {self, arg}, options);
    }

    /**
     * A fiber that calls any native function with up to six integer/pointer arguments on its own
     * stack (the call trampoline); its return value becomes the fiber's result.
     */
    public Fiber newCall(long function, long... args) {
        long[] copy = args.clone();
        checkArgCount(copy.length);
        return create(function, self -> copy, StackOptions.defaults());
    }

    /**
     * As {@link #newCall(long, long...)}, with arguments computed once the fiber's handle is known,
     * for APIs that take a callback's user data in the call itself.
     */
    public Fiber newCall(long function, FiberArguments arguments) {
        return newCall(function, arguments, StackOptions.defaults());
    }

    /** As {@link #newCall(long, FiberArguments)}, with the given stack options. */
    public Fiber newCall(long function, FiberArguments arguments, StackOptions options) {
        return create(function, Objects.requireNonNull(arguments, "arguments"), options);
    }

    private static void checkArgCount(int n) {
        if (n > FiberControlBlock.MAX_CALL_ARGS) {
            throw new IllegalArgumentException(n + " arguments given; a call fiber passes at most "
                    + FiberControlBlock.MAX_CALL_ARGS + " integer/pointer arguments. Pass a pointer "
                    + "to a struct, or write a small native wrapper.");
        }
    }

    private Fiber create(long function, FiberArguments arguments, StackOptions options) {
        ensureOpen();
        if (function == 0L) {
            throw new IllegalArgumentException("the function address is 0 (null); pass the address of a"
                    + " native function, for example NativeSymbols.address(\"c\", \"qsort_r\")");
        }
        Objects.requireNonNull(options, "options");
        Fiber f = new Fiber(this, ids.incrementAndGet(), function, arguments, options);
        live.add(f);
        if (closed) {
            live.remove(f);
            throw closedError();
        }
        return f;
    }

    /** A callback stub that returns an integer, with tag 0. See {@link #callbackStub(int, CallbackReturn, int)}. */
    public CallbackStub callbackStub(int userDataPosition) {
        return callbackStub(userDataPosition, CallbackReturn.INTEGER, 0);
    }

    /**
     * A native function pointer to pass in place of a callback. The callback's user-data argument,
     * at integer position {@code userDataPosition}, must be the fiber's {@link Fiber#handle()}.
     * Stubs are shared by all fibers of the provider; the tag tells several callbacks of one fiber
     * apart.
     *
     * @throws IllegalArgumentException if the position or tag is outside what the port supports
     */
    public CallbackStub callbackStub(int userDataPosition, CallbackReturn returns, int tag) {
        ensureOpen();
        Objects.requireNonNull(returns, "returns");
        if (userDataPosition < 0 || userDataPosition >= callbacks.userDataPositions()) {
            throw new IllegalArgumentException("user data position " + userDataPosition + " is not supported by "
                    + provider.id() + ": use 0.." + (callbacks.userDataPositions() - 1) + " ("
                    + callbacks.description() + ")");
        }
        if (tag < 0 || tag >= callbacks.tags()) {
            throw new IllegalArgumentException("callback tag " + tag + " is out of range: use 0.."
                    + (callbacks.tags() - 1));
        }
        int id = FiberControlBlock.stubId(tag, userDataPosition, returns == CallbackReturn.DOUBLE);
        return new CallbackStub(stubsAddress + (long) id * FiberControlBlock.STUB_STRIDE,
                userDataPosition, returns, tag);
    }

    /** Fibers made and not yet done or closed. */
    public int liveFibers() {
        return live.size();
    }

    /** Stacks kept in the pool for reuse. */
    public int pooledStacks() {
        return pool.idleCount();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes every fiber of this runtime and returns all stacks to the OS. Idempotent.
     *
     * @throws FiberStateException if one of its fibers is running; close after its resume returns
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (Fiber f : live) {
            if (f.state() == FiberState.RUNNING) {
                throw new FiberStateException("cannot close the runtime while fiber " + f.id()
                        + " runs; close it after that fiber's resume returns");
            }
        }
        closed = true;
        for (Fiber f : live) {
            f.close();
        }
        live.clear();
        pool.close();
    }

    void ensureOpen() {
        if (closed) {
            throw closedError();
        }
    }

    private FiberStateException closedError() {
        return new FiberStateException("this FiberRuntime (provider " + provider.id()
                + ") is closed; open a new one with FiberRuntime.open()");
    }

    StackPool pool() {
        return pool;
    }

    void forget(Fiber f) {
        live.remove(f);
    }

    @Override
    public String toString() {
        return "FiberRuntime[" + provider.id() + (closed ? ", closed" : "") + ", " + live.size()
                + " live fibers]";
    }

    /** Stands in for a provider whose jar is broken, so discovery can report it. */
    private static final class BrokenProvider implements SwitchProvider {
        private final ServiceConfigurationError error;

        BrokenProvider(ServiceConfigurationError error) {
            this.error = error;
        }

        @Override
        public String id() {
            return "broken-provider";
        }

        @Override
        public int priority() {
            return Integer.MIN_VALUE;
        }

        @Override
        public boolean isSupported() {
            return true;
        }

        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public Throwable unavailabilityCause() {
            return error;
        }

        @Override
        public SwitchPort port() {
            throw new IllegalStateException(error.getMessage(), error);
        }
    }
}
