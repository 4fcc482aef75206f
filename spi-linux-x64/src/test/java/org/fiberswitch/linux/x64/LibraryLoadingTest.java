package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the provider's library comes from, and what a user is told when it cannot be loaded. Each
 * case runs in a child JVM ({@link LoadingProbeMain}), so library paths and native-access flags
 * are its own.
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider")
class LibraryLoadingTest {
    @TempDir
    Path dir;

    /** A library named like ours that is not ours: a copy of libm. */
    private Path strayLibrary() throws Exception {
        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        if (!Files.exists(libm)) {
            libm = Path.of("/usr/lib/x86_64-linux-gnu/libm.so.6");
        }
        assumeTrue(Files.exists(libm), "no libm.so.6 to plant as a stray library");
        Path stray = Files.createDirectories(dir.resolve("stray")).resolve("libfiberswitch.so");
        Files.copy(libm, stray);
        return stray;
    }

    private String child(List<String> jvmArgs, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmArgs);
        cmd.add("-Dfiberswitch.library.dir=" + dir.resolve("cache"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadingProbeMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child hung:\n" + out);
        return out;
    }

    private static final String ACCESS = "--enable-native-access=ALL-UNNAMED";

    @Test
    void aStrayLibraryOfTheSameNameNeverShadowsTheBundledOne() throws Exception {
        Path stray = strayLibrary();
        String out = child(List.of(ACCESS, "-Djna.library.path=" + stray.getParent()),
                Map.of("LD_LIBRARY_PATH", stray.getParent().toString()));
        assertTrue(out.startsWith("OPENED "), out);
        assertTrue(out.contains("the provider jar's linux-x86-64/libfiberswitch.so"), out);
        assertTrue(!out.contains(stray.toString()), out);
    }

    @Test
    void withJnasSearchAForeignLibraryIsNamedInTheError() throws Exception {
        Path stray = strayLibrary();
        String out = child(List.of(ACCESS, "-Dfiberswitch.library=search", "-Djna.library.path=" + stray.getParent()),
                Map.of());
        assertTrue(out.startsWith("FAILED "), out);
        assertTrue(out.contains(stray.toString()), "names the file that was loaded: " + out);
        assertTrue(out.contains("does not export fiberswitch_"), out);
    }

    @Test
    void aNamedLibraryFileIsLoadedAsIs() throws Exception {
        Path ours = Path.of("src", "main", "resources", "linux-x86-64", "libfiberswitch.so").toAbsolutePath();
        Path copy = Files.copy(ours, Files.createDirectories(dir.resolve("mine")).resolve("libfiberswitch.so"));
        String out = child(List.of(ACCESS, "-Dfiberswitch.library=" + copy), Map.of());
        assertTrue(out.startsWith("OPENED "), out);
        assertTrue(out.contains(copy + " (-Dfiberswitch.library)"), out);
    }

    @Test
    void aMissingLibraryFileSaysWhatWasAskedFor() throws Exception {
        String missing = dir.resolve("nowhere" + File.separator + "libfiberswitch.so").toString();
        String out = child(List.of(ACCESS, "-Dfiberswitch.library=" + missing), Map.of());
        assertTrue(out.startsWith("FAILED "), out);
        assertTrue(out.contains("cannot load " + missing), out);
        assertTrue(out.contains("CAUSE java.lang.UnsatisfiedLinkError"), "keeps JNA's error as the cause: " + out);
    }

    @Test
    void deniedNativeAccessNamesTheFlagToAdd() throws Exception {
        assumeTrue(Runtime.version().feature() >= 24, "--illegal-native-access exists from JDK 24; this JVM is "
                + Runtime.version() + " (the Temurin 25 pass of .ci/run runs this case)");
        String out = child(List.of("--illegal-native-access=deny"), Map.of());
        assertTrue(out.startsWith("FAILED "), out);
        assertTrue(out.contains("--enable-native-access=ALL-UNNAMED"), out);
    }
}
