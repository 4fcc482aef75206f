package org.fiberswitch.pull;

import org.fiberswitch.CallbackEvent;

/**
 * Turns one native callback into a {@link Step}: an element (or none) and the callback's reply.
 *
 * <p>It runs on the consumer's thread, on the Java stack, while the fiber waits inside the
 * callback, so it may read the native memory the callback's arguments point to. It must copy what
 * it keeps: that memory belongs to the native library and is only valid until the reply. (The
 * element itself may hold pointers, as {@link Chunk} does, because the reply is only sent when the
 * consumer moves on; see {@link Step}.)
 *
 * <p>Several callbacks of one native call (expat's start, end and character handlers) use stubs
 * with different tags; tell them apart with {@link CallbackEvent#tag()}.
 *
 * <p>If it throws, {@link NativePull} first lets the native call finish (by its
 * {@link EarlyStop} policy), then rethrows to the consumer.
 *
 * @param <T> the element type
 */
@FunctionalInterface
public interface CallbackMapper<T> {
    /**
     * Maps one callback.
     *
     * @param event the callback the fiber waits in; valid only during this call and while the
     *              element it produces is the current one
     * @return an element and reply, or a skip with a reply; never null
     */
    Step<T> map(CallbackEvent event);
}
