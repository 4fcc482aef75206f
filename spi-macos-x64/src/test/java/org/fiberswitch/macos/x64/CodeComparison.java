package org.fiberswitch.macos.x64;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Compares two assemblies of the same source, function by function: ELF {@code .text} (GNU as) and
 * Mach-O {@code __text} (llvm-mc). Both sides must place every function at the same offset. Inside a
 * function, the bytes must be equal except for one thing an assembler may choose: a branch encoded
 * with an 8-bit displacement on one side and a 32-bit one on the other, to the same target (llvm-mc
 * keeps a branch to another symbol long under {@code .subsections_via_symbols}, as the linker may move
 * atoms). Between functions, bytes are alignment padding (NOPs of any length, or int3 fill), and any
 * data there (constant tables) must be equal and at the same offset.
 */
final class CodeComparison {

    /** A function: its name, text offset and length in the reference (ELF) assembly. */
    record Function(String name, int offset, int size) {
    }

    /** A branch assembled short in the reference and long in the other assembly. */
    record RelaxedBranch(String function, int referenceOffset, int otherOffset, int target) {
    }

    private CodeComparison() {
    }

    /**
     * @param reference  the ELF text bytes
     * @param other      the Mach-O text bytes
     * @param functions  functions in the reference, sorted by offset, with exact sizes
     * @return the relaxed branches found
     * @throws AssertionError naming the offset and bytes of the first real difference
     */
    static List<RelaxedBranch> compare(byte[] reference, byte[] other, List<Function> functions) {
        List<RelaxedBranch> relaxed = new ArrayList<>();
        int refPos = 0;
        int otherPos = 0;
        for (Function f : functions) {
            compareGap(reference, refPos, other, otherPos, f.offset(), "before " + f.name());
            otherPos = compareCode(reference, other, f, relaxed);
            refPos = f.offset() + f.size();
        }
        if (reference.length != other.length) {
            throw new AssertionError("text sizes differ: reference 0x" + Integer.toHexString(reference.length)
                    + ", other 0x" + Integer.toHexString(other.length));
        }
        compareGap(reference, refPos, other, otherPos, reference.length, "at the end of the text");
        return relaxed;
    }

    private static int compareCode(byte[] ref, byte[] other, Function f, List<RelaxedBranch> relaxed) {
        int i = f.offset();
        int j = f.offset();
        int end = f.offset() + f.size();
        while (i < end) {
            if (j >= other.length) {
                throw new AssertionError(f.name() + " runs past the end of the other text");
            }
            if (ref[i] == other[j]) {
                i++;
                j++;
                continue;
            }
            int refOp = ref[i] & 0xff;
            // jmp rel8 (EB) vs jmp rel32 (E9); jcc rel8 (70+cc) vs jcc rel32 (0F 80+cc)
            if (refOp == 0xeb && (other[j] & 0xff) == 0xe9 && i + 2 <= end) {
                checkTarget(f, i, i + 2 + ref[i + 1], j, j + 5 + int32(other, j + 1), relaxed);
                i += 2;
                j += 5;
            } else if (refOp >= 0x70 && refOp <= 0x7f && (other[j] & 0xff) == 0x0f
                    && (other[j + 1] & 0xff) == refOp + 0x10 && i + 2 <= end) {
                checkTarget(f, i, i + 2 + ref[i + 1], j, j + 6 + int32(other, j + 2), relaxed);
                i += 2;
                j += 6;
            } else {
                throw new AssertionError(String.format(
                        "%s differs at text offset 0x%x (reference) / 0x%x (other): %s vs %s",
                        f.name(), i, j, hex(ref, i, end), hex(other, j, Math.min(other.length, j + end - i))));
            }
        }
        return j;
    }

    private static void checkTarget(Function f, int i, int refTarget, int j, int otherTarget,
            List<RelaxedBranch> relaxed) {
        if (refTarget != otherTarget) {
            throw new AssertionError(String.format(
                    "%s: branch at 0x%x goes to 0x%x in the reference but to 0x%x in the other text",
                    f.name(), i, refTarget, otherTarget));
        }
        relaxed.add(new RelaxedBranch(f.name(), i, j, refTarget));
    }

    /** Both gaps: padding, then optional equal data at the same offset, then padding. */
    private static void compareGap(byte[] ref, int refStart, byte[] other, int otherStart, int end,
            String where) {
        if (refStart > end || otherStart > end) {
            throw new AssertionError("code overlaps the next function " + where);
        }
        int a = skipPadding(ref, refStart, end);
        int b = skipPadding(other, otherStart, end);
        if (a == end && b == end) {
            return;
        }
        if (a != b) {
            throw new AssertionError(String.format(
                    "data %s starts at 0x%x in the reference but at 0x%x in the other text", where, a, b));
        }
        int common = 0;
        while (a + common < end && ref[a + common] == other[a + common]) {
            common++;
        }
        // The data ends somewhere in the common run; what follows it must be padding on both sides.
        for (int k = common; k >= 0; k--) {
            if (skipPadding(ref, a + k, end) == end && skipPadding(other, a + k, end) == end) {
                return;
            }
        }
        throw new AssertionError(String.format("data %s differs at 0x%x: %s vs %s", where, a + common,
                hex(ref, a + common, end), hex(other, a + common, end)));
    }

    /** Position after the longest run of padding instructions from {@code pos} (not past end). */
    static int skipPadding(byte[] b, int pos, int end) {
        while (pos < end) {
            int len = paddingLength(b, pos, end);
            if (len == 0) {
                break;
            }
            pos += len;
        }
        return pos;
    }

    /**
     * Length of the padding instruction at {@code pos}, or 0 if there is none: int3 (CC), nop (90),
     * and the multi-byte nops {@code [66|2E]* 90} and {@code [66|2E]* 0F 1F /0} with any memory
     * operand. Assemblers pick different sequences for the same gap, so any of them is accepted.
     */
    static int paddingLength(byte[] b, int pos, int end) {
        int p = pos;
        if ((b[p] & 0xff) == 0xcc) {
            return 1;
        }
        while (p < end && ((b[p] & 0xff) == 0x66 || (b[p] & 0xff) == 0x2e)) {
            p++;
        }
        if (p < end && (b[p] & 0xff) == 0x90) {
            return p + 1 - pos;
        }
        if (p + 3 > end || (b[p] & 0xff) != 0x0f || (b[p + 1] & 0xff) != 0x1f) {
            return 0;
        }
        int modrm = b[p + 2] & 0xff;
        int mod = modrm >> 6;
        int reg = (modrm >> 3) & 7;
        int rm = modrm & 7;
        if (mod == 3 || reg != 0) {
            return 0;
        }
        int len = 3;
        boolean sibBaseless = false;
        if (rm == 4) {
            if (p + 4 > end) {
                return 0;
            }
            sibBaseless = (b[p + 3] & 7) == 5;
            len++;
        }
        if (mod == 1) {
            len += 1;
        } else if (mod == 2 || (mod == 0 && (rm == 5 || sibBaseless))) {
            len += 4;
        }
        return p + len <= end ? p + len - pos : 0;
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static String hex(byte[] b, int from, int to) {
        int end = Math.min(Math.min(to, b.length), from + 12);
        return HexFormat.ofDelimiter(" ").formatHex(b, from, Math.max(from, end));
    }
}
