/** The fiberswitch conformance kit. */
module org.fiberswitch.testkit {
    requires transitive org.fiberswitch;
    requires com.sun.jna;
    requires transitive org.junit.jupiter.api;
    requires org.junit.jupiter.params;
    requires org.junit.platform.launcher;
    requires java.management;
    requires jdk.management;

    exports org.fiberswitch.testkit;
    opens org.fiberswitch.testkit to org.junit.platform.commons;

    uses org.fiberswitch.spi.SwitchProvider;
    provides org.junit.platform.launcher.TestExecutionListener
            with org.fiberswitch.testkit.ConformanceReportListener;
}
