package org.fiberswitch.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test method as a conformance rule: a stable id (area.number) and a diagnosis hint that
 * goes into the failure message and the report. Method names say {@code required_} or
 * {@code optional_} (a port may lack an optional capability; the rule is then skipped with the
 * reason, never passed).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ConformanceRule {
    /** Stable id such as {@code "2.1"}. */
    String id();

    /** "If this fails, check ..." for port authors. */
    String hint();
}
