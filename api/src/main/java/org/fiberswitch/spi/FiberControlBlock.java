package org.fiberswitch.spi;

import java.util.List;

/**
 * The fiber control block (FCB): one layout for every port, at the top of each fiber's stack
 * mapping. These constants mirror {@code native/include/fiberswitch.h}; ports assemble against
 * that header and report what they used through {@link SwitchPort#layoutConstant(int)}, and the
 * runtime refuses a library whose constants differ.
 *
 * <pre>
 *  0x00 magic (u32) + ABI version (u32)   0x68 result
 *  0x08 fiber stack pointer                0x70 stack low (above the guard page)
 *  0x10 resumer stack pointer              0x78 stack high (= the FCB's address)
 *  0x18 transfer value                     0x80 callback integer args [8]
 *  0x20 exit reason                        0xC0 callback float args [8] (raw bits)
 *  0x28 callback stub id                   0x100 port slots [8]
 *  0x30 function, 0x38 args [6]            0x140 size
 * </pre>
 */
public final class FiberControlBlock {
    /** Version of the contract; bumped when the layout or an entry point's meaning changes. */
    public static final int ABI_VERSION = 1;
    /** "FSW1", the first 32 bits of a live FCB. */
    public static final int MAGIC_VALUE = 0x31575346;

    public static final int MAGIC = 0x00;
    public static final int FIBER_SP = 0x08;
    public static final int RESUMER_SP = 0x10;
    public static final int TRANSFER = 0x18;
    public static final int EXIT = 0x20;
    public static final int CALLBACK_ID = 0x28;
    public static final int FUNCTION = 0x30;
    public static final int ARGS = 0x38;
    public static final int RESULT = 0x68;
    public static final int STACK_LO = 0x70;
    public static final int STACK_HI = 0x78;
    public static final int CB_INT = 0x80;
    public static final int CB_FLOAT = 0xC0;
    public static final int PORT = 0x100;
    public static final int SIZE = 0x140;

    /** How many integer/pointer arguments the entry trampoline passes to the function. */
    public static final int MAX_CALL_ARGS = 6;
    /** Callback argument slots of each kind. */
    public static final int CALLBACK_SLOTS = 8;
    /** Port slots at {@link #PORT}. */
    public static final int PORT_SLOTS = 8;

    public static final int EXIT_NONE = 0;
    public static final int EXIT_YIELD = 1;
    public static final int EXIT_DONE = 2;
    public static final int EXIT_CALLBACK = 3;

    /** Callback stub geometry: id = ((tag * POSITIONS) + userDataPosition) * 2 + kind. */
    public static final int STUB_TAGS = 16;
    public static final int STUB_POSITIONS = 8;
    public static final int STUB_KINDS = 2;
    public static final int STUB_COUNT = STUB_TAGS * STUB_POSITIONS * STUB_KINDS;
    public static final int STUB_STRIDE = 32;

    /** Names of the constants {@code fiberswitch_layout(i)} reports, in index order. */
    public static final List<String> LAYOUT_NAMES = List.of(
            "MAGIC_VALUE", "SIZE", "MAGIC", "FIBER_SP", "RESUMER_SP", "TRANSFER", "EXIT",
            "CALLBACK_ID", "FUNCTION", "ARGS", "RESULT", "STACK_LO", "STACK_HI", "CB_INT",
            "CB_FLOAT", "PORT", "EXIT_YIELD", "EXIT_DONE", "EXIT_CALLBACK", "STUB_COUNT",
            "STUB_STRIDE");

    private static final long[] LAYOUT_VALUES = {
        MAGIC_VALUE, SIZE, MAGIC, FIBER_SP, RESUMER_SP, TRANSFER, EXIT, CALLBACK_ID, FUNCTION,
        ARGS, RESULT, STACK_LO, STACK_HI, CB_INT, CB_FLOAT, PORT, EXIT_YIELD, EXIT_DONE,
        EXIT_CALLBACK, STUB_COUNT, STUB_STRIDE
    };

    private FiberControlBlock() {
    }

    /** The value this side expects for {@code LAYOUT_NAMES.get(index)}. */
    public static long expectedLayoutConstant(int index) {
        return LAYOUT_VALUES[index];
    }

    /** Stub id for a tag, user-data position and reply kind ({@code true} for a double reply). */
    public static int stubId(int tag, int userDataPosition, boolean doubleReply) {
        return ((tag * STUB_POSITIONS) + userDataPosition) * 2 + (doubleReply ? 1 : 0);
    }

    /**
     * Checks a bound port against this layout.
     *
     * @return {@code null} when it matches, else a message naming the first difference
     */
    public static String verify(SwitchPort port) {
        long version = port.abiVersion();
        if (version != ABI_VERSION) {
            return "native library reports ABI version " + version + ", this api expects "
                    + ABI_VERSION + "; use matching fiberswitch-api and provider jars";
        }
        for (int i = 0; i < LAYOUT_VALUES.length; i++) {
            long actual = port.layoutConstant(i);
            if (actual != LAYOUT_VALUES[i]) {
                return "native library was assembled with " + LAYOUT_NAMES.get(i) + " = 0x"
                        + Long.toHexString(actual) + ", the api expects 0x"
                        + Long.toHexString(LAYOUT_VALUES[i])
                        + "; rebuild the port's library against native/include/fiberswitch.h";
            }
        }
        return null;
    }
}
