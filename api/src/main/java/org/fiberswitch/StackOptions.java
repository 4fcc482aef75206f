package org.fiberswitch;

import java.util.Objects;

/**
 * How a fiber's stack is made. Immutable; start from {@link #defaults()}:
 *
 * <pre>{@code
 * StackOptions big = StackOptions.defaults().withSize(8 << 20).withCommit(StackOptions.Commit.EAGER);
 * }</pre>
 *
 * <ul>
 *   <li><b>size</b>: bytes for the stack, including the 384-byte fiber control block at its top;
 *       from {@link #MIN_SIZE} (16 KiB) to {@link #MAX_SIZE} (1 GiB), rounded up to the page size.
 *       Default {@link #DEFAULT_SIZE} (256 KiB).</li>
 *   <li><b>guard page</b>: an inaccessible page below the stack, so an overflow stops the process
 *       at once instead of overwriting a neighbour. On by default; costs one extra mapping per stack.</li>
 *   <li><b>commit</b>: {@link Commit#LAZY} (pages are committed on first touch; the default) or
 *       {@link Commit#EAGER} (all committed up front: no page faults later).</li>
 *   <li><b>pooled</b>: a finished or closed fiber's stack is kept for the next fiber with the same
 *       options instead of going back to the OS. On by default.</li>
 * </ul>
 */
public final class StackOptions {
    /** Smallest stack size accepted: room for the control block and a few native frames. */
    public static final long MIN_SIZE = 16 * 1024;
    /** Largest stack size accepted. */
    public static final long MAX_SIZE = 1L << 30;
    /** Default stack size. */
    public static final long DEFAULT_SIZE = 256 * 1024;

    /** When stack pages are committed. */
    public enum Commit {
        /** On first touch. */
        LAZY,
        /** All up front. */
        EAGER
    }

    private static final StackOptions DEFAULTS = new StackOptions(DEFAULT_SIZE, true, Commit.LAZY, true);

    private final long size;
    private final boolean guardPage;
    private final Commit commit;
    private final boolean pooled;

    private StackOptions(long size, boolean guardPage, Commit commit, boolean pooled) {
        this.size = size;
        this.guardPage = guardPage;
        this.commit = commit;
        this.pooled = pooled;
    }

    /** 256 KiB, guard page, lazily committed, pooled. */
    public static StackOptions defaults() {
        return DEFAULTS;
    }

    /**
     * @throws IllegalArgumentException if {@code bytes} is outside [{@link #MIN_SIZE}, {@link #MAX_SIZE}]
     */
    public StackOptions withSize(long bytes) {
        if (bytes < MIN_SIZE || bytes > MAX_SIZE) {
            throw new IllegalArgumentException("stack size " + bytes + " bytes is out of range: use "
                    + MIN_SIZE + " (16 KiB) to " + MAX_SIZE + " (1 GiB); it is rounded up to the page size");
        }
        return new StackOptions(bytes, guardPage, commit, pooled);
    }

    public StackOptions withGuardPage(boolean guard) {
        return new StackOptions(size, guard, commit, pooled);
    }

    public StackOptions withCommit(Commit when) {
        return new StackOptions(size, guardPage, Objects.requireNonNull(when, "commit"), pooled);
    }

    public StackOptions withPooling(boolean pool) {
        return new StackOptions(size, guardPage, commit, pool);
    }

    public long size() {
        return size;
    }

    public boolean guardPage() {
        return guardPage;
    }

    public Commit commit() {
        return commit;
    }

    public boolean pooled() {
        return pooled;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StackOptions s && s.size == size && s.guardPage == guardPage
                && s.commit == commit && s.pooled == pooled;
    }

    @Override
    public int hashCode() {
        return Objects.hash(size, guardPage, commit, pooled);
    }

    @Override
    public String toString() {
        return "StackOptions[size=" + size + ", guardPage=" + guardPage + ", commit=" + commit
                + ", pooled=" + pooled + "]";
    }
}
