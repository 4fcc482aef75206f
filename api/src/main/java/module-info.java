/**
 * fiberswitch: native code on stackful fibers, driven from Java. See {@link org.fiberswitch}.
 */
module org.fiberswitch {
    // The port contract (org.fiberswitch.spi) hands JNA's NativeLibrary to NativePort.bind.
    requires transitive com.sun.jna;

    exports org.fiberswitch;
    exports org.fiberswitch.spi;
    exports org.fiberswitch.pull;

    // JNA's direct mapping binds the shared natives of NativePort and PosixStackMemory reflectively.
    opens org.fiberswitch.spi to com.sun.jna;

    uses org.fiberswitch.spi.SwitchProvider;
    uses org.fiberswitch.spi.PortAccelerator;
}
