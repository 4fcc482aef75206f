package org.fiberswitch.pull;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The bytes a native call pushes through a chunk callback, read as an {@link InputStream}.
 *
 * <p>Build a {@link NativePull NativePull&lt;Chunk&gt;} whose mapper emits each callback's buffer
 * as a {@link Chunk}, with the reply that means "all taken". {@code read} copies straight from the
 * library's buffer into yours while the fiber waits in the callback; when a chunk is used up, the
 * next {@code read} sends the reply and resumes the native call until it delivers the next chunk.
 * Nothing is buffered in Java beyond the chunk the library itself holds.
 *
 * <pre>{@code
 * // size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata): userdata at position 3
 * CallbackStub write = runtime.callbackStub(3);
 * NativePull<Chunk> chunks = NativePull.calling(runtime, curlEasyPerform, self -> new long[] {curl},
 *         cb -> {
 *             long n = cb.longArg(1) * cb.longArg(2);
 *             return Step.emit(new Chunk(cb.longArg(0), n), n);   // reply n: all taken
 *         })
 *     .intResult().succeedsWhen(rc -> rc == 0)
 *     .earlyStop(EarlyStop.abortWith(0, rc -> rc == 23))         // short count: CURLE_WRITE_ERROR
 *     .build();
 * try (InputStream in = new NativeInputStream(chunks)) { in.transferTo(out); }
 * }</pre>
 *
 * <p>{@link #close()} closes the pull, so a stream closed before the end stops the native call by
 * the pull's {@link EarlyStop} policy. Errors of the native call ({@link NativeCallException}) and
 * of the mapper are thrown as they are from {@code read}, not wrapped in {@link IOException}.
 * Reading after close throws {@link IOException}. Not thread-safe.
 */
public final class NativeInputStream extends InputStream {
    private final NativePull<Chunk> chunks;
    private Chunk current;
    private long position;
    private boolean eof;
    private boolean closed;

    /** Reads the chunks of {@code chunks}, which this stream owns from now on (and closes). */
    public NativeInputStream(NativePull<Chunk> chunks) {
        this.chunks = Objects.requireNonNull(chunks, "chunks");
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = (int) Math.min(len, current.length() - position);
        new Pointer(current.address()).read(position, b, off, n);
        position += n;
        return n;
    }

    /** Bytes readable without resuming the native call: what is left of the current chunk. */
    @Override
    public int available() throws IOException {
        ensureOpen();
        return current == null ? 0 : (int) Math.min(Integer.MAX_VALUE, current.length() - position);
    }

    /** Makes sure an unread byte is at hand; false at the end of the data. */
    private boolean fill() {
        while (current == null || position == current.length()) {
            if (eof) {
                return false;
            }
            current = null;
            if (!chunks.hasNext()) {
                eof = true;
                return false;
            }
            current = chunks.next();
            position = 0;
        }
        return true;
    }

    /** The pull underneath, for its result once the stream is read to the end or closed. */
    public NativePull<Chunk> pull() {
        return chunks;
    }

    /**
     * Closes the stream and its pull: if the native call has not returned, it is stopped by the
     * pull's {@link EarlyStop} policy before this returns. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        current = null;
        chunks.close();
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("this NativeInputStream is closed");
        }
    }
}
