/** The fiberswitch command line. */
module org.fiberswitch.cli {
    requires org.fiberswitch;
    requires com.sun.jna;
    requires info.picocli;

    opens org.fiberswitch.cli to info.picocli;
}
