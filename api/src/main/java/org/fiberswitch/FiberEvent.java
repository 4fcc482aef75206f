package org.fiberswitch;

/**
 * What a {@link Fiber#resume(long)} came back with: the fiber yielded a value, a native callback
 * fired on it, or its function returned.
 *
 * <pre>{@code
 * FiberEvent e = fiber.resume();
 * if (e instanceof FiberEvent.Yielded y) { ... y.value() ... }
 * else if (e instanceof CallbackEvent cb) { ... cb.longArg(0) ...; e = cb.reply(0) }
 * else if (e instanceof FiberEvent.Completed c) { ... c.result() ... }
 * }</pre>
 */
public sealed interface FiberEvent permits FiberEvent.Yielded, FiberEvent.Completed, CallbackEvent {

    /** The fiber called {@code fiberswitch_yield(self, value)}. */
    record Yielded(long value) implements FiberEvent {
    }

    /** The fiber's function returned {@code result}; the fiber is {@link FiberState#DONE}. */
    record Completed(long result) implements FiberEvent {
    }
}
