package org.fiberswitch.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The container matrix: the conformance kit ({@code DiscoveredProvidersConformanceTest}) run by the
 * JUnit console launcher inside Debian containers built locally by {@code .ci/containers.sh}, one
 * cell per distribution and per hostile set-up. Each cell's reports land on the host under
 * {@code target/fiberswitch-conformance/<cell>/}; a cell passes only if its report exists and shows
 * no failed rule. Where the native library cannot be extracted (noexec {@code /tmp}, read-only
 * root), the cell first runs without any setting and requires that every failure tells the user to
 * set {@code -Djna.tmpdir}, then runs again with that setting and must pass.
 *
 * <p>Without a Docker daemon or without the images the cells are skipped (JUnit assumptions) with a
 * loud line, never passed; with {@code -Dfiberswitch.containers=required} they fail instead.
 */
class ContainerMatrixTest {
    private static final String MODE = System.getProperty("fiberswitch.containers", "auto").trim();
    private static final Set<String> KNOWN_MISSING = Arrays.stream(
            System.getProperty("fiberswitch.containers.missing", "").split(","))
            .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    /** Optional: only these cells (comma-separated names); the others are reported as skipped. */
    private static final Set<String> ONLY = Arrays.stream(System.getProperty("fiberswitch.containers.cells", "").split(","))
            .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    private static final String HOW = "run `bash .ci/containers.sh` (installs docker.io and debootstrap, starts"
            + " dockerd --bridge=none, builds the images) or see containers/README.md";

    /** Where things live inside every container. */
    private static final String LIB = "/opt/fiberswitch/lib";
    private static final String LAUNCHER = "/opt/fiberswitch/launcher";
    private static final String REPORTS = "/reports";
    private static final String WORK = "/work";
    /** An exec-allowed tmpfs: the setting the hostile cells are told to make. */
    private static final String EXEC_TMP = "/exec-tmp";
    private static final String SETTING = "-Djna.tmpdir=" + EXEC_TMP;
    /** What the provider's failure message must tell the user when extraction fails. */
    private static final String HINT = "-Djna.tmpdir";

    /** The report writes one rule per line: {@code {"id": ..., "result": "passed", ..., "message": "..."}}. */
    private static final Pattern RESULT = Pattern.compile("\"result\": \"(passed|FAILED|skipped)\"");
    private static final String MESSAGE_KEY = "\"message\": \"";

    private static final Map<String, String> SUMMARY = new ConcurrentHashMap<>();
    private static String dockerProblem;

    /**
     * One cell. {@code extractionBlocked}: the set-up stops JNA from loading libraries extracted to
     * the default temporary directory, so the run without {@link #SETTING} must fail with the hint.
     */
    record Cell(String name, String suite, String proves, String user, boolean readOnlyRoot,
            Map<String, String> tmpfs, long memoryBytes, boolean extractionBlocked) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Cell> cells() {
        Map<String, String> plain = Map.of(WORK, "rw,exec,mode=1777,size=256m");
        return Stream.of(
                new Cell("bullseye", "bullseye", "Debian 11 with its openjdk-17-jre-headless", null, false, plain, 0,
                        false),
                new Cell("bookworm", "bookworm", "Debian 12 with its openjdk-17-jre-headless", null, false, plain, 0,
                        false),
                new Cell("trixie", "trixie", "Debian 13 with its openjdk-21-jre-headless", null, false, plain, 0, false),
                // JNA 5 extracts to ~/.cache/JNA/temp when it can and falls back to java.io.tmpdir
                // when it cannot: a noexec /tmp bites a user without a usable home, like nobody.
                new Cell("bookworm-noexec-tmp", "bookworm", "/tmp is a noexec tmpfs and the user (65534) has no home:"
                        + " the failure names -Djna.tmpdir, and the kit passes with it", "65534:65534", false,
                        Map.of(WORK, "rw,exec,mode=1777,size=256m", "/tmp", "rw,noexec,nosuid,nodev,mode=1777,size=256m",
                                EXEC_TMP, "rw,exec,mode=1777,size=64m"),
                        0, true),
                new Cell("bookworm-read-only-root", "bookworm", "--read-only root, no writable /tmp: the failure names"
                        + " -Djna.tmpdir, and the kit passes with it", null, true,
                        Map.of(WORK, "rw,noexec,mode=1777,size=256m", EXEC_TMP, "rw,exec,mode=1777,size=64m"), 0, true),
                new Cell("bookworm-non-root", "bookworm", "runs as uid/gid 65534 (nobody), no home directory", "65534:65534",
                        false, plain, 0, false),
                new Cell("bookworm-memory-512m", "bookworm", "cgroup memory limit 512 MiB, no swap", null, false, plain,
                        512L << 20, false));
    }

    @BeforeAll
    static void checkDocker() {
        if (MODE.equals("off")) {
            dockerProblem = "-Dfiberswitch.containers=off";
            return;
        }
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                dockerProblem = "no Docker daemon answers (DOCKER_HOST="
                        + System.getenv().getOrDefault("DOCKER_HOST", "unset, so unix:///var/run/docker.sock") + ")";
            }
        } catch (RuntimeException | LinkageError e) {
            dockerProblem = "Testcontainers cannot reach Docker: " + e;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void conformanceKitPassesInside(Cell cell) throws Exception {
        if (!ONLY.isEmpty() && !ONLY.contains(cell.name())) {
            SUMMARY.put(cell.name(), String.format(Locale.ROOT, "%-24s SKIP  not in -Dfiberswitch.containers.cells", cell.name()));
            Assumptions.abort("not in -Dfiberswitch.containers.cells=" + String.join(",", ONLY));
        }
        if (dockerProblem != null) {
            notRun(cell, dockerProblem, !MODE.equals("off"));
        }
        String image = System.getProperty("fiberswitch.containers.image." + cell.suite(), "fiberswitch/debian:" + cell.suite());
        if (!imageExists(image)) {
            notRun(cell, "image " + image + " does not exist", !KNOWN_MISSING.contains(cell.suite()));
        }
        Path lib = Path.of(System.getProperty("fiberswitch.containers.lib", "target/container-lib")).toAbsolutePath();
        Path launcher = Path.of(System.getProperty("fiberswitch.containers.launcher", "target/container-launcher"))
                .toAbsolutePath();
        assertTrue(Files.isRegularFile(launcher.resolve("junit-platform-console-standalone.jar")),
                "the console launcher was not copied to " + launcher + " (maven-dependency-plugin, process-test-resources)");
        List<String> jars;
        try (Stream<Path> s = Files.list(lib)) {
            jars = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
        for (String needed : List.of("fiberswitch-api", "fiberswitch-spi", "fiberswitch-testkit", "jna")) {
            assertTrue(jars.stream().anyMatch(j -> j.startsWith(needed + "-")), needed + " jar missing from " + lib + ": " + jars);
        }

        Path out = Path.of(System.getProperty("fiberswitch.containers.reports", "target/fiberswitch-conformance"))
                .toAbsolutePath();
        clean(out.resolve(cell.name()));
        long t0 = System.nanoTime();
        try (GenericContainer<?> c = container(cell, image, lib, launcher, out)) {
            c.start();
            String cls = LAUNCHER + "/junit-platform-console-standalone.jar:" + LIB + "/*";
            String versionLine = c.execInContainer("java", "-version").getStderr().lines().findFirst().orElse("?");
            String id = c.execInContainer("id").getStdout().trim();
            System.out.printf("---- cell %s (%s): image %s, %s, %s%n", cell.name(), cell.proves(), image, versionLine, id);

            verifySetUp(c, cell);

            StringBuilder summary = new StringBuilder();
            if (cell.extractionBlocked()) {
                Run blocked = kit(c, cell, cell.name() + "/without-setting", cls, out, List.of());
                assertNotEquals(0, blocked.exitCode, cell.name() + ": the kit passed without " + SETTING
                        + ", so this set-up did not block extraction and proves nothing\n" + blocked.console);
                assertTrue(blocked.failed > 0, cell.name() + ": no rule failed without " + SETTING + "\n" + blocked.console);
                assertEquals(0, blocked.passed, cell.name() + ": rules passed although the library could not load");
                List<String> withoutHint = blocked.failureMessages.stream().filter(m -> !m.contains(HINT)).toList();
                assertTrue(withoutHint.isEmpty(), cell.name() + ": " + withoutHint.size() + " of " + blocked.failed
                        + " failure messages do not tell the user to set " + HINT + ", e.g.: "
                        + withoutHint.stream().findFirst().orElse(""));
                summary.append(String.format(Locale.ROOT, "without setting: %d FAILED, all naming %s; ", blocked.failed, HINT));
            }
            List<String> extra = cell.extractionBlocked() ? List.of(SETTING) : List.of();
            Run run = kit(c, cell, cell.name(), cls, out, extra);
            assertEquals(0, run.failed, cell.name() + ": " + run.failed + " rules FAILED, see " + run.dir + "\n" + run.console);
            assertTrue(run.passed > 0, cell.name() + ": no rule passed\n" + run.console);
            assertEquals(0, run.exitCode, cell.name() + ": the console launcher exited with " + run.exitCode + "\n"
                    + run.console);
            summary.append(String.format(Locale.ROOT, "%s%d passed, 0 failed, %d skipped", extra.isEmpty() ? ""
                    : "with " + SETTING + ": ", run.passed, run.skipped));
            SUMMARY.put(cell.name(), String.format(Locale.ROOT, "%-24s PASS  %s (%s; %.0f s)", cell.name(), summary,
                    versionLine, (System.nanoTime() - t0) / 1e9));
        } catch (AssertionError | Exception e) {
            SUMMARY.putIfAbsent(cell.name(), String.format(Locale.ROOT, "%-24s FAIL  %s", cell.name(),
                    String.valueOf(e.getMessage()).lines().findFirst().orElse("")));
            throw e;
        }
    }

    @AfterAll
    static void printSummary() {
        StringBuilder b = new StringBuilder("\n==== fiberswitch container matrix ====\n");
        cells().forEach(c -> b.append(SUMMARY.getOrDefault(c.name(), String.format(Locale.ROOT, "%-24s ?", c.name())))
                .append('\n'));
        System.out.print(b);
    }

    private static void notRun(Cell cell, String why, boolean required) {
        String line = "!!!! CONTAINER CELL " + cell.name() + " DID NOT RUN: " + why + "; " + HOW + " !!!!";
        System.out.println(line);
        System.err.println(line);
        SUMMARY.put(cell.name(), String.format(Locale.ROOT, "%-24s %s  %s", cell.name(),
                required && MODE.equals("required") ? "FAIL" : "SKIP", why));
        if (required && MODE.equals("required")) {
            fail(line + " (-Dfiberswitch.containers=required)");
        }
        Assumptions.abort(line);
    }

    private static boolean imageExists(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    private static GenericContainer<?> container(Cell cell, String image, Path lib, Path launcher, Path out) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withImagePullPolicy(name -> false)
                .withNetworkMode("none")
                .withTmpFs(cell.tmpfs())
                .withCommand("sleep", "infinity")
                .withStartupTimeout(Duration.ofSeconds(60))
                .withCreateContainerCmdModifier(cmd -> {
                    if (cell.user() != null) {
                        cmd.withUser(cell.user());
                    }
                    var host = cmd.getHostConfig();
                    // The jars go in read-only and the reports come out through bind mounts of the
                    // local daemon's file system: `docker cp` cannot write to a read-only root, and
                    // tmpfs contents are gone when the container stops. Set here rather than with
                    // withFileSystemBind, whose mount check starts (and so would pull) a helper image.
                    host.withBinds(new Bind(lib.toString(), new Volume(LIB), AccessMode.ro),
                            new Bind(launcher.toString(), new Volume(LAUNCHER), AccessMode.ro),
                            new Bind(out.toString(), new Volume(REPORTS), AccessMode.rw));
                    if (cell.readOnlyRoot()) {
                        host.withReadonlyRootfs(true);
                    }
                    if (cell.memoryBytes() > 0) {
                        host.withMemory(cell.memoryBytes()).withMemorySwap(cell.memoryBytes());
                    }
                });
        return c;
    }

    /** Proves that the hostile part of a cell's set-up is really in force before the kit runs. */
    private static void verifySetUp(GenericContainer<?> c, Cell cell) throws Exception {
        String mounts = c.execInContainer("cat", "/proc/mounts").getStdout();
        for (Map.Entry<String, String> t : cell.tmpfs().entrySet()) {
            String line = mounts.lines().filter(l -> l.split(" ").length > 1 && l.split(" ")[1].equals(t.getKey()))
                    .findFirst().orElse("");
            assertTrue(line.startsWith("tmpfs "), cell.name() + ": " + t.getKey() + " is not a tmpfs:\n" + mounts);
            boolean noexec = Arrays.asList(line.split(" ")[3].split(",")).contains("noexec");
            assertEquals(t.getValue().contains("noexec"), noexec, cell.name() + ": " + t.getKey() + " mounted as " + line);
        }
        if (cell.readOnlyRoot()) {
            ExecResult touch = c.execInContainer("touch", "/fiberswitch-probe");
            assertNotEquals(0, touch.getExitCode(), cell.name() + ": the root file system is writable");
        }
        if (cell.user() != null) {
            String uid = c.execInContainer("id", "-u").getStdout().trim();
            assertEquals(cell.user().split(":")[0], uid, cell.name() + ": runs as uid " + uid);
        }
        if (cell.memoryBytes() > 0) {
            // The JVM must see the cgroup limit (and size its heap from it).
            ExecResult shown = c.execInContainer("java", "-XshowSettings:system", "-version");
            String settings = shown.getStdout() + shown.getStderr();
            String expected = String.format(Locale.ROOT, "Memory Limit: %d.00M", cell.memoryBytes() >> 20);
            assertTrue(settings.contains(expected), cell.name() + ": the JVM does not report " + expected + ":\n" + settings);
            System.out.println("---- " + cell.name() + ": the JVM reports " + expected);
        }
    }

    /** One run of the kit in a running container, and its report. */
    record Run(int exitCode, int passed, int failed, int skipped, List<String> failureMessages, Path dir, String console) {
    }

    private static Run kit(GenericContainer<?> c, Cell cell, String runName, String classPath, Path out, List<String> extra)
            throws Exception {
        Path dir = out.resolve(runName);
        Files.createDirectories(dir);
        // The container's user may not be root: let it write the run's report directory.
        for (Path d = dir; !d.equals(out); d = d.getParent()) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        // The kit's guard-page death test writes under its working directory, so run it in the
        // writable /work. (Not the container's working dir: Docker would create /work 0755 before
        // mounting the tmpfs over it, and the tmpfs takes that mode, so a non-root user could not write.)
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "cd " + WORK + " && exec \"$@\"", "sh", "env"));
        if (!extra.isEmpty()) {
            // The setting goes in JAVA_TOOL_OPTIONS so that it also reaches the child JVM of the
            // kit's guard-page death test (rule 10.3), which does not forward -D options.
            cmd.add("JAVA_TOOL_OPTIONS=" + String.join(" ", extra));
        }
        cmd.addAll(List.of("java", "--enable-native-access=ALL-UNNAMED", "-Xss1m"));
        cmd.addAll(List.of("-D" + "fiberswitch.conformance.dir=" + REPORTS + "/" + runName,
                // -cp, not -jar: the kit's guard-page death test starts a child JVM on java.class.path.
                "-cp", classPath, "org.junit.platform.console.ConsoleLauncher", "execute",
                "--disable-banner", "--disable-ansi-colors", "--details=tree", "--fail-if-no-tests",
                "--select-class", "org.fiberswitch.testkit.DiscoveredProvidersConformanceTest"));
        System.out.println("---- " + runName + ": " + String.join(" ", cmd));
        long t0 = System.nanoTime();
        ExecResult r = c.execInContainer(cmd.toArray(String[]::new));
        String console = r.getStdout() + r.getStderr();
        Files.writeString(dir.resolve("console.txt"), String.join(" ", cmd) + "\n\n" + console, StandardCharsets.UTF_8);
        List<Path> reports;
        try (Stream<Path> s = Files.list(dir)) {
            reports = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        if (reports.isEmpty()) {
            fail(runName + ": no conformance report appeared in " + dir + " (exit code " + r.getExitCode() + ")\n" + console);
        }
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        List<String> messages = new ArrayList<>();
        for (Path p : reports) {
            String json = Files.readString(p, StandardCharsets.UTF_8);
            for (String line : json.lines().toList()) {
                Matcher m = RESULT.matcher(line);
                if (!m.find()) {
                    continue;
                }
                switch (m.group(1)) {
                    case "passed" -> passed++;
                    case "FAILED" -> {
                        failed++;
                        int at = line.lastIndexOf(MESSAGE_KEY);
                        messages.add(at < 0 ? "" : line.substring(at + MESSAGE_KEY.length()));
                    }
                    default -> skipped++;
                }
            }
        }
        System.out.printf(Locale.ROOT, "---- %s: exit %d, %d rules passed, %d FAILED, %d skipped (%.1f s) -> %s%n", runName,
                r.getExitCode(), passed, failed, skipped, (System.nanoTime() - t0) / 1e9, dir);
        return new Run(r.getExitCode(), passed, failed, skipped, messages, dir, tail(console, 120));
    }

    private static void clean(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static String tail(String s, int lines) {
        List<String> all = s.lines().toList();
        return all.subList(Math.max(0, all.size() - lines), all.size()).stream().collect(Collectors.joining("\n"));
    }
}
