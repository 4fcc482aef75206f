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

    private final SwitchProvider provider;
    private final SwitchPort port;
    private final String accelerator;
    private final StackPool pool;
    private final long yieldAddress;
    private final long stubsAddress;
    private final CallbackSupport callbacks;
    private final Set<Fiber> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean closed;

    private FiberRuntime(SwitchProvider provider) {
        this.provider = provider;
        SwitchPort bound = provider.port();
        String mismatch = FiberControlBlock.verify(bound);
        if (mismatch != null) {
            throw new ProviderNotFoundException("provider " + provider.id() + " failed the ABI handshake: "
                    + mismatch);
        }
        SwitchPort fast = null;
        String used = "none";
        if (!"false".equalsIgnoreCase(System.getProperty(ACCELERATE_PROPERTY))) {
            for (PortAccelerator a : accelerators()) {
                try {
                    fast = a.accelerate(bound);
                } catch (RuntimeException | LinkageError e) {
                    fast = null; // a failing accelerator must not cost the runtime: try the next
                }
                if (fast != null) {
                    used = a.id();
                    break;
                }
            }
        }
        this.port = fast != null ? fast : bound;
        this.accelerator = used;
        this.pool = new StackPool(port.stackMemory());
        this.yieldAddress = port.yieldAddress();
        this.stubsAddress = port.callbackStubsAddress();
        this.callbacks = port.callbackSupport();
    }

    /**
     * Opens a runtime on the provider named by {@value #PROVIDER_PROPERTY}, or else on the
     * available provider with the highest priority.
     *
     * @throws ProviderNotFoundException if none can be used; the message lists what was found
     */
    public static FiberRuntime open() {
        String wanted = System.getProperty(PROVIDER_PROPERTY);
        if (wanted != null && !wanted.isBlank()) {
            return open(wanted.trim());
        }
        List<SwitchProvider> found = discover();
        SwitchProvider best = found.stream()
                .filter(p -> safeSupported(p) && safeAvailable(p))
                .max(Comparator.comparingInt(SwitchProvider::priority))
                .orElse(null);
        if (best == null) {
            throw new ProviderNotFoundException("no usable fiberswitch provider for os.name="
                    + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                    + ". Found: " + describe(found)
                    + ". Add the provider jar for this platform (for example fiberswitch-spi-linux-x64)"
                    + " to the class path or module path.");
        }
        return new FiberRuntime(best);
    }

    /**
     * Opens a runtime on the provider with this id or implementation class name, and on no other.
     *
     * @throws ProviderNotFoundException if it is not found, not made for this platform, or not
     *     available; the message says which and why
     */
    public static FiberRuntime open(String providerIdOrClass) {
        Objects.requireNonNull(providerIdOrClass, "providerIdOrClass");
        List<SwitchProvider> found = discover();
        SwitchProvider match = null;
        for (SwitchProvider p : found) {
            if (p.id().equals(providerIdOrClass) || p.getClass().getName().equals(providerIdOrClass)) {
                match = p;
                break;
            }
        }
        if (match == null) {
            match = instantiate(providerIdOrClass, found);
        }
        if (!safeSupported(match)) {
            throw new ProviderNotFoundException("provider '" + providerIdOrClass + "' ("
                    + match.getClass().getName() + ") is not made for os.name=" + System.getProperty("os.name")
                    + ", os.arch=" + System.getProperty("os.arch") + "; remove -D" + PROVIDER_PROPERTY
                    + " to pick automatically. Found: " + describe(found));
        }
        if (!safeAvailable(match)) {
            Throwable cause = match.unavailabilityCause();
            throw new ProviderNotFoundException("provider '" + providerIdOrClass + "' is not available: "
                    + (cause == null ? "no reason given" : cause.getMessage()), cause);
        }
        return new FiberRuntime(match);
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
        return new FiberRuntime(provider);
    }

    /** Every provider {@link ServiceLoader} finds, with whether it can be used here and why not. */
    public static List<ProviderStatus> providers() {
        List<ProviderStatus> out = new ArrayList<>();
        for (SwitchProvider p : discover()) {
            out.add(status(p));
        }
        return out;
    }

    private static ProviderStatus status(SwitchProvider p) {
        boolean supported = safeSupported(p);
        boolean available = supported && safeAvailable(p);
        String reason = null;
        if (!supported) {
            reason = "made for another OS or architecture";
        } else if (!available) {
            Throwable cause = p.unavailabilityCause();
            reason = cause == null ? "no reason given" : cause.getMessage();
        }
        return new ProviderStatus(p.id(), p.getClass().getName(), p.priority(), supported, available, reason);
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

    private static List<SwitchProvider> discover() {
        List<SwitchProvider> out = new ArrayList<>();
        ServiceLoader<SwitchProvider> loader = ServiceLoader.load(SwitchProvider.class,
                FiberRuntime.class.getClassLoader());
        var it = loader.iterator();
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

    private static List<PortAccelerator> accelerators() {
        List<PortAccelerator> out = new ArrayList<>();
        var it = ServiceLoader.load(PortAccelerator.class, FiberRuntime.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                out.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                // An accelerator that cannot load here (say, built for a newer JDK) is skipped;
                // the others, and the plain port, still work.
            }
        }
        out.sort(Comparator.comparingInt(PortAccelerator::priority).reversed());
        return out;
    }

    private static SwitchProvider instantiate(String className, List<SwitchProvider> found) {
        try {
            Class<?> c = Class.forName(className, true, FiberRuntime.class.getClassLoader());
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
                    + ": " + e, e);
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
