package org.fiberswitch.testkit;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Writes the conformance report of a test run: one JSON and one Markdown file per provider and
 * cell (JDK version and garbage collector) under {@code target/fiberswitch-conformance} (or the
 * directory in {@value #DIR_PROPERTY}). Registered through {@code META-INF/services}, so it runs
 * whenever the kit is on a JUnit Platform test path; runs without conformance rules write nothing.
 */
public final class ConformanceReportListener implements TestExecutionListener {
    /** System property naming the report directory. */
    public static final String DIR_PROPERTY = "fiberswitch.conformance.dir";

    /** One rule's outcome. */
    public record Result(String provider, String id, String name, String status, long millis, String hint,
            String message) {
    }

    private final Map<String, Long> started = new ConcurrentHashMap<>();
    private final Map<String, String> providers = new ConcurrentHashMap<>();
    private final List<Result> results = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public void executionStarted(TestIdentifier id) {
        started.put(id.getUniqueId(), System.nanoTime());
    }

    @Override
    public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
        String provider = entry.getKeyValuePairs().get(SwitchProviderConformance.PROVIDER_ENTRY);
        if (provider != null) {
            providers.put(id.getUniqueId(), provider);
        }
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        ConformanceRule rule = rule(id);
        if (rule != null) {
            results.add(new Result(providers.getOrDefault(id.getUniqueId(), "?"), rule.id(), methodName(id),
                    "skipped", 0, rule.hint(), reason));
        }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        ConformanceRule rule = rule(id);
        if (rule == null) {
            return;
        }
        Long t0 = started.remove(id.getUniqueId());
        long ms = t0 == null ? 0 : (System.nanoTime() - t0) / 1_000_000;
        String status = switch (result.getStatus()) {
            case SUCCESSFUL -> "passed";
            case ABORTED -> "skipped";
            case FAILED -> "FAILED";
        };
        String message = result.getThrowable().map(Throwable::getMessage).orElse("");
        results.add(new Result(providers.getOrDefault(id.getUniqueId(), "?"), rule.id(), methodName(id), status, ms,
                rule.hint(), message == null ? "" : message));
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (results.isEmpty()) {
            return;
        }
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, Path.of("target", "fiberswitch-conformance").toString()));
        Map<String, List<Result>> byProvider = new java.util.TreeMap<>();
        synchronized (results) {
            for (Result r : results) {
                byProvider.computeIfAbsent(r.provider(), k -> new ArrayList<>()).add(r);
            }
        }
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, List<Result>> e : byProvider.entrySet()) {
                List<Result> rs = e.getValue();
                rs.sort(Comparator.comparing((Result r) -> ruleOrder(r.id())));
                String cell = cellName(e.getKey());
                Files.writeString(dir.resolve(cell + ".json"), json(e.getKey(), rs), StandardCharsets.UTF_8);
                Files.writeString(dir.resolve(cell + ".md"), markdown(e.getKey(), rs), StandardCharsets.UTF_8);
                long passed = rs.stream().filter(r -> r.status().equals("passed")).count();
                long failed = rs.stream().filter(r -> r.status().equals("FAILED")).count();
                long skipped = rs.size() - passed - failed;
                System.out.printf("fiberswitch conformance [%s]: %d rules passed, %d FAILED, %d skipped -> %s%n",
                        cell, passed, failed, skipped, dir.resolve(cell + ".md"));
            }
        } catch (IOException ex) {
            System.err.println("fiberswitch conformance: cannot write the report to " + dir + ": " + ex);
        }
        results.clear();
    }

    /** {@code linux-x64-sysv-jdk17-G1} and so on. */
    static String cellName(String provider) {
        String major = Platform.javaVersion().split("[.+-]")[0];
        return (provider + "-jdk" + major + "-" + Platform.collector()).replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String ruleOrder(String id) {
        String[] parts = id.split("\\.");
        return String.format(Locale.ROOT, "%04d.%04d", Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    private static ConformanceRule rule(TestIdentifier id) {
        if (!(id.getSource().orElse(null) instanceof MethodSource ms)) {
            return null;
        }
        try {
            Class<?> c = Class.forName(ms.getClassName(), false, ConformanceReportListener.class.getClassLoader());
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(ms.getMethodName())) {
                    return m.getAnnotation(ConformanceRule.class);
                }
            }
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        return null;
    }

    private static String methodName(TestIdentifier id) {
        return id.getSource().orElse(null) instanceof MethodSource ms ? ms.getMethodName() : id.getDisplayName();
    }

    private static String json(String provider, List<Result> rs) {
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"provider\": ").append(q(provider))
                .append(",\n  \"java\": ").append(q(Platform.javaVersion()))
                .append(",\n  \"vm\": ").append(q(System.getProperty("java.vm.name")))
                .append(",\n  \"gc\": ").append(q(Platform.collector()))
                .append(",\n  \"os\": ").append(q(System.getProperty("os.name") + " " + System.getProperty("os.arch")))
                .append(",\n  \"rules\": [");
        for (int i = 0; i < rs.size(); i++) {
            Result r = rs.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"id\": ").append(q(r.id()))
                    .append(", \"name\": ").append(q(r.name()))
                    .append(", \"result\": ").append(q(r.status()))
                    .append(", \"millis\": ").append(r.millis())
                    .append(", \"hint\": ").append(q(r.hint()))
                    .append(", \"message\": ").append(q(r.message())).append('}');
        }
        return b.append("\n  ]\n}\n").toString();
    }

    private static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : (s == null ? "" : s).toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String markdown(String provider, List<Result> rs) {
        StringBuilder b = new StringBuilder();
        b.append("# fiberswitch conformance: ").append(provider).append("\n\n")
                .append("JDK ").append(Platform.javaVersion()).append(" (").append(System.getProperty("java.vm.name"))
                .append("), GC ").append(Platform.collector()).append(", ").append(System.getProperty("os.name"))
                .append(' ').append(System.getProperty("os.arch")).append("\n\n")
                .append("| rule | name | result | ms | if it fails, check |\n|---|---|---|---|---|\n");
        for (Result r : rs) {
            String detail = r.status().equals("passed") ? r.hint()
                    : r.message().lines().findFirst().orElse("") + (r.status().equals("FAILED") ? " / " + r.hint() : "");
            b.append("| ").append(r.id()).append(" | ").append(r.name()).append(" | ").append(r.status())
                    .append(" | ").append(r.millis()).append(" | ").append(detail.replace("|", "\\|")).append(" |\n");
        }
        return b.toString();
    }
}
