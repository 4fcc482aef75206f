/**
 * fiberswitch: native code on stackful fibers, driven from Java. See {@link org.fiberswitch}.
 */
module org.fiberswitch {
    requires com.sun.jna;

    exports org.fiberswitch;
    exports org.fiberswitch.spi;
    exports org.fiberswitch.pull;

    uses org.fiberswitch.spi.SwitchProvider;
    uses org.fiberswitch.spi.PortAccelerator;
}
