package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The one crash we accept: native code that overflows a guarded fiber stack hits the guard page
 * and the process dies at once, loudly. Proved in a child JVM.
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class StackOverflowDeathTest {

    /** The child: overflows a 64 KiB guarded stack with 1 KiB frames. */
    public static final class Child {
        public static void main(String[] args) {
            try (FiberRuntime runtime = FiberRuntime.open()) {
                long recurse = runtime.port().probes().recursionEntry();
                // The fiber fits ~60 frames; ask for 10,000.
                Fiber f = runtime.newCall(recurse, self -> new long[] {10_000},
                        StackOptions.defaults().withSize(64 * 1024).withGuardPage(true));
                System.out.println("CHILD: overflowing now");
                System.out.flush();
                f.resume();
                System.out.println("CHILD: SURVIVED " + f.state());
            }
        }
    }

    @Test
    void overflowOfAGuardedStackKillsTheProcessAtOnce() throws IOException, InterruptedException {
        Path dir = Files.createDirectories(Path.of("target", "death-test"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.toAbsolutePath() + "/hs_err_%p.log",
                "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .directory(dir.toFile()).redirectErrorStream(true);
        long start = System.nanoTime();
        Process p = pb.start();
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            p.destroyForcibly();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(exited, "the child hung instead of dying; output:\n" + out);
        assertTrue(out.contains("CHILD: overflowing now"), "the child did not get to the overflow:\n" + out);
        assertFalse(out.contains("SURVIVED"), "the overflow was not caught by the guard page:\n" + out);
        int code = p.exitValue();
        assertNotEquals(0, code, "the child exited normally:\n" + out);
        // Killed by SIGSEGV (128+11) when no handler could run on the exhausted stack, or HotSpot's
        // fatal-error report (SIGABRT, 128+6) naming SIGSEGV.
        assertTrue(code == 139 || code == 134, "exit code " + code + ", output:\n" + out);
        if (code == 134) {
            assertTrue(out.contains("SIGSEGV"), out);
        }
        System.out.println("death test: child died with exit code " + code + " after " + ms + " ms");
    }
}
