/** The fiberswitch command line. */
module org.fiberswitch.cli {
    requires org.fiberswitch;
    requires com.sun.jna;
    requires info.picocli;
    requires org.fiberswitch.testkit;
    requires org.junit.platform.launcher;

    opens org.fiberswitch.cli to info.picocli;
}
