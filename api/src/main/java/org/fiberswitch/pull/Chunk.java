package org.fiberswitch.pull;

/**
 * A run of bytes in native memory, as a byte-chunk callback hands it over (curl's write callback:
 * {@code ptr} and {@code size * nmemb}). It is the element type that {@link NativeInputStream} reads.
 *
 * <p>The memory belongs to the native library and is valid only while the fiber waits in that
 * callback, that is, until the stream asks for the next chunk or is closed.
 *
 * @param address first byte
 * @param length  number of bytes (0 or more)
 */
public record Chunk(long address, long length) {
    /** @throws IllegalArgumentException for a negative length, or bytes at address 0 */
    public Chunk {
        if (length < 0) {
            throw new IllegalArgumentException("chunk length " + length + " is negative");
        }
        if (address == 0 && length > 0) {
            throw new IllegalArgumentException("chunk of " + length + " bytes at address 0 (null)");
        }
    }
}
