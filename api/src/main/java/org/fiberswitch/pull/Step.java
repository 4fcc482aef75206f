package org.fiberswitch.pull;

/**
 * What a mapper decided about one native event: whether it becomes an element, and what to reply.
 *
 * <p>The reply is what the native callback returns (or, for a generator, what
 * {@code fiberswitch_yield} returns). It is <em>not</em> sent at once: the fiber stays suspended
 * inside the callback while the consumer looks at the element, so pointers the callback received
 * (a row's strings, a chunk of bytes) stay valid until the consumer asks for the next element or
 * closes. Only then is the reply sent and the fiber resumed.
 *
 * <pre>{@code
 * Step.emit(row, 0)        // an element; the callback returns 0 ("go on") when the consumer moves on
 * Step.skip(0)             // no element for this event; reply 0 at once and continue
 * Step.emit(x, 1.5)        // for a stub declared with CallbackReturn.DOUBLE
 * }</pre>
 *
 * @param <T> the element type
 */
public final class Step<T> {
    private final T value;
    private final boolean emits;
    private final long reply;
    private final boolean doubleReply;

    private Step(T value, boolean emits, long reply, boolean doubleReply) {
        this.value = value;
        this.emits = emits;
        this.reply = reply;
        this.doubleReply = doubleReply;
    }

    /**
     * An element, with the reply to send when the consumer moves past it.
     *
     * @throws NullPointerException if {@code value} is null (streams of native events hold no nulls;
     *     use {@link #skip(long)} for "no element")
     */
    public static <T> Step<T> emit(T value, long reply) {
        if (value == null) {
            throw new NullPointerException("a Step cannot emit null; use Step.skip(reply) for no element");
        }
        return new Step<>(value, true, reply, false);
    }

    /** As {@link #emit(Object, long)}, for a callback stub that returns {@code double}. */
    public static <T> Step<T> emit(T value, double reply) {
        if (value == null) {
            throw new NullPointerException("a Step cannot emit null; use Step.skip(reply) for no element");
        }
        return new Step<>(value, true, Double.doubleToRawLongBits(reply), true);
    }

    /** No element for this event; {@code reply} is sent at once and the fiber continues. */
    public static <T> Step<T> skip(long reply) {
        return new Step<>(null, false, reply, false);
    }

    /** As {@link #skip(long)}, for a callback stub that returns {@code double}. */
    public static <T> Step<T> skip(double reply) {
        return new Step<>(null, false, Double.doubleToRawLongBits(reply), true);
    }

    /** Whether this step produces an element. */
    public boolean emits() {
        return emits;
    }

    /** The element, or {@code null} for a skip. */
    public T value() {
        return value;
    }

    /** The reply as an integer; for a double reply, its raw IEEE-754 bits. */
    public long reply() {
        return reply;
    }

    /** Whether the reply is a {@code double} (made by the {@code double} factories). */
    public boolean isDoubleReply() {
        return doubleReply;
    }

    @Override
    public String toString() {
        String r = doubleReply ? Double.toString(Double.longBitsToDouble(reply)) : Long.toString(reply);
        return emits ? "Step.emit(" + value + ", reply " + r + ")" : "Step.skip(reply " + r + ")";
    }
}
