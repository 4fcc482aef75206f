package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gates on the committed ELF library, read in plain Java so they run with only a JDK: no NEEDED
 * entry (it depends on nothing), a non-executable GNU_STACK, no TEXTREL. build-native.sh --check
 * proves it is byte-identical to a fresh build of the assembly.
 */
class LibraryFileTest {
    private static final int PT_DYNAMIC = 2;
    private static final int PT_GNU_STACK = 0x6474e551;
    private static final int PF_X = 1;
    private static final long DT_NEEDED = 1;
    private static final long DT_TEXTREL = 22;

    private static ByteBuffer library() throws IOException {
        try (InputStream in = LinuxX64SwitchProvider.class.getResourceAsStream("/linux-x86-64/libfiberswitch.so")) {
            assertNotNull(in, "linux-x86-64/libfiberswitch.so is not on the class path");
            return ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    @Test
    void isASixtyFourBitLittleEndianX8664SharedObject() throws IOException {
        ByteBuffer elf = library();
        assertEquals(0x464c457f, elf.getInt(0), "ELF magic");
        assertEquals(2, elf.get(4), "ELFCLASS64");
        assertEquals(1, elf.get(5), "little endian");
        assertEquals(3, elf.getShort(16), "ET_DYN");
        assertEquals(62, elf.getShort(18), "EM_X86_64");
    }

    @Test
    void needsNoOtherLibraryAndHasNoExecutableStack() throws IOException {
        ByteBuffer elf = library();
        long phoff = elf.getLong(32);
        int phentsize = elf.getShort(54);
        int phnum = elf.getShort(56);
        boolean sawStack = false;
        List<Long> tags = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            int type = elf.getInt(at);
            int flags = elf.getInt(at + 4);
            if (type == PT_GNU_STACK) {
                sawStack = true;
                assertEquals(0, flags & PF_X, "GNU_STACK must not be executable");
            }
            if (type == PT_DYNAMIC) {
                long offset = elf.getLong(at + 8);
                long size = elf.getLong(at + 32);
                for (long d = offset; d < offset + size; d += 16) {
                    long tag = elf.getLong((int) d);
                    if (tag == 0) {
                        break;
                    }
                    tags.add(tag);
                }
            }
        }
        assertTrue(sawStack, "no PT_GNU_STACK header: the loader would assume an executable stack");
        assertTrue(!tags.isEmpty(), "no dynamic section found");
        assertTrue(!tags.contains(DT_NEEDED), "the library has NEEDED entries; it must depend on nothing");
        assertTrue(!tags.contains(DT_TEXTREL), "the library has text relocations");
    }
}
