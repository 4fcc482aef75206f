package org.fiberswitch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The module descriptors work, not just compile: the doctor runs as named modules on the module
 * path, where the provider is found through {@code provides}/{@code uses} and JNA binds the
 * provider's natives through its {@code opens}.
 */
class ModulePathTest {

    @Test
    void doctorRunsOnTheModulePath() throws Exception {
        List<String> modules = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).toString();
            boolean ours = (name.contains("fiberswitch") || name.endsWith(Path.of("target", "classes").toString()))
                    && !name.contains("test-classes");
            String file = Path.of(entry).getFileName().toString();
            boolean kitModules = file.startsWith("junit-") || file.startsWith("opentest4j-")
                    || file.startsWith("apiguardian-");
            if (ours || kitModules || name.contains("jna-") || name.contains("picocli-")) {
                modules.add(entry);
            }
        }
        assertTrue(modules.size() >= 8, "expected api, providers, testkit, cli, jna, picocli and junit: " + modules);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=com.sun.jna",
                "--module-path", String.join(File.pathSeparator, modules),
                "-m", "org.fiberswitch.cli/org.fiberswitch.cli.FiberswitchCommand", "doctor", "--iterations", "1000")
                .redirectErrorStream(true).start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(exited, "doctor on the module path hung:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("runtime  opened on "), out);
        assertTrue(out.contains("providers found: 3"), out);
        assertTrue(out.matches("(?s).*smoke    ([5-9]) of \\1 checks ok.*"), out);
    }
}
