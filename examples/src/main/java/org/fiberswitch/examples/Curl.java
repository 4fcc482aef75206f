package org.fiberswitch.examples;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.FilterInputStream;
import java.io.IOException;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;
import org.fiberswitch.pull.Chunk;
import org.fiberswitch.pull.EarlyStop;
import org.fiberswitch.pull.NativeInputStream;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;

/**
 * Recipe: a libcurl transfer read as a Java {@link java.io.InputStream}, on the calling thread.
 *
 * <p>{@code curl_easy_perform} pushes the body through {@code CURLOPT_WRITEFUNCTION},
 * {@code size_t cb(char *ptr, size_t size, size_t nmemb, void *userdata)}, with
 * {@code CURLOPT_WRITEDATA} as {@code userdata} (integer position 3). The fiber runs
 * {@code curl_easy_perform}; each call of the write callback is one {@link Chunk}, read straight
 * from curl's buffer. Replying {@code size * nmemb} means "all taken". An early close replies 0 (a
 * short count), so curl aborts the transfer and returns {@code CURLE_WRITE_ERROR} (23), the expected
 * result of that stop.
 *
 * <pre>{@code
 * try (InputStream in = Curl.open(runtime, "file:///tmp/data.bin")) {
 *     in.transferTo(out);
 * }
 * }</pre>
 *
 * <p>{@code curl_easy_setopt} is variadic; through JNA's {@link Function#invokeInt(Object[])} a
 * {@code long} option gets a Java {@code long}, and pointer options get a {@link Pointer}.
 */
public final class Curl {
    public static final int CURLE_OK = 0;
    public static final int CURLE_WRITE_ERROR = 23;
    public static final int CURLE_FILE_COULDNT_READ_FILE = 37;

    private static final int CURLOPT_WRITEDATA = 10001;
    private static final int CURLOPT_URL = 10002;
    private static final int CURLOPT_WRITEFUNCTION = 20011;
    private static final int CURLOPT_NOSIGNAL = 99;
    private static final long CURL_GLOBAL_DEFAULT = 3;

    private static final NativeLibrary LIB = NativeLibs.load("libcurl.so.4", "curl");
    private static final long PERFORM = NativeLibs.address(LIB, "curl_easy_perform");

    static {
        int rc = fn("curl_global_init").invokeInt(new Object[] {CURL_GLOBAL_DEFAULT});
        if (rc != CURLE_OK) {
            throw new ExceptionInInitializerError("curl_global_init returned " + rc);
        }
    }

    private Curl() {
    }

    /**
     * Streams the body at {@code url}. Nothing is transferred until the first read. Close the
     * stream: that ends the transfer if it is still running, and frees the curl handle.
     *
     * <p>A failed transfer surfaces from {@code read} (or {@code close}) as a
     * {@link org.fiberswitch.pull.NativeCallException} whose code is the {@code CURLcode}.
     */
    public static Transfer open(FiberRuntime runtime, String url) {
        Pointer curl = fn("curl_easy_init").invokePointer(new Object[0]);
        if (curl == null) {
            throw new IllegalStateException("curl_easy_init returned NULL");
        }
        try {
            return create(runtime, curl, url);
        } catch (RuntimeException | Error e) {
            fn("curl_easy_cleanup").invokeVoid(new Object[] {curl}); // no transfer started: free it here
            throw e;
        }
    }

    private static Transfer create(FiberRuntime runtime, Pointer curl, String url) {
        CallbackStub write = runtime.callbackStub(3); // cb(ptr, size, nmemb, userdata)
        setopt(curl, CURLOPT_URL, url);
        setopt(curl, CURLOPT_NOSIGNAL, 1L);
        setopt(curl, CURLOPT_WRITEFUNCTION, new Pointer(write.address()));
        long handle = Pointer.nativeValue(curl);
        NativePull<Chunk> chunks = NativePull.calling(runtime, PERFORM, self -> {
                    setopt(curl, CURLOPT_WRITEDATA, new Pointer(self)); // the fiber's handle is the user data
                    return new long[] {handle};
                }, cb -> {
                    long n = cb.longArg(1) * cb.longArg(2);
                    return Step.emit(new Chunk(cb.longArg(0), n), n); // reply n: all bytes taken
                })
                .name("curl_easy_perform")
                .stack(StackOptions.defaults().withSize(1 << 20))
                .intResult()
                .succeedsWhen(rc -> rc == CURLE_OK)
                .earlyStop(EarlyStop.abortWith(0, rc -> rc == CURLE_WRITE_ERROR))
                .describeErrors(rc -> fn("curl_easy_strerror").invokeString(new Object[] {(int) rc}, false))
                .build();
        return new Transfer(new NativeInputStream(chunks), curl);
    }

    /** The body as a stream; closing it ends the transfer, then frees the curl handle. */
    public static final class Transfer extends FilterInputStream {
        private Pointer curl;

        Transfer(NativeInputStream body, Pointer curl) {
            super(body);
            this.curl = curl;
        }

        /** The pull underneath: its result is the {@code CURLcode} once the transfer has ended. */
        public NativePull<Chunk> pull() {
            return ((NativeInputStream) in).pull();
        }

        @Override
        public void close() throws IOException {
            if (curl == null) {
                return;
            }
            try {
                in.close(); // first the transfer must end: curl_easy_perform still uses the handle
            } finally {
                fn("curl_easy_cleanup").invokeVoid(new Object[] {curl});
                curl = null;
            }
        }
    }

    private static void setopt(Pointer curl, int option, Object value) {
        int rc = fn("curl_easy_setopt").invokeInt(new Object[] {curl, option, value});
        if (rc != CURLE_OK) {
            throw new IllegalStateException("curl_easy_setopt(" + option + ") returned " + rc);
        }
    }

    private static Function fn(String name) {
        return NativeLibs.function(LIB, name);
    }
}
