package org.fiberswitch.macos.x64;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The committed libraries the tests read: this module's dylib and the Linux port's ELF library. */
final class Artifacts {
    static final String DYLIB_RESOURCE = "/" + new MacosX64SwitchProvider().resourcePrefix() + "/libfiberswitch.dylib";
    static final Path LINUX_LIBRARY = Path.of("..", "spi-linux-x64", "src", "main", "resources", "linux-x86-64",
            "libfiberswitch.so");

    private Artifacts() {
    }

    /** The dylib as the jar carries it. */
    static byte[] dylib() {
        try (InputStream in = Artifacts.class.getResourceAsStream(DYLIB_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DYLIB_RESOURCE + " is not on the class path; run"
                        + " spi-macos-x64/build-native.sh");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MachOImage dylibImage() {
        return new MachOImage(dylib());
    }

    /** The Linux library from the sibling module's sources (tests run in spi-macos-x64/). */
    static ElfImage linuxImage() {
        Path p = Path.of(System.getProperty("basedir", ".")).resolve(LINUX_LIBRARY).normalize();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("the Linux library " + p.toAbsolutePath() + " is missing; these tests"
                    + " compare the dylib with it and expect the whole checkout");
        }
        try {
            return new ElfImage(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
