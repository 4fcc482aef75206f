package org.fiberswitch.linux.x64;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import java.util.ArrayList;
import java.util.List;
import org.fiberswitch.testkit.ConformanceRule;
import org.fiberswitch.testkit.SwitchProviderConformance;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Child-JVM main for {@link KitSelfTest}: runs areas of the kit against one mutant and prints
 * {@code RULE <id> <status>} per rule. A mutant that breaks a register HotSpot relies on may
 * crash this JVM; the parent reports that instead of dying with it.
 */
public final class MutantKitMain {
    private MutantKitMain() {
    }

    /** {@code args[0]}: the kit class; the rest: nested area class names (e.g. Registers). */
    public static void main(String[] args) throws Exception {
        Class<?> kit = Class.forName(args[0]);
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            Class<?> area = Class.forName(SwitchProviderConformance.class.getName() + "$" + args[i]);
            selectors.add(selectNestedClass(List.of(kit), area));
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.getSource().orElse(null) instanceof MethodSource m) {
                    System.out.println("RULE " + ruleId(m) + " " + result.getStatus());
                    System.out.flush();
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.getSource().orElse(null) instanceof MethodSource m) {
                    System.out.println("RULE " + ruleId(m) + " SKIPPED");
                }
            }
        });
        System.out.println("KIT DONE");
    }

    static String ruleId(MethodSource m) {
        try {
            for (var method : Class.forName(m.getClassName()).getDeclaredMethods()) {
                if (method.getName().equals(m.getMethodName())) {
                    ConformanceRule rule = method.getAnnotation(ConformanceRule.class);
                    return rule == null ? m.getMethodName() : rule.id();
                }
            }
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return m.getMethodName();
    }
}
