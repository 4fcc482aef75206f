package org.fiberswitch.macos.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Proves that the dylib's {@code __text} is the Linux library's {@code .text}: the same functions at
 * the same offsets with the same bytes, up to alignment padding and branch displacement width (see
 * {@link CodeComparison}). The second half shows the comparison catches real differences.
 */
class TextBytesTest {
    private final ElfImage linux = Artifacts.linuxImage();
    private final MachOImage dylib = Artifacts.dylibImage();
    private final ElfImage.Section elfText = linux.section(".text");
    private final MachOImage.Section machText = dylib.section("__TEXT", "__text");
    private final byte[] elfBytes = linux.sectionBytes(elfText);
    private final byte[] machBytes = dylib.sectionBytes(machText);

    /** Every function of the Linux text (locals too), with its exact size from .symtab. */
    private List<CodeComparison.Function> linuxFunctions() {
        int textIndex = linux.sectionIndex(".text");
        List<CodeComparison.Function> out = new ArrayList<>();
        for (ElfImage.Symbol s : linux.symbols) {
            if (s.type() == ElfImage.STT_FUNC && s.sectionIndex() == textIndex) {
                if (s.size() == 0) {
                    throw new AssertionError("ELF function " + s.name() + " has no size; the asm lost a .size");
                }
                out.add(new CodeComparison.Function(s.name(), (int) (s.value() - elfText.addr()), (int) s.size()));
            }
        }
        out.sort(Comparator.comparingInt(CodeComparison.Function::offset));
        return out;
    }

    @Test
    void everyFunctionSitsAtTheSameOffsetUnderItsMachOName() {
        Map<String, Integer> elf = new TreeMap<>();
        linuxFunctions().forEach(f -> elf.put("_" + f.name(), f.offset()));
        int textSection = dylib.sectionIndex(machText);
        Map<String, Integer> mach = new TreeMap<>();
        for (MachOImage.Symbol s : dylib.symbols) {
            if (s.section() == textSection) {
                mach.put(s.name(), (int) (s.value() - machText.addr()));
            }
        }
        assertEquals(elf, mach, "function -> text offset (local functions included)");
    }

    @Test
    void textSectionsHaveTheSameSizeAndAlignment() {
        assertEquals(elfText.size(), machText.size());
        assertEquals(0, machText.addr() % 32, "__text is 32-byte aligned, as the stubs need");
        assertEquals(0, elfText.addr() % 32);
        assertEquals(5, machText.align(), "__text alignment 2^5");
    }

    @Test
    void textBytesAreTheLinuxCodeUpToPaddingAndBranchWidth() {
        List<CodeComparison.Function> functions = linuxFunctions();
        List<CodeComparison.RelaxedBranch> relaxed = CodeComparison.compare(elfBytes, machBytes, functions);
        // Each long/short branch pair must land on the start of a function (a tail jump to another
        // symbol, the only place llvm-mc keeps a branch long that GNU as makes short).
        Map<Integer, String> starts = functions.stream()
                .collect(Collectors.toMap(CodeComparison.Function::offset, CodeComparison.Function::name));
        for (CodeComparison.RelaxedBranch b : relaxed) {
            assertTrue(starts.containsKey(b.target()), "branch in " + b.function() + " at 0x"
                    + Integer.toHexString(b.referenceOffset()) + " goes to the start of a function");
        }
        System.out.println("__text == .text modulo padding; branches of different width: "
                + relaxed.stream().map(b -> b.function() + "@0x" + Integer.toHexString(b.referenceOffset()) + "->"
                        + starts.get(b.target())).collect(Collectors.toList()));
    }

    // ---- the comparison can fail

    private List<CodeComparison.Function> byName(Function<String, Boolean> pick) {
        List<CodeComparison.Function> out = new ArrayList<>();
        for (CodeComparison.Function f : linuxFunctions()) {
            if (pick.apply(f.name())) {
                out.add(f);
            }
        }
        assertFalse(out.isEmpty());
        return out;
    }

    @Test
    void aChangedInstructionByteIsCaught() {
        CodeComparison.Function prepare = byName("fiberswitch_prepare"::equals).get(0);
        byte[] changed = machBytes.clone();
        changed[prepare.offset() + prepare.size() / 2] ^= 0x01;
        AssertionError e = assertThrows(AssertionError.class,
                () -> CodeComparison.compare(elfBytes, changed, linuxFunctions()));
        assertTrue(e.getMessage().contains("fiberswitch_prepare differs"), e.getMessage());
    }

    @Test
    void aChangedConstantTableIsCaught() {
        // The layout table follows fiberswitch_layout; its first quad is the FCB magic "FSW1".
        CodeComparison.Function layout = byName("fiberswitch_layout"::equals).get(0);
        int at = CodeComparison.skipPadding(machBytes, layout.offset() + layout.size(), machBytes.length);
        assertEquals(0x46, machBytes[at], "the table starts with the magic's low byte 'F'");
        byte[] changed = machBytes.clone();
        changed[at + 8] ^= 0x40; // FCB_SIZE 0x180 -> 0x1C0
        AssertionError e = assertThrows(AssertionError.class,
                () -> CodeComparison.compare(elfBytes, changed, linuxFunctions()));
        assertTrue(e.getMessage().contains("data before"), e.getMessage());
    }

    @Test
    void aLongBranchToAnotherTargetIsCaught() {
        List<CodeComparison.RelaxedBranch> relaxed = CodeComparison.compare(elfBytes, machBytes, linuxFunctions());
        assertFalse(relaxed.isEmpty(), "this build has a branch of different width to tamper with");
        CodeComparison.RelaxedBranch b = relaxed.get(0);
        byte[] changed = machBytes.clone();
        changed[b.otherOffset() + 1] += 16;
        AssertionError e = assertThrows(AssertionError.class,
                () -> CodeComparison.compare(elfBytes, changed, linuxFunctions()));
        assertTrue(e.getMessage().contains("branch at"), e.getMessage());
    }

    @Test
    void paddingIsOnlyNopsAndInt3() {
        byte[][] nops = {
            {(byte) 0x90}, {0x66, (byte) 0x90}, {0x0f, 0x1f, 0x00}, {0x0f, 0x1f, 0x40, 0x00},
            {0x0f, 0x1f, 0x44, 0x00, 0x00}, {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
            {0x0f, 0x1f, (byte) 0x80, 0, 0, 0, 0}, {0x0f, 0x1f, (byte) 0x84, 0, 0, 0, 0, 0},
            {0x66, 0x66, 0x2e, 0x0f, 0x1f, (byte) 0x84, 0, 0, 0, 0, 0}, {(byte) 0xcc}
        };
        for (byte[] n : nops) {
            assertEquals(n.length, CodeComparison.paddingLength(n, 0, n.length), java.util.HexFormat.of().formatHex(n));
        }
        byte[][] code = {
            {0x48, (byte) 0x89, (byte) 0xc7}, {0x0f, 0x1f, (byte) 0xc0}, {0x0f, 0x1f, 0x48, 0x00},
            {(byte) 0xc3}, {0x0f, 0x1f, (byte) 0x84, 0, 0}
        };
        for (byte[] c : code) {
            assertEquals(0, CodeComparison.paddingLength(c, 0, c.length), java.util.HexFormat.of().formatHex(c));
        }
    }
}
