package org.fiberswitch.macos.x64;

import com.sun.jna.Pointer;
import java.util.Map;
import org.fiberswitch.testkit.ExecutableMemory;

/**
 * The dylib's {@code __TEXT} segment mapped executable on Linux, as dyld would place it
 * ({@link ExecutableMemory}). The code is position-independent
 * (RIP-relative addressing only, and the dylib has no rebase or bind fixups), so it runs wherever it
 * lands; an export's address is the mapping's base plus its exports-trie offset.
 */
final class MachOCode {
    private static MachOCode instance;

    final MachOImage image;
    final long base;
    final long size;

    private MachOCode(MachOImage image) {
        this.image = image;
        MachOImage.Segment text = image.segment("__TEXT");
        if (image.rebaseSize != 0 || image.bindSize != 0 || image.lazyBindSize != 0 || image.weakBindSize != 0) {
            throw new IllegalStateException("the dylib needs dyld fixups; it cannot be run as plain bytes");
        }
        this.size = text.vmsize();
        this.base = ExecutableMemory.map(size,
                at -> new Pointer(at).write(text.vmaddr(), image.bytes, (int) text.fileoff(), (int) text.filesize()));
    }

    /** Maps the committed dylib once per JVM; the mapping lives as long as the JVM. */
    static synchronized MachOCode load() {
        if (instance == null) {
            instance = new MachOCode(Artifacts.dylibImage());
        }
        return instance;
    }

    /** Address of a C symbol (no underscore) from the exports trie. */
    long address(String cName) {
        Map<String, Long> exports = image.exports;
        Long offset = exports.get("_" + cName);
        if (offset == null) {
            throw new IllegalArgumentException("the dylib does not export _" + cName + "; exports: " + exports.keySet());
        }
        return base + offset;
    }
}
