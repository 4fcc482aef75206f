package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DLL the jar carries, read as a PE file: x86-64, a DLL, relocatable, no timestamp, no import
 * table of any kind, and every entry point the provider binds exported. (build-native.sh --check
 * proves it is the byte-exact build of the asm; this proves the resource in the jar is that file.)
 */
class DllFileTest {
    private static ByteBuffer pe;
    private static int opt;

    @BeforeAll
    static void read() throws IOException {
        try (InputStream in = DllFileTest.class.getClassLoader().getResourceAsStream("win32-x86-64/fiberswitch.dll")) {
            assertNotNull(in, "win32-x86-64/fiberswitch.dll is not on the class path");
            pe = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        }
        assertEquals('M' | 'Z' << 8, pe.getShort(0) & 0xFFFF);
        int h = pe.getInt(0x3C);
        assertEquals(0x00004550, pe.getInt(h), "PE signature");
        opt = h + 24;
    }

    private static int header() {
        return pe.getInt(0x3C) + 4;
    }

    private static long dataDirectory(int i) {
        // PE32+: the data directories start 112 bytes into the optional header
        return pe.getLong(opt + 112 + 8 * i);
    }

    private static int rvaToOffset(int rva) {
        int h = header();
        int sections = pe.getShort(h + 2) & 0xFFFF;
        int table = opt + (pe.getShort(h + 16) & 0xFFFF);
        for (int s = 0; s < sections; s++) {
            int e = table + 40 * s;
            int va = pe.getInt(e + 12);
            int raw = pe.getInt(e + 16);
            int ptr = pe.getInt(e + 20);
            if (rva >= va && rva < va + raw) {
                return rva - va + ptr;
            }
        }
        throw new AssertionError("rva 0x" + Integer.toHexString(rva) + " is in no section");
    }

    private static String cString(int offset) {
        int end = offset;
        while (pe.get(end) != 0) {
            end++;
        }
        return new String(pe.array(), offset, end - offset, StandardCharsets.US_ASCII);
    }

    @Test
    void isA64BitRelocatableDllWithoutTimestamp() {
        int h = header();
        assertEquals(0x8664, pe.getShort(h) & 0xFFFF, "machine AMD64");
        int characteristics = pe.getShort(h + 18) & 0xFFFF;
        assertTrue((characteristics & 0x2000) != 0, "IMAGE_FILE_DLL");
        assertEquals(0, characteristics & 0x0001, "IMAGE_FILE_RELOCS_STRIPPED would pin it to its image base");
        assertEquals(0, pe.getInt(h + 4), "TimeDateStamp: the build is reproducible");
        assertEquals(0x20B, pe.getShort(opt) & 0xFFFF, "PE32+");
    }

    @Test
    void importsNothing() {
        assertEquals(0L, dataDirectory(1), "import directory");
        assertEquals(0L, dataDirectory(12), "import address table");
        assertEquals(0L, dataDirectory(13), "delay imports");
        assertEquals(0L, dataDirectory(9), "TLS (a CRT would bring one)");
    }

    @Test
    void exportsEveryEntryPointTheProviderBinds() {
        int exportRva = (int) dataDirectory(0);
        assertTrue(exportRva != 0, "export directory");
        int dir = rvaToOffset(exportRva);
        int count = pe.getInt(dir + 24);
        int names = rvaToOffset(pe.getInt(dir + 32));
        Set<String> exported = new HashSet<>();
        for (int i = 0; i < count; i++) {
            exported.add(cString(rvaToOffset(pe.getInt(names + 4 * i))));
        }
        for (String name : List.of("fiberswitch_resume", "fiberswitch_yield", "fiberswitch_prepare",
                "fiberswitch_callback_stubs", "fiberswitch_abi_version", "fiberswitch_layout",
                "fiberswitch_probe_read_teb", "fiberswitch_probe_registers", "fiberswitch_probe_resume_registers",
                "fiberswitch_probe_fpenv", "fiberswitch_probe_resume_fpenv", "fiberswitch_probe_read_fpenv",
                "fiberswitch_probe_echo", "fiberswitch_probe_alignment", "fiberswitch_probe_callback",
                "fiberswitch_probe_recurse")) {
            assertTrue(exported.contains(name), name + " is not exported; exports: " + exported);
        }
    }
}
