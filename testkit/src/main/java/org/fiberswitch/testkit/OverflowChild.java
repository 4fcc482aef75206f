package org.fiberswitch.testkit;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;

/**
 * The death test's child JVM: overflows a 64 KiB guarded fiber stack with native recursion. The
 * guard page must stop it at once; the parent checks that it died and never printed
 * {@value #SURVIVED}.
 */
public final class OverflowChild {
    static final String REACHED = "CHILD: overflowing now";
    static final String SURVIVED = "CHILD: SURVIVED";

    private OverflowChild() {
    }

    /** What became of the child. */
    record Outcome(int exitCode, boolean reachedOverflow, boolean survived, String output) {
    }

    /** {@code args[0]}: the provider's class name. */
    public static void main(String[] args) {
        try (FiberRuntime runtime = FiberRuntime.open(args[0])) {
            long recurse = runtime.port().probes().recursionEntry();
            // About 60 frames of 1 KiB fit; ask for 100,000.
            Fiber f = runtime.newCall(recurse, self -> new long[] {100_000},
                    StackOptions.defaults().withSize(64 * 1024).withGuardPage(true));
            System.out.println(REACHED);
            System.out.flush();
            f.resume();
            System.out.println(SURVIVED + " in state " + f.state());
        }
    }

    /** This JVM's class path with every entry absolute: the child runs in another directory. */
    private static String absoluteClassPath() {
        List<String> out = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            out.add(Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, out);
    }

    /** Runs the child on this JVM's class path and waits up to a minute for it to die. */
    static Outcome run(String providerClass) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "fiberswitch-death-test"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.toAbsolutePath() + File.separator + "hs_err_%p.log",
                "-cp", absoluteClassPath()));
        // Where native libraries may be extracted and found must reach the child too.
        for (String key : new String[] {"jna.tmpdir", "jna.library.path", "java.io.tmpdir", "jna.nosys",
                "fiberswitch.binding", "fiberswitch.accelerate"}) {
            String value = System.getProperty(key);
            if (value != null) {
                cmd.add("-D" + key + "=" + value);
            }
        }
        cmd.add(OverflowChild.class.getName());
        cmd.add(providerClass);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            throw new AssertionError("the child hung for 60 s instead of dying at the overflow:\n" + out);
        }
        return new Outcome(p.exitValue(), out.contains(REACHED), out.contains(SURVIVED), out);
    }
}
