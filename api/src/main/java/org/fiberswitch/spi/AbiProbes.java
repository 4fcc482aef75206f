package org.fiberswitch.spi;

/**
 * Small native functions a port ships so the conformance kit can check ABI rules that Java cannot
 * observe: register contents, the FP control state and stack alignment. Only the port knows its
 * ABI, so the probes belong to it; their contracts are the same everywhere, and what differs by ABI
 * (register names, how the FP state is packed into a {@code long}, the alignment rule) is stated by
 * the port's {@link AbiDescription}.
 *
 * <p>"Entry" probes are function addresses to run on a fiber ({@code fn(self, arg)} unless said
 * otherwise); the {@code resume...} methods run on the caller's thread in place of a plain resume.
 */
public interface AbiProbes {

    /**
     * Entry {@code fn(self, seed)}: three rounds of loading patterns into every callee-saved
     * register, yielding the round number, and checking; returns the mask of registers lost, in the
     * order of {@link AbiDescription#calleeSavedRegisters()}.
     */
    long registersEntry();

    /**
     * Loads patterns derived from {@code seed} into the caller's callee-saved registers, resumes
     * the fiber, and returns the mask of registers that did not survive. The fiber's yield value
     * is left in the FCB's transfer slot.
     */
    long resumeCheckingRegisters(long fcb, long value, long seed);

    /**
     * Entry {@code fn(self, env)}: sets the FP control state to {@code env} (packed as the port's
     * {@link AbiDescription#fpControl()} says), yields the environment it observes three times, and
     * returns it at the end.
     */
    long fpEnvEntry();

    /**
     * Sets the caller's FP environment to {@code env} (0 keeps it), resumes, and returns the control
     * bits ({@link AbiDescription#fpControlMask()}) that changed across the round trip. The caller's
     * environment is restored afterwards.
     */
    long resumeCheckingFpEnv(long fcb, long value, long env);

    /** The calling thread's FP environment, packed as for {@link #fpEnvEntry()}. */
    long readFpEnv();

    /**
     * Entry {@code fn(self, first)}: yields {@code first}, then {@code v + 1} for every resume value
     * {@code v}, until resumed with 0; returns how many values it yielded.
     */
    long echoEntry();

    /**
     * Entry that returns how far the stack pointer at its own entry is from the ABI's alignment rule
     * ({@link AbiDescription#alignmentRule()}); 0 means aligned.
     */
    long alignmentEntry();

    /**
     * Call-fiber function {@code fn(self, stub, position | 0x100 for a double reply)}: calls
     * {@code stub} with integer argument k = (k+1) * 0x0101010101010101, for every integer position
     * the port captures, except {@code self} at {@code position}, and float argument k = k + 1.25;
     * returns the stub's reply.
     */
    long callbackEntry();

    /** Function {@code fn(depth)} that recurses with 1 KiB touched frames; returns depth. */
    long recursionEntry();
}
