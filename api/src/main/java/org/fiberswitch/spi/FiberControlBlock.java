package org.fiberswitch.spi;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fiber control block (FCB): one layout for every port, at the top of each fiber's stack
 * mapping. These constants mirror {@code native/include/fiberswitch.h}; ports assemble against
 * that header and report what they used through {@link SwitchPort#layoutConstant(int)}, and the
 * runtime refuses a library whose constants differ.
 *
 * <pre>
 *  0x00 magic (u32) + ABI version (u32)   0x68 result
 *  0x08 fiber stack pointer                0x70 stack low (above the guard)
 *  0x10 resumer stack pointer              0x78 stack high (= the FCB's address)
 *  0x18 transfer value                     0x80 callback integer args [12]
 *  0x20 exit reason                        0xE0 callback float args [8] (raw bits)
 *  0x28 callback stub id                   0x120 port slots [8]
 *  0x30 function, 0x38 args [6]            0x160 link, 0x168 reserved, 0x180 size
 * </pre>
 */
public final class FiberControlBlock {
    /** Version of the contract; bumped when the layout or an entry point's meaning changes. */
    public static final int ABI_VERSION = 2;
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
    public static final int CB_FLOAT = 0xE0;
    public static final int PORT = 0x120;
    /** Another FCB this one is linked to (symmetric transfer), or 0. */
    public static final int LINK = 0x160;
    public static final int SIZE = 0x180;

    /** How many integer/pointer arguments the entry trampoline passes to the function. */
    public static final int MAX_CALL_ARGS = 6;
    /** Integer/pointer callback argument slots at {@link #CB_INT}. */
    public static final int CALLBACK_INT_SLOTS = 12;
    /** Float/double callback argument slots at {@link #CB_FLOAT}. */
    public static final int CALLBACK_FLOAT_SLOTS = 8;
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

    /** The constants {@code fiberswitch_layout(i)} reports, in index order: FCB_LAYOUT_VALUES in the header. */
    private static final Map<String, Long> LAYOUT = layout(
            "MAGIC_VALUE", MAGIC_VALUE, "SIZE", SIZE,
            "MAGIC", MAGIC, "FIBER_SP", FIBER_SP, "RESUMER_SP", RESUMER_SP, "TRANSFER", TRANSFER, "EXIT", EXIT,
            "CALLBACK_ID", CALLBACK_ID, "FUNCTION", FUNCTION, "ARGS", ARGS, "RESULT", RESULT,
            "STACK_LO", STACK_LO, "STACK_HI", STACK_HI, "CB_INT", CB_INT, "CB_FLOAT", CB_FLOAT, "PORT", PORT,
            "LINK", LINK, "EXIT_YIELD", EXIT_YIELD, "EXIT_DONE", EXIT_DONE, "EXIT_CALLBACK", EXIT_CALLBACK,
            "STUB_COUNT", STUB_COUNT, "STUB_STRIDE", STUB_STRIDE, "MAX_CALL_ARGS", MAX_CALL_ARGS,
            "CB_INT_SLOTS", CALLBACK_INT_SLOTS, "CB_FLOAT_SLOTS", CALLBACK_FLOAT_SLOTS, "PORT_SLOTS", PORT_SLOTS);

    /** Names of the constants {@code fiberswitch_layout(i)} reports, in index order (FCB_LAYOUT_COUNT of them). */
    public static final List<String> LAYOUT_NAMES = List.copyOf(LAYOUT.keySet());

    private static final long[] LAYOUT_VALUES = LAYOUT.values().stream().mapToLong(Long::longValue).toArray();

    private static Map<String, Long> layout(Object... namesAndValues) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], ((Number) namesAndValues[i + 1]).longValue());
        }
        return m;
    }

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
