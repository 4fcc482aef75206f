package org.fiberswitch.windows.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.fiberswitch.spi.AbiDescription;
import org.fiberswitch.spi.FiberControlBlock;
import org.junit.jupiter.api.Test;

/**
 * The DLL the jar carries, read as a PE file: x86-64, a DLL, relocatable, no timestamp, no import
 * table of any kind, every entry point the provider binds exported, and the JNI names and
 * signatures of {@link WindowsX64Native.Jni} in its read-only data. (build-native.sh --check proves
 * it is the byte-exact build of the asm; this proves the resource in the jar is that file.)
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
                "fiberswitch_probe_recurse", "fiberswitch_jni_register")) {
            assertTrue(exported.contains(name), name + " is not exported; exports: " + exported);
        }
    }

    /** The raw bytes of the section called {@code name}. */
    private static byte[] section(String name) {
        int h = header();
        int sections = pe.getShort(h + 2) & 0xFFFF;
        int table = opt + (pe.getShort(h + 16) & 0xFFFF);
        for (int s = 0; s < sections; s++) {
            int e = table + 40 * s;
            String n = new String(pe.array(), e, 8, StandardCharsets.US_ASCII).replace("\0", "");
            if (n.equals(name)) {
                int size = Math.min(pe.getInt(e + 8), pe.getInt(e + 16));
                byte[] bytes = new byte[size];
                System.arraycopy(pe.array(), pe.getInt(e + 20), bytes, 0, size);
                return bytes;
            }
        }
        throw new AssertionError("no section " + name);
    }

    /** Whether {@code s} occurs in {@code data} as a whole NUL-terminated string. */
    private static boolean holdsCString(byte[] data, String s) {
        byte[] want = (s + "\0").getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + want.length <= data.length; i++) {
            for (int k = 0; k < want.length; k++) {
                if (data[i + k] != want[k]) {
                    continue outer;
                }
            }
            int before = i == 0 ? 0 : data[i - 1] & 0xFF;   // not the tail of a longer name
            if (!(Character.isLetterOrDigit(before) || before == '_')) {
                return true;
            }
        }
        return false;
    }

    private static String jniSignature(Method m) {
        StringBuilder sig = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) {
            assertEquals(long.class, p, m + ": the JNI natives take longs only");
            sig.append('J');
        }
        sig.append(')').append(m.getReturnType() == void.class ? "V" : "J");
        assertTrue(m.getReturnType() == void.class || m.getReturnType() == long.class, m.toString());
        return sig.toString();
    }

    @Test
    void carriesTheNamesAndSignaturesOfTheJniNatives() {
        // fiberswitch_jni_register passes these strings to RegisterNatives; a Java method renamed or
        // retyped without the asm would make the registration fail (and the port fall back to JNA).
        byte[] rdata = section(".rdata");
        List<String> natives = new ArrayList<>();
        for (Method m : sharedJniNatives().getDeclaredMethods()) {
            if (m.isSynthetic()) {
                continue;
            }
            assertTrue(Modifier.isStatic(m.getModifiers()) && Modifier.isNative(m.getModifiers()),
                    m + " must be a static native");
            String sig = jniSignature(m);
            natives.add(m.getName() + sig);
            assertTrue(holdsCString(rdata, m.getName()), m.getName() + " is not in the DLL's .rdata");
            assertTrue(holdsCString(rdata, sig), sig + " (" + m.getName() + ") is not in the DLL's .rdata");
        }
        natives.sort(null);
        assertEquals(List.of("prepare(J)V", "probeReadFpEnv()J", "probeResumeFpEnv(JJJ)J",
                "probeResumeRegisters(JJJ)J", "resume(JJ)J"), natives, "the five natives of fiberswitch.h");
    }

    private static Class<?> sharedJniNatives() {
        try {
            return Class.forName("org.fiberswitch.spi.NativePort$JniNatives");
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    /** The text fiberswitch_abi_description returns, found in .rdata by its first key. */
    private static String abiDescription() {
        byte[] rdata = section(".rdata");
        String all = new String(rdata, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = all.indexOf("abi=x86-64 Microsoft x64\n");
        assertTrue(at >= 0, "the DLL's .rdata holds no ABI description");
        return all.substring(at, all.indexOf('\0', at));
    }

    @Test
    void statesTheWin64AbiFacts() {
        AbiDescription abi = AbiDescription.parse(abiDescription());
        // bit 0 rbx, 1 rbp, 2-5 r12-r15, 6 rdi, 7 rsi, 8-17 xmm6-xmm15 (fiberswitch_probe_registers)
        List<String> regs = abi.calleeSavedRegisters();
        assertEquals(18, regs.size());
        assertEquals(List.of("rbx", "rbp", "r12", "r13", "r14", "r15", "rdi", "rsi"), regs.subList(0, 8));
        for (int i = 0; i < 10; i++) {
            assertEquals("xmm" + (6 + i), regs.get(8 + i));
        }
        assertEquals(FiberControlBlock.STUB_POSITIONS, abi.callbacks().userDataPositions());
        assertEquals(FiberControlBlock.STUB_POSITIONS, abi.callbacks().integerArguments());
        assertEquals(4, abi.callbacks().floatArguments(), "xmm0-3; positions 4-7 are shared stack slots on Win64");
    }
}
