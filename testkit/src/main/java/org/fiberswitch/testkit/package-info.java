/**
 * The conformance kit: the rules every fiberswitch port must pass, as JUnit 5 tests.
 *
 * <h2>Proving a port</h2>
 * With no test code: put {@code fiberswitch-testkit} in the port's test scope and let Surefire scan
 * it ({@code <dependenciesToScan>org.fiberswitch:fiberswitch-testkit</dependenciesToScan>}).
 * {@link org.fiberswitch.testkit.DiscoveredProvidersConformanceTest} then runs every rule against
 * every provider {@link java.util.ServiceLoader} finds. To name a provider instead:
 *
 * <pre>{@code
 * class MyPortConformanceTest extends SwitchProviderConformance {
 *     protected SwitchProvider provider() { return new MyPortProvider(); }
 * }
 * }</pre>
 *
 * <h2>The rules</h2>
 * {@link org.fiberswitch.testkit.SwitchProviderConformance} groups them by area in nested classes:
 * handshake, callee-saved registers, FP control words, alignment, values, nesting, threads,
 * misuse, callback events, stacks, unwinding and garbage collection. Each rule method is named
 * {@code required_<area>_<n>_...} or {@code optional_...} and carries a
 * {@link org.fiberswitch.testkit.ConformanceRule} with a stable id and a hint that failures repeat
 * ("If this fails, check: ..."). Rules for a capability the port does not declare are skipped with
 * the reason. Register rules switch only through the port's resumer-side probe, so a port that
 * loses a register fails them instead of corrupting the JVM.
 *
 * <h2>Reports</h2>
 * {@link org.fiberswitch.testkit.ConformanceReportListener} registers itself with the JUnit
 * Platform and writes one JSON and one Markdown report per provider, JDK and collector under
 * {@code target/fiberswitch-conformance}.
 *
 * <h2>Code without a loader</h2>
 * {@link org.fiberswitch.spi.NativePort#forCode} runs a port's code bytes called by address, for
 * checking code that cannot be loaded here (a Mach-O dylib on Linux) and for mutation-testing the
 * kit itself.
 */
package org.fiberswitch.testkit;
