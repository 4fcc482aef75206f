package org.fiberswitch.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.ProviderStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fiberswitch doctor}: which providers were found and why each is or is not usable, then
 * opens a runtime, runs the smoke checks and measures the resume/yield round trip.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Lists the switch providers found and why each is or is not usable, opens a runtime,",
            "runs a smoke check of the switch, and prints the resume->yield round-trip time.",
            "Exit code 0 when everything passed, 1 when a check failed, 2 when no provider could be used."})
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--provider", paramLabel = "ID",
            description = "Use this provider (id or class name) and no other, like -Dfiberswitch.provider.")
    private String provider;

    @Option(names = "--iterations", defaultValue = "200000", paramLabel = "N",
            description = "Round trips per timing batch (default: ${DEFAULT-VALUE}).")
    private int iterations;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("java     %s (%s), %s %s%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"));
        List<ProviderStatus> found = FiberRuntime.providers();
        out.println("providers found: " + found.size());
        for (ProviderStatus s : found) {
            out.println("  " + s);
        }
        FiberRuntime runtime;
        try {
            runtime = provider == null ? FiberRuntime.open() : FiberRuntime.open(provider);
        } catch (RuntimeException e) {
            out.println("runtime  NOT OPENED: " + e.getMessage());
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                out.println("         caused by: " + c);
            }
            out.flush();
            return 2;
        }
        try (FiberRuntime r = runtime) {
            out.println("runtime  opened on " + r.providerId() + " (binding: " + r.port().binding() + ", accelerator: "
                    + r.accelerator() + "), capabilities " + r.port().capabilities());
            out.println("         port " + r.port());
            out.println("         abi  " + r.port().abi().name() + "; callee-saved " + r.port().abi().calleeSavedRegisters()
                    + "; FP control " + r.port().abi().fpControl());
            for (String note : r.acceleratorNotes()) {
                out.println("         accelerator note: " + note);
            }
            SmokeCheck check = new SmokeCheck(r);
            List<SmokeCheck.Result> results = check.runAll();
            int failed = 0;
            for (SmokeCheck.Result res : results) {
                out.printf("  %-4s %-44s %s%n", res.passed() ? "ok" : "FAIL", res.name(), res.detail());
                if (!res.passed()) {
                    failed++;
                }
            }
            out.printf("smoke    %d of %d checks ok%n", results.size() - failed, results.size());
            RoundTrip.Timing t = new RoundTrip(r).measure(Math.max(1000, iterations));
            out.printf("timing   resume->yield round trip: %.1f ns (median of %d batches of %d)%n",
                    t.roundTripNanos(), t.batches(), t.perBatch());
            out.printf("         no-op downcall through the same binding: %.1f ns; ratio %.2fx%n",
                    t.downcallNanos(), t.roundTripNanos() / t.downcallNanos());
            out.println("         (a quick look, not a benchmark: use the JMH suite for claims)");
            out.flush();
            return failed == 0 ? 0 : 1;
        }
    }
}
