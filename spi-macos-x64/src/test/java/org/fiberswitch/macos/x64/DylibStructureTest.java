package org.fiberswitch.macos.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fiberswitch.spi.JniBinding;
import org.junit.jupiter.api.Test;

/**
 * The committed dylib's shape, read in pure Java (build-native.sh --check does the same with
 * llvm-objdump where the LLVM tools are installed): a self-contained x86-64 dylib that exports the
 * Linux library's functions under Mach-O names and needs nothing from dyld at load time.
 */
class DylibStructureTest {
    private final MachOImage dylib = Artifacts.dylibImage();
    private final ElfImage linux = Artifacts.linuxImage();

    @Test
    void isAnX8664DylibWithTheRpathInstallName() {
        assertEquals(MachOImage.MH_DYLIB, dylib.fileType);
        assertEquals("@rpath/libfiberswitch.dylib", dylib.installName);
        assertTrue((dylib.flags & MachOImage.MH_NOUNDEFS) != 0, "MH_NOUNDEFS is set");
    }

    @Test
    void loadCommandsAreExactlyTheExpectedOnesWithNoDylibDependency() {
        assertEquals(List.of("LC_SEGMENT_64 __TEXT", "LC_SEGMENT_64 __LINKEDIT", "LC_DYLD_INFO_ONLY", "LC_SYMTAB",
                "LC_DYSYMTAB", "LC_ID_DYLIB", "LC_UUID", "LC_VERSION_MIN_MACOSX", "LC_FUNCTION_STARTS",
                "LC_DATA_IN_CODE"), dylib.loadCommands);
        assertFalse(dylib.loadCommands.contains("LC_LOAD_DYLIB"));
    }

    @Test
    void targetsMacOs1013WithA1013SdkSoDyldAcceptsNoDependencies() {
        // dyld keys its checks on the SDK version recorded here: from the fall-2021 SDKs on (spring
        // 2025 in newer dyld) it refuses a dylib with no LC_LOAD_DYLIB ("must link with at least
        // libSystem.dylib"). A 10.13 SDK field keeps this self-contained dylib loadable.
        assertEquals("10.13", dylib.minMacos);
        assertEquals("10.13", dylib.sdkMacos);
    }

    @Test
    void nothingToBindRebaseOrRelocate() {
        assertEquals(0, dylib.undefinedSymbolCount, "undefined symbols in LC_DYSYMTAB");
        assertTrue(dylib.symbols.stream().noneMatch(MachOImage.Symbol::undefined), "no undefined nlist entries");
        assertEquals(0, dylib.rebaseSize, "rebase opcodes");
        assertEquals(0, dylib.bindSize, "bind opcodes");
        assertEquals(0, dylib.weakBindSize, "weak bind opcodes");
        assertEquals(0, dylib.lazyBindSize, "lazy bind opcodes");
        assertEquals(0, dylib.externalRelocations);
        assertEquals(0, dylib.localRelocations);
        for (MachOImage.Segment seg : dylib.segments) {
            for (MachOImage.Section s : seg.sections()) {
                assertEquals(0, s.nreloc(), s.segment() + "," + s.name() + " relocations");
            }
        }
    }

    @Test
    void textIsReadExecuteAndThereIsNoWritableSegment() {
        MachOImage.Segment text = dylib.segment("__TEXT");
        assertEquals(0, text.vmaddr(), "__TEXT starts the image");
        assertEquals(5, text.initprot(), "__TEXT is r-x");
        for (MachOImage.Segment seg : dylib.segments) {
            assertEquals(0, seg.initprot() & 2, seg.name() + " is not writable");
        }
    }

    @Test
    void exportsAreTheLinuxExportsWithAnUnderscoreAtTheSameTextOffsets() {
        long elfText = linux.section(".text").addr();
        int textIndex = linux.sectionIndex(".text");
        Map<String, Long> expected = new TreeMap<>();
        for (ElfImage.Symbol s : linux.symbols) {
            if (s.bind() == ElfImage.STB_GLOBAL && s.type() == ElfImage.STT_FUNC && s.sectionIndex() == textIndex) {
                expected.put("_" + s.name(), s.value() - elfText);
            }
        }
        long machText = dylib.section("__TEXT", "__text").addr();
        Map<String, Long> actual = new TreeMap<>();
        dylib.exports.forEach((name, addr) -> actual.put(name, addr - machText));
        assertFalse(expected.isEmpty());
        assertEquals(expected, actual, "export -> offset in the text section");
    }

    @Test
    void theProvidersJniClassAcceptsTheDylibsRegistrationTable() {
        // RegisterNatives fails unless every name and signature in the dylib's table is declared.
        long register = MachOCode.load().address(JniBinding.REGISTER_FUNCTION);
        assertNull(JniBinding.register(register, sharedJniNatives()));
        assertNotNull(JniBinding.register(register, DylibStructureTest.class), "a class without the natives is refused");
    }

    @Test
    void theSharedPortBindsEveryEntryTheDylibExports() {
        // NativePort refuses code that lacks a required entry; the Mach-O bytes must satisfy it.
        assertTrue(new MachOCodeProvider().isAvailable(), String.valueOf(new MachOCodeProvider().unavailabilityCause()));
        for (String name : dylib.exports.keySet()) {
            assertTrue(name.startsWith("_fiberswitch_"), "unexpected export " + name);
        }
    }

    private static Class<?> sharedJniNatives() {
        try {
            return Class.forName("org.fiberswitch.spi.NativePort$JniNatives");
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
