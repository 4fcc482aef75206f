package org.fiberswitch.cli;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.fiberswitch.testkit.ConformanceReportListener;
import org.fiberswitch.testkit.DiscoveredProvidersConformanceTest;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fiberswitch conformance}: runs the conformance kit against every provider this JVM finds,
 * in process, and prints the report the kit writes (rule, result, time, hint).
 */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Runs the conformance kit against every provider found and prints its report.",
            "Exit code 0 when no rule failed, 1 otherwise."})
final class ConformanceCommand implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "fiberswitch-conformance",
            description = "Where the JSON and Markdown reports go (default: ${DEFAULT-VALUE}).")
    private Path out;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        Files.createDirectories(out);
        System.setProperty(ConformanceReportListener.DIR_PROPERTY, out.toString());
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(DiscoveredProvidersConformanceTest.class)).build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        // The launcher also loads the kit's ConformanceReportListener, which writes the reports.
        LauncherFactory.create().execute(request, summary);
        List<Path> reports;
        try (Stream<Path> files = Files.list(out)) {
            reports = files.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
        for (Path md : reports) {
            w.println(Files.readString(md));
        }
        TestExecutionSummary s = summary.getSummary();
        w.printf("conformance: %d rules run, %d failed, %d skipped; reports in %s%n", s.getTestsStartedCount(),
                s.getTotalFailureCount(), s.getTestsSkippedCount() + s.getTestsAbortedCount(), out.toAbsolutePath());
        w.flush();
        return s.getTotalFailureCount() == 0 ? 0 : 1;
    }
}
