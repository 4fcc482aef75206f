package org.fiberswitch.spi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The ABI facts of a port, as its native library states them: {@code const char
 * *fiberswitch_abi_description(void)} returns {@code key=value} lines, so the facts live in one
 * place, the assembly source they describe, and the Java side (runtime, conformance kit, doctor)
 * holds no architecture literals. The keys:
 *
 * <pre>
 * abi=x86-64 System V                                   the ABI's name
 * callee-saved=rbx rbp r12 r13 r14 r15                  the register probes' mask, bit 0 first
 * fp-control=MXCSR (bits 0-31) and ...                  what the probes' packed FP environment holds
 * fp-control-mask=0x0000ffff0000ffc0                    the control bits every switch must keep per side
 * fp-sample-a=0x...  fp-sample-b=0x...                  two environments that differ in control bits
 * alignment=(sp + 8) % 16 == 0 at every function entry  the rule; the alignment probe returns 0 when kept
 * callback-user-data-positions=8                        user data may sit at integer positions 0..n-1
 * callback-integer-arguments=8                          integer positions captured, at most FCB_CB_INT_SLOTS
 * callback-float-arguments=8                            float positions captured, at most FCB_CB_FLOAT_SLOTS
 * callback-positions=integer positions 0-5 are rdi ...  how positions map to registers and stack slots
 * </pre>
 *
 * @param name                 the ABI's name, such as {@code x86-64 System V}
 * @param calleeSavedRegisters register names in the bit order of the register probes' masks
 * @param fpControl            what the probes' packed FP environment holds, in words
 * @param fpControlMask        the bits of a packed FP environment that are control state
 * @param fpSampleA            an FP environment with non-default control bits
 * @param fpSampleB            another, differing from {@code fpSampleA} in control bits
 * @param alignmentRule        the stack alignment rule at function entry, in words
 * @param callbacks            what the callback stubs capture
 */
public record AbiDescription(String name, List<String> calleeSavedRegisters, String fpControl, long fpControlMask,
        long fpSampleA, long fpSampleB, String alignmentRule, CallbackSupport callbacks) {

    /** The C name of the function that returns the description. */
    public static final String FUNCTION = "fiberswitch_abi_description";

    private static final List<String> KEYS = List.of("abi", "callee-saved", "fp-control", "fp-control-mask",
            "fp-sample-a", "fp-sample-b", "alignment", "callback-user-data-positions", "callback-integer-arguments",
            "callback-float-arguments", "callback-positions");

    public AbiDescription {
        Objects.requireNonNull(name, "name");
        calleeSavedRegisters = List.copyOf(calleeSavedRegisters);
        Objects.requireNonNull(fpControl, "fpControl");
        Objects.requireNonNull(alignmentRule, "alignmentRule");
        Objects.requireNonNull(callbacks, "callbacks");
    }

    /**
     * Parses the text a library returned.
     *
     * @throws IllegalArgumentException naming the key that is missing or malformed
     */
    public static AbiDescription parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        List<String> missing = new ArrayList<>();
        for (String key : KEYS) {
            if (values.get(key) == null || values.get(key).isEmpty()) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the library's " + FUNCTION + "() lacks " + missing
                    + "; every port states its ABI facts there (see org.fiberswitch.spi.AbiDescription)");
        }
        int intArgs = count(values, "callback-integer-arguments", FiberControlBlock.CALLBACK_INT_SLOTS);
        int floatArgs = count(values, "callback-float-arguments", FiberControlBlock.CALLBACK_FLOAT_SLOTS);
        int userData = count(values, "callback-user-data-positions", Math.min(intArgs, FiberControlBlock.STUB_POSITIONS));
        AbiDescription d = new AbiDescription(values.get("abi"),
                Arrays.asList(values.get("callee-saved").split("[\\s,]+")), values.get("fp-control"),
                number(values, "fp-control-mask"), number(values, "fp-sample-a"), number(values, "fp-sample-b"),
                values.get("alignment"),
                new CallbackSupport(userData, intArgs, floatArgs, FiberControlBlock.STUB_TAGS,
                        values.get("callback-positions")));
        if (d.calleeSavedRegisters.size() > 63) {
            throw new IllegalArgumentException("callee-saved lists " + d.calleeSavedRegisters.size()
                    + " registers; the probes' 64-bit masks hold at most 63");
        }
        if (d.control(d.fpSampleA) == d.control(d.fpSampleB)) {
            throw new IllegalArgumentException("fp-sample-a and fp-sample-b do not differ in fp-control-mask bits,"
                    + " so the FP rules could not tell the two sides apart");
        }
        return d;
    }

    private static long number(Map<String, String> values, String key) {
        String v = values.get(key).toLowerCase(Locale.ROOT);
        try {
            return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + values.get(key) + " is not a number", e);
        }
    }

    private static int count(Map<String, String> values, String key, int max) {
        long n = number(values, key);
        if (n < 0 || n > max) {
            throw new IllegalArgumentException(key + "=" + n + " is outside 0.." + max
                    + " (what the shared control block and stub geometry can hold)");
        }
        return (int) n;
    }

    /** The control bits of a packed FP environment. */
    public long control(long env) {
        return env & fpControlMask;
    }

    /** A packed FP environment in hex, for messages. */
    public String describeFp(long env) {
        return "0x" + Long.toHexString(env) + " (" + fpControl + ")";
    }

    /**
     * The names of the registers whose bits are set in a register probe's {@code mask}, with the
     * mask itself, for messages.
     */
    public String registerNames(long mask) {
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < calleeSavedRegisters.size(); i++) {
            if ((mask & (1L << i)) != 0) {
                lost.add(calleeSavedRegisters.get(i));
            }
        }
        if ((mask >>> calleeSavedRegisters.size()) != 0) {
            lost.add("bits beyond the " + calleeSavedRegisters.size() + " registers described");
        }
        return lost + " (mask 0x" + Long.toHexString(mask) + ")";
    }
}
