package org.fiberswitch;

import java.nio.ByteBuffer;
import org.fiberswitch.spi.FiberControlBlock;

/**
 * A native callback that fired on a fiber: native code called a {@link CallbackStub}, and the
 * fiber is suspended inside that call until the reply.
 *
 * <p>Read the arguments, then reply: {@link #reply(long)} (or {@link #reply(double)} for a stub
 * that returns double) becomes the callback's return value and continues the fiber. The event is
 * only valid until the fiber is resumed again; reading it after that throws
 * {@link FiberStateException}.
 *
 * <p>Argument positions count integer/pointer arguments and float/double arguments separately,
 * as the C calling conventions do: in {@code int cb(void *ud, double x, int n)}, {@code ud} is
 * integer position 0, {@code n} integer position 1, and {@code x} float position 0. The port's
 * {@link org.fiberswitch.spi.CallbackSupport} says how many of each it captures.
 */
public final class CallbackEvent implements FiberEvent {
    private final Fiber fiber;
    private final int stubId;
    private final ByteBuffer view;
    /** The fiber's switch-out count when it entered this callback: see {@link Fiber#isCurrent(long)}. */
    private final long switchCount;

    CallbackEvent(Fiber fiber, int stubId, ByteBuffer view, long switchCount) {
        this.fiber = fiber;
        this.stubId = stubId;
        this.view = view;
        this.switchCount = switchCount;
    }

    /** The fiber that waits in this callback. */
    public Fiber fiber() {
        return fiber;
    }

    /** The tag of the stub that was called. */
    public int tag() {
        return stubId / (2 * FiberControlBlock.STUB_POSITIONS);
    }

    /** The user-data position of the stub that was called. */
    public int userDataPosition() {
        return (stubId / 2) % FiberControlBlock.STUB_POSITIONS;
    }

    /** How the reply is returned. */
    public CallbackReturn returns() {
        return returnsDouble() ? CallbackReturn.DOUBLE : CallbackReturn.INTEGER;
    }

    boolean returnsDouble() {
        return returnsDouble(stubId);
    }

    /** Whether the stub {@code stubId} returns double; false for -1 (no stub). */
    static boolean returnsDouble(int stubId) {
        return stubId >= 0 && (stubId & 1) != 0;
    }

    /** The integer/pointer argument at {@code position}, as 64 bits. */
    public long longArg(int position) {
        check(position, FiberControlBlock.CALLBACK_INT_SLOTS);
        return view.getLong(FiberControlBlock.CB_INT + 8 * position);
    }

    /** The low 32 bits of the integer argument at {@code position} (a C {@code int}). */
    public int intArg(int position) {
        return (int) longArg(position);
    }

    /** The float/double argument at {@code position} as a {@code double}. */
    public double doubleArg(int position) {
        check(position, FiberControlBlock.CALLBACK_FLOAT_SLOTS);
        return Double.longBitsToDouble(view.getLong(FiberControlBlock.CB_FLOAT + 8 * position));
    }

    /** The float/double argument at {@code position} as a C {@code float}. */
    public float floatArg(int position) {
        check(position, FiberControlBlock.CALLBACK_FLOAT_SLOTS);
        return Float.intBitsToFloat((int) view.getLong(FiberControlBlock.CB_FLOAT + 8 * position));
    }

    /** Returns {@code value} from the callback and continues the fiber. */
    public FiberEvent reply(long value) {
        ensureCurrent();
        return fiber.resume(value);
    }

    /** Returns {@code value} from a callback whose stub returns double, and continues the fiber. */
    public FiberEvent reply(double value) {
        ensureCurrent();
        return fiber.resumeWithDouble(value);
    }

    private void check(int position, int slots) {
        ensureCurrent();
        if (position < 0 || position >= slots) {
            throw new IndexOutOfBoundsException("callback argument position " + position
                    + " is not captured; positions 0.." + (slots - 1)
                    + " are (see the port's CallbackSupport)");
        }
    }

    private void ensureCurrent() {
        if (!fiber.isCurrent(switchCount)) {
            throw new FiberStateException("this callback event of fiber " + fiber.id()
                    + " is stale: the fiber has been resumed or closed since; read the arguments"
                    + " and reply before resuming it again");
        }
    }

    @Override
    public String toString() {
        return "CallbackEvent[fiber " + fiber.id() + ", tag " + tag() + ", user data at "
                + userDataPosition() + ", returns " + returns() + "]";
    }
}
