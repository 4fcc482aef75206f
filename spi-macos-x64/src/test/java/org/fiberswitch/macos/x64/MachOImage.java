package org.fiberswitch.macos.x64;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader for the one kind of Mach-O file this module ships: a 64-bit x86-64 dylib. It reads
 * the load commands, sections, symbol table and exports trie, which is all the tests need to check
 * the library's shape and to run its code on Linux. Anything unexpected fails loudly.
 */
final class MachOImage {
    static final int MH_MAGIC_64 = 0xfeedfacf;
    static final int CPU_TYPE_X86_64 = 0x01000007;
    static final int MH_DYLIB = 6;
    static final int MH_NOUNDEFS = 0x1;

    static final int LC_SYMTAB = 0x2;
    static final int LC_DYSYMTAB = 0xb;
    static final int LC_LOAD_DYLIB = 0xc;
    static final int LC_ID_DYLIB = 0xd;
    static final int LC_SEGMENT_64 = 0x19;
    static final int LC_UUID = 0x1b;
    static final int LC_VERSION_MIN_MACOSX = 0x24;
    static final int LC_FUNCTION_STARTS = 0x26;
    static final int LC_DATA_IN_CODE = 0x29;
    static final int LC_DYLD_INFO_ONLY = 0x80000022;

    private static final Map<Integer, String> COMMAND_NAMES = Map.of(
            LC_SYMTAB, "LC_SYMTAB", LC_DYSYMTAB, "LC_DYSYMTAB", LC_LOAD_DYLIB, "LC_LOAD_DYLIB",
            LC_ID_DYLIB, "LC_ID_DYLIB", LC_SEGMENT_64, "LC_SEGMENT_64", LC_UUID, "LC_UUID",
            LC_VERSION_MIN_MACOSX, "LC_VERSION_MIN_MACOSX", LC_FUNCTION_STARTS, "LC_FUNCTION_STARTS",
            LC_DATA_IN_CODE, "LC_DATA_IN_CODE", LC_DYLD_INFO_ONLY, "LC_DYLD_INFO_ONLY");

    record Section(String segment, String name, long addr, long size, int offset, int align,
            int nreloc) {
    }

    record Segment(String name, long vmaddr, long vmsize, long fileoff, long filesize,
            int maxprot, int initprot, List<Section> sections) {
    }

    /** An nlist_64 entry; {@code section} is 1-based as in the file, 0 for none. */
    record Symbol(String name, int type, int section, long value) {
        static final int N_EXT = 0x01;
        static final int N_TYPE = 0x0e;
        static final int N_SECT = 0x0e;
        static final int N_UNDF = 0x00;

        boolean external() {
            return (type & N_EXT) != 0;
        }

        boolean undefined() {
            return (type & N_TYPE) == N_UNDF;
        }
    }

    final byte[] bytes;
    final int fileType;
    final int flags;
    /** Load command names in file order, with the segment name for LC_SEGMENT_64. */
    final List<String> loadCommands = new ArrayList<>();
    final List<Segment> segments = new ArrayList<>();
    final List<Symbol> symbols = new ArrayList<>();
    /** Exported name to address (relative to the image base, i.e. __TEXT's vmaddr 0). */
    final Map<String, Long> exports = new LinkedHashMap<>();
    String installName;
    /** LC_VERSION_MIN_MACOSX, as "major.minor"; null if absent. */
    String minMacos;
    String sdkMacos;
    long rebaseSize;
    long bindSize;
    long weakBindSize;
    long lazyBindSize;
    int undefinedSymbolCount = -1;
    int externalRelocations = -1;
    int localRelocations = -1;

    private final ByteBuffer buf;

    MachOImage(byte[] bytes) {
        this.bytes = bytes;
        this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 32 || buf.getInt(0) != MH_MAGIC_64) {
            throw new IllegalArgumentException("not a 64-bit little-endian Mach-O file");
        }
        if (buf.getInt(4) != CPU_TYPE_X86_64) {
            throw new IllegalArgumentException("Mach-O cputype 0x" + Integer.toHexString(buf.getInt(4))
                    + " is not x86-64");
        }
        fileType = buf.getInt(12);
        int ncmds = buf.getInt(16);
        int sizeofcmds = buf.getInt(20);
        flags = buf.getInt(24);
        int at = 32;
        int end = 32 + sizeofcmds;
        for (int i = 0; i < ncmds; i++) {
            int cmd = buf.getInt(at);
            int size = buf.getInt(at + 4);
            if (size < 8 || at + size > end) {
                throw new IllegalArgumentException("load command " + i + " overruns sizeofcmds");
            }
            String name = COMMAND_NAMES.getOrDefault(cmd, "0x" + Integer.toHexString(cmd));
            switch (cmd) {
                case LC_SEGMENT_64 -> {
                    Segment s = readSegment(at);
                    segments.add(s);
                    name += " " + s.name();
                }
                case LC_SYMTAB -> readSymbols(buf.getInt(at + 8), buf.getInt(at + 12),
                        buf.getInt(at + 16), buf.getInt(at + 20));
                case LC_DYSYMTAB -> {
                    undefinedSymbolCount = buf.getInt(at + 28);
                    externalRelocations = buf.getInt(at + 68);
                    localRelocations = buf.getInt(at + 76);
                }
                case LC_VERSION_MIN_MACOSX -> {
                    minMacos = version(buf.getInt(at + 8));
                    sdkMacos = version(buf.getInt(at + 12));
                }
                case LC_ID_DYLIB -> installName = cString(at + buf.getInt(at + 8), at + size);
                case LC_DYLD_INFO_ONLY -> {
                    rebaseSize = Integer.toUnsignedLong(buf.getInt(at + 12));
                    bindSize = Integer.toUnsignedLong(buf.getInt(at + 20));
                    weakBindSize = Integer.toUnsignedLong(buf.getInt(at + 28));
                    lazyBindSize = Integer.toUnsignedLong(buf.getInt(at + 36));
                    readExportsTrie(buf.getInt(at + 40), buf.getInt(at + 44));
                }
                default -> {
                }
            }
            loadCommands.add(name);
            at += size;
        }
    }

    Segment segment(String name) {
        return segments.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no segment " + name));
    }

    Section section(String segment, String name) {
        return segment(segment).sections().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no section " + segment + "," + name));
    }

    /** The bytes of a section as stored in the file. */
    byte[] sectionBytes(Section s) {
        byte[] out = new byte[Math.toIntExact(s.size())];
        System.arraycopy(bytes, s.offset(), out, 0, out.length);
        return out;
    }

    /** 1-based index of a section over all segments, as nlist's n_sect counts. */
    int sectionIndex(Section wanted) {
        int i = 1;
        for (Segment seg : segments) {
            for (Section s : seg.sections()) {
                if (s.equals(wanted)) {
                    return i;
                }
                i++;
            }
        }
        throw new IllegalArgumentException("section not in this image");
    }

    private Segment readSegment(int at) {
        String name = fixedString(at + 8, 16);
        long vmaddr = buf.getLong(at + 24);
        long vmsize = buf.getLong(at + 32);
        long fileoff = buf.getLong(at + 40);
        long filesize = buf.getLong(at + 48);
        int maxprot = buf.getInt(at + 56);
        int initprot = buf.getInt(at + 60);
        int nsects = buf.getInt(at + 64);
        List<Section> sections = new ArrayList<>();
        for (int i = 0; i < nsects; i++) {
            int s = at + 72 + i * 80;
            sections.add(new Section(fixedString(s + 16, 16), fixedString(s, 16), buf.getLong(s + 32),
                    buf.getLong(s + 40), buf.getInt(s + 48), buf.getInt(s + 52), buf.getInt(s + 60)));
        }
        return new Segment(name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot,
                Collections.unmodifiableList(sections));
    }

    private void readSymbols(int symoff, int nsyms, int stroff, int strsize) {
        for (int i = 0; i < nsyms; i++) {
            int e = symoff + i * 16;
            int strx = buf.getInt(e);
            int type = bytes[e + 4] & 0xff;
            int sect = bytes[e + 5] & 0xff;
            long value = buf.getLong(e + 8);
            symbols.add(new Symbol(cString(stroff + strx, stroff + strsize), type, sect, value));
        }
    }

    /** Walks the exports trie: each node has terminal info, then edges to children. */
    private void readExportsTrie(int off, int size) {
        if (size == 0) {
            return;
        }
        walkTrie(off, off + size, off, "", 0);
    }

    private void walkTrie(int start, int end, int node, String prefix, int depth) {
        if (node < start || node >= end || depth > 256) {
            throw new IllegalArgumentException("exports trie node out of range or too deep");
        }
        int[] p = {node};
        long terminalSize = uleb(p, end);
        int children = p[0] + (int) terminalSize;
        if (terminalSize != 0) {
            long exportFlags = uleb(p, end);
            if (exportFlags != 0) {
                // 0 is a regular, non-weak, non-reexport, non-resolver export; we ship nothing else.
                throw new IllegalArgumentException("export " + prefix + " has flags 0x"
                        + Long.toHexString(exportFlags));
            }
            exports.put(prefix, uleb(p, end));
        }
        p[0] = children;
        int count = bytes[p[0]++] & 0xff;
        for (int i = 0; i < count; i++) {
            int strEnd = p[0];
            while (bytes[strEnd] != 0) {
                strEnd++;
            }
            String edge = new String(bytes, p[0], strEnd - p[0], StandardCharsets.US_ASCII);
            p[0] = strEnd + 1;
            long child = uleb(p, end);
            walkTrie(start, end, start + (int) child, prefix + edge, depth + 1);
        }
    }

    /** xxxx.yy.zz nibbles: major in the high 16 bits, minor in the next 8. */
    private static String version(int v) {
        return (v >>> 16) + "." + ((v >>> 8) & 0xff);
    }

    private long uleb(int[] p, int end) {
        long result = 0;
        int shift = 0;
        while (true) {
            if (p[0] >= end || shift > 63) {
                throw new IllegalArgumentException("bad ULEB128 in exports trie");
            }
            int b = bytes[p[0]++] & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
            shift += 7;
        }
    }

    private String fixedString(int at, int len) {
        int n = 0;
        while (n < len && bytes[at + n] != 0) {
            n++;
        }
        return new String(bytes, at, n, StandardCharsets.US_ASCII);
    }

    private String cString(int at, int limit) {
        int n = at;
        while (n < limit && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, at, n - at, StandardCharsets.US_ASCII);
    }
}
