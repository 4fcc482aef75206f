package org.fiberswitch.macos.x64;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A small reader for the Linux port's ELF64 shared library: section headers and the full symbol
 * table (.symtab keeps the local functions and their sizes, which the byte comparison needs).
 */
final class ElfImage {
    static final int SHT_SYMTAB = 2;
    static final int STT_FUNC = 2;
    static final int STB_GLOBAL = 1;

    record Section(String name, int type, long addr, long offset, long size, int link) {
    }

    record Symbol(String name, int bind, int type, int sectionIndex, long value, long size) {
    }

    final byte[] bytes;
    final List<Section> sections = new ArrayList<>();
    final List<Symbol> symbols = new ArrayList<>();

    private final ByteBuffer buf;

    ElfImage(byte[] bytes) {
        this.bytes = bytes;
        this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 64 || buf.getInt(0) != 0x464c457f || bytes[4] != 2 || bytes[5] != 1) {
            throw new IllegalArgumentException("not a 64-bit little-endian ELF file");
        }
        long shoff = buf.getLong(0x28);
        int shentsize = buf.getShort(0x3a) & 0xffff;
        int shnum = buf.getShort(0x3c) & 0xffff;
        int shstrndx = buf.getShort(0x3e) & 0xffff;
        long strtabOff = buf.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18));
        for (int i = 0; i < shnum; i++) {
            int h = Math.toIntExact(shoff + (long) i * shentsize);
            sections.add(new Section(cString(strtabOff + buf.getInt(h)), buf.getInt(h + 4),
                    buf.getLong(h + 0x10), buf.getLong(h + 0x18), buf.getLong(h + 0x20),
                    buf.getInt(h + 0x28)));
        }
        for (Section s : sections) {
            if (s.type() == SHT_SYMTAB) {
                long names = sections.get(s.link()).offset();
                for (long e = s.offset(); e < s.offset() + s.size(); e += 24) {
                    int at = Math.toIntExact(e);
                    int info = bytes[at + 4] & 0xff;
                    symbols.add(new Symbol(cString(names + buf.getInt(at)), info >> 4, info & 0xf,
                            buf.getShort(at + 6) & 0xffff, buf.getLong(at + 8), buf.getLong(at + 16)));
                }
            }
        }
        if (symbols.isEmpty()) {
            throw new IllegalArgumentException("ELF file has no .symtab (stripped?)");
        }
    }

    Section section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no ELF section " + name));
    }

    byte[] sectionBytes(Section s) {
        byte[] out = new byte[Math.toIntExact(s.size())];
        System.arraycopy(bytes, Math.toIntExact(s.offset()), out, 0, out.length);
        return out;
    }

    int sectionIndex(String name) {
        return sections.indexOf(section(name));
    }

    private String cString(long at) {
        int start = Math.toIntExact(at);
        int n = start;
        while (bytes[n] != 0) {
            n++;
        }
        return new String(bytes, start, n - start, StandardCharsets.US_ASCII);
    }
}
