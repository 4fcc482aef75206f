package org.fiberswitch.spi;

/**
 * What a port's callback stubs capture. A stub finds its fiber through the callback's user-data
 * argument, so the port states at which integer argument positions that pointer may sit, and how
 * many integer and floating-point argument positions it records for the Java event.
 *
 * @param userDataPositions   user data may be at integer positions {@code 0 .. n-1}
 * @param integerArguments    integer/pointer positions captured, {@code 0 .. n-1}
 * @param floatArguments      float/double positions captured, {@code 0 .. n-1}
 * @param tags                distinct stubs per position and reply kind, to tell callbacks apart
 * @param description         how positions map to registers and stack slots on this ABI
 */
public record CallbackSupport(int userDataPositions, int integerArguments, int floatArguments,
        int tags, String description) {
}
