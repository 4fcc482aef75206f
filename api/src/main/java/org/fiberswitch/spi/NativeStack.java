package org.fiberswitch.spi;

/**
 * One stack mapping from the OS: {@code [base, base + mappingSize)}, with an optional guard page
 * at the bottom. The FCB takes the top {@link FiberControlBlock#SIZE} bytes; the fiber's stack
 * grows down from there to {@link #lowestUsable()}.
 *
 * @param base        first byte of the mapping (the guard page, if any)
 * @param mappingSize bytes mapped in all
 * @param guardSize   bytes of inaccessible guard at {@code base}, 0 for none
 * @param committed   whether all pages were committed up front
 */
public record NativeStack(long base, long mappingSize, long guardSize, boolean committed) {

    /** Lowest address the fiber may use. */
    public long lowestUsable() {
        return base + guardSize;
    }

    /** Address of the FCB, which is also the top of the usable stack. */
    public long controlBlock() {
        return base + mappingSize - FiberControlBlock.SIZE;
    }

    /** Bytes the fiber can use for frames. */
    public long usableSize() {
        return controlBlock() - lowestUsable();
    }
}
