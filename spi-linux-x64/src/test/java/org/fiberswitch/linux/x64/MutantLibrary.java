package org.fiberswitch.linux.x64;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fiberswitch.spi.Capability;
import org.fiberswitch.spi.ForwardingSwitchPort;
import org.fiberswitch.spi.NativePort;
import org.fiberswitch.spi.PosixStackMemory;
import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;
import org.fiberswitch.testkit.ExecutableMemory;

/**
 * A copy of the real {@code libfiberswitch.so} mapped into fresh memory with one instruction
 * patched, for the kit's self-tests: a kit that cannot fail proves nothing. The library has no
 * relocations and only RIP-relative references, so its loadable segments run wherever they are
 * copied; symbols (local ones too) come from its {@code .symtab}.
 */
final class MutantLibrary {

    /**
     * One instruction, replaced by another of the same length, in each function named. The switch
     * body is one macro assembled into both directions (swap_in, swap_out), so a bug in it shows in
     * both, and its mutations patch both.
     */
    enum Mutation {
        /** The switch pops r12's saved value into r11: r12 keeps the other side's value. */
        LOSES_R12("415c", "415b", "fiberswitch_swap_in", "fiberswitch_swap_out"),
        /** The entry trampoline pushes rbp instead of zeroing it: every fiber function starts misaligned by 8. */
        MISALIGNS_STACK("31ed", "5590", "fiberswitch_entry"),
        /** The switch never reloads MXCSR: a fiber's rounding mode leaks to its resumer and back. */
        LEAKS_MXCSR("0fae5424f8", "0f1f440000", "fiberswitch_swap_in", "fiberswitch_swap_out"),
        /** The callback body never stores r9: integer argument position 5 is dropped. */
        DROPS_CALLBACK_ARGUMENT("4d898aa8000000", "0f1f8000000000", "fiberswitch_callback_body"),
        /** Nothing patched: the copy must pass, or the harness itself is broken. */
        NONE("", "");

        final List<String> functions;
        final byte[] original;
        final byte[] replacement;

        Mutation(String original, String replacement, String... functions) {
            this.functions = List.of(functions);
            this.original = HexFormat.of().parseHex(original);
            this.replacement = HexFormat.of().parseHex(replacement);
        }
    }

    private final long base;
    private final Map<String, Long> symbols;

    private MutantLibrary(long base, Map<String, Long> symbols) {
        this.base = base;
        this.symbols = symbols;
    }

    long address(String name) {
        Long offset = symbols.get(name);
        return offset == null ? 0L : base + offset;
    }

    /** Maps a patched copy of the library. */
    static MutantLibrary load(Mutation mutation) {
        ByteBuffer elf = read();
        long phoff = elf.getLong(32);
        int phentsize = Short.toUnsignedInt(elf.getShort(54));
        int phnum = Short.toUnsignedInt(elf.getShort(56));
        long span = 0;
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            if (elf.getInt(at) == 1) {
                span = Math.max(span, elf.getLong(at + 16) + elf.getLong(at + 40));
            }
        }
        Map<String, long[]> symtab = symbols(elf);
        long mapped = span;
        long base = ExecutableMemory.map(mapped, at -> {
            Pointer image = new Pointer(at);
            for (int i = 0; i < phnum; i++) {
                int ph = (int) (phoff + (long) i * phentsize);
                if (elf.getInt(ph) == 1) {
                    long offset = elf.getLong(ph + 8);
                    long vaddr = elf.getLong(ph + 16);
                    long filesz = elf.getLong(ph + 32);
                    byte[] bytes = new byte[(int) filesz];
                    elf.get((int) offset, bytes);
                    image.write(vaddr, bytes, 0, bytes.length);
                }
            }
            if (mutation != Mutation.NONE) {
                patch(image, symtab, mutation);
            }
        });
        Map<String, Long> addresses = new HashMap<>();
        symtab.forEach((name, valueAndSize) -> addresses.put(name, valueAndSize[0]));
        return new MutantLibrary(base, addresses);
    }

    private static void patch(Pointer image, Map<String, long[]> symtab, Mutation m) {
        for (String function : m.functions) {
            patch(image, symtab, m, function);
        }
    }

    private static void patch(Pointer image, Map<String, long[]> symtab, Mutation m, String function) {
        long[] fn = symtab.get(function);
        if (fn == null || fn[1] == 0) {
            throw new IllegalStateException("no sized symbol " + function + " in the library's .symtab");
        }
        byte[] code = image.getByteArray(fn[0], (int) fn[1]);
        int found = -1;
        for (int i = 0; i + m.original.length <= code.length; i++) {
            boolean match = true;
            for (int j = 0; j < m.original.length && match; j++) {
                match = code[i + j] == m.original[j];
            }
            if (match) {
                if (found >= 0) {
                    throw new IllegalStateException(m + ": the pattern occurs twice in " + function);
                }
                found = i;
            }
        }
        if (found < 0) {
            throw new IllegalStateException(m + ": the pattern is not in " + function
                    + "; the assembly changed, update the mutation");
        }
        image.write(fn[0] + found, m.replacement, 0, m.replacement.length);
    }

    /** name -> {value, size} from .symtab. */
    private static Map<String, long[]> symbols(ByteBuffer elf) {
        long shoff = elf.getLong(40);
        int shentsize = Short.toUnsignedInt(elf.getShort(58));
        int shnum = Short.toUnsignedInt(elf.getShort(60));
        Map<String, long[]> out = new HashMap<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (elf.getInt(sh + 4) != 2) { // SHT_SYMTAB
                continue;
            }
            long offset = elf.getLong(sh + 24);
            long size = elf.getLong(sh + 32);
            int link = elf.getInt(sh + 40);
            long entsize = elf.getLong(sh + 56);
            long strOffset = elf.getLong((int) (shoff + (long) link * shentsize) + 24);
            for (long s = offset; s < offset + size; s += entsize) {
                int nameAt = elf.getInt((int) s);
                long value = elf.getLong((int) s + 8);
                long symSize = elf.getLong((int) s + 16);
                if (nameAt == 0 || value == 0) {
                    continue;
                }
                out.put(cString(elf, (int) (strOffset + nameAt)), new long[] {value, symSize});
            }
        }
        return out;
    }

    private static String cString(ByteBuffer b, int at) {
        int end = at;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] s = new byte[end - at];
        b.get(at, s);
        return new String(s, StandardCharsets.US_ASCII);
    }

    private static ByteBuffer read() {
        try (InputStream in = MutantLibrary.class.getResourceAsStream("/linux-x86-64/libfiberswitch.so")) {
            if (in == null) {
                throw new IllegalStateException("linux-x86-64/libfiberswitch.so is not on the class path");
            }
            return ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A provider over a mutant copy. Guard pages are not declared, so the death test stays out of it. */
    static SwitchProvider provider(Mutation mutation) {
        return new SwitchProvider() {
            private SwitchPort port;

            @Override
            public String id() {
                return "linux-x64-mutant-" + mutation.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            }

            @Override
            public int priority() {
                return 0;
            }

            @Override
            public boolean isSupported() {
                return new LinuxX64SwitchProvider().isSupported();
            }

            @Override
            public boolean isAvailable() {
                return true;
            }

            @Override
            public Throwable unavailabilityCause() {
                return null;
            }

            @Override
            public synchronized SwitchPort port() {
                if (port == null) {
                    MutantLibrary lib = load(mutation);
                    // Copied code is not registered with any unwinder, so UNWIND_TABLES is not claimed.
                    SwitchPort copy = NativePort.forCode(new NativePort.Spec(id(), lib::address,
                            PosixStackMemory.forThisOs(), Set.of(), NativePort.PortSlots.NONE,
                            "a copy of libfiberswitch.so at 0x" + Long.toHexString(lib.base) + " (" + mutation + ")"),
                            false);
                    // The guard-page death test constructs its provider by class name in a child JVM, which
                    // this anonymous provider cannot offer; the stacks are the real provider's, whose own
                    // run proves the guard page.
                    port = new ForwardingSwitchPort(copy) {
                        @Override
                        public Set<Capability> capabilities() {
                            Set<Capability> caps = EnumSet.noneOf(Capability.class);
                            caps.addAll(copy.capabilities());
                            caps.remove(Capability.GUARD_PAGES);
                            return caps;
                        }
                    };
                }
                return port;
            }
        };
    }
}
