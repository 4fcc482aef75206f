package org.fiberswitch.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/** Appends the rule's id and diagnosis hint to every failure, so a red rule tells the port author where to look. */
final class HintOnFailure implements TestExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        if (failure instanceof TestAbortedException) {
            throw failure;
        }
        ConformanceRule rule = context.getTestMethod().map(m -> m.getAnnotation(ConformanceRule.class)).orElse(null);
        if (rule == null) {
            throw failure;
        }
        AssertionError hinted = new AssertionError("rule " + rule.id() + " failed: " + failure
                + "\n  If this fails, check: " + rule.hint(), failure);
        throw hinted;
    }
}
