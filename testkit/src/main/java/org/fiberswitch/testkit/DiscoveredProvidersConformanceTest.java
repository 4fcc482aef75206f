package org.fiberswitch.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.fiberswitch.spi.SwitchProvider;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every rule against every provider {@link ServiceLoader} finds on the test class path, so a
 * port needs no test code: add the kit to the test scope and let Surefire scan it
 * ({@code <dependenciesToScan>org.fiberswitch:fiberswitch-testkit</dependenciesToScan>}).
 * Providers made for another platform are skipped with the reason.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("providers")
public class DiscoveredProvidersConformanceTest extends SwitchProviderConformance {

    @Parameter
    SwitchProvider provider;

    static List<SwitchProvider> providers() {
        List<SwitchProvider> found = new ArrayList<>();
        ServiceLoader.load(SwitchProvider.class, DiscoveredProvidersConformanceTest.class.getClassLoader())
                .forEach(found::add);
        if (found.isEmpty()) {
            throw new IllegalStateException("no SwitchProvider on the test class path: add the port's jar"
                    + " (or its module) to the test scope");
        }
        return found;
    }

    @Override
    protected SwitchProvider provider() {
        return provider;
    }
}
