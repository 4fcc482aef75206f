package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.fiberswitch.linux.x64.MutantLibrary.Mutation;
import org.fiberswitch.spi.SwitchProvider;
import org.fiberswitch.testkit.SwitchProviderConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The kit tests itself: it runs against copies of the real library with one instruction broken,
 * and exactly the rules meant to catch each break must fail. An unbroken copy must pass everything.
 * Each run is a child JVM, because a broken switch can corrupt the JVM that calls it.
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class KitSelfTest {

    /** The kit over the unbroken copy: proves the copy-and-call harness itself is sound. */
    static class Unbroken extends SwitchProviderConformance {
        @Override
        protected SwitchProvider provider() {
            return MutantLibrary.provider(Mutation.NONE);
        }
    }

    static class LosesR12 extends SwitchProviderConformance {
        @Override
        protected SwitchProvider provider() {
            return MutantLibrary.provider(Mutation.LOSES_R12);
        }
    }

    static class MisalignsStack extends SwitchProviderConformance {
        @Override
        protected SwitchProvider provider() {
            return MutantLibrary.provider(Mutation.MISALIGNS_STACK);
        }
    }

    static class LeaksMxcsr extends SwitchProviderConformance {
        @Override
        protected SwitchProvider provider() {
            return MutantLibrary.provider(Mutation.LEAKS_MXCSR);
        }
    }

    static class DropsCallbackArgument extends SwitchProviderConformance {
        @Override
        protected SwitchProvider provider() {
            return MutantLibrary.provider(Mutation.DROPS_CALLBACK_ARGUMENT);
        }
    }

    /** Rule id -> JUnit status, from running {@code areas} of {@code kit} in a child JVM. */
    private static Map<String, String> run(Class<?> kit, String... areas) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + Path.of("target", "hs_err_mutant_%p.log").toAbsolutePath(),
                // The mutants' reports are evidence of intended failures, kept apart from the real cells.
                "-Dfiberswitch.conformance.dir=" + Path.of("target", "kit-self-test-reports").toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), MutantKitMain.class.getName(), kit.getName()));
        cmd.addAll(List.of(areas));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the kit hung on " + kit.getSimpleName());
        assertTrue(out.contains("KIT DONE"), kit.getSimpleName() + " crashed the JVM instead of failing a rule "
                + "(exit " + p.exitValue() + "):\n" + out);
        Map<String, String> status = new TreeMap<>();
        for (String line : out.split("\\R")) {
            if (line.startsWith("RULE ")) {
                String[] parts = line.split(" ");
                status.put(parts[1], parts[2]);
            }
        }
        assertFalse(status.isEmpty(), "no rule ran:\n" + out);
        return status;
    }

    private static Set<String> failed(Map<String, String> status) {
        Set<String> out = new TreeSet<>();
        status.forEach((rule, s) -> {
            if (s.equals("FAILED")) {
                out.add(rule);
            }
        });
        return out;
    }

    /** Every area the kit has, by nested class name. */
    private static final String[] ALL_AREAS = {"Handshake", "Registers", "FpControl", "Alignment", "Values",
        "Nesting", "Threads", "Misuse", "Callbacks", "Stacks", "Unwinding", "GarbageCollection"};

    @Test
    void anUnbrokenCopyPassesEveryRule() throws Exception {
        Map<String, String> status = run(Unbroken.class, ALL_AREAS);
        assertEquals(Set.of(), failed(status), "status: " + status);
        assertTrue(status.size() >= 30, "only " + status.size() + " rules ran: " + status);
    }

    @Test
    void losingR12IsCaughtByTheRegisterRules() throws Exception {
        Map<String, String> status = run(LosesR12.class, "Registers");
        assertEquals(Set.of("2.1", "2.2", "2.3"), failed(status), "status: " + status);
    }

    @Test
    void aMisalignedStackIsCaughtByTheAlignmentRules() throws Exception {
        Map<String, String> status = run(MisalignsStack.class, "Alignment", "Registers");
        assertEquals(Set.of("4.1", "4.2"), failed(status), "status: " + status);
    }

    @Test
    void aLeakedMxcsrIsCaughtByTheFpRules() throws Exception {
        Map<String, String> status = run(LeaksMxcsr.class, "FpControl", "Values");
        Set<String> failed = failed(status);
        assertTrue(failed.contains("3.3") && (failed.contains("3.1") || failed.contains("3.2")), "status: " + status);
        assertTrue(failed.stream().allMatch(r -> r.startsWith("3.")), "only the FP rules should fail: " + status);
    }

    @Test
    void aDroppedCallbackArgumentIsCaughtByTheCaptureRule() throws Exception {
        Map<String, String> status = run(DropsCallbackArgument.class, "Callbacks", "Values");
        assertEquals(Set.of("9.1"), failed(status), "status: " + status);
    }
}
