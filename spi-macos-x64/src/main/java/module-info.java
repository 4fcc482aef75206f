/** The macOS x86-64 (System V) fiberswitch provider: the Linux port's assembly, linked as Mach-O. */
module org.fiberswitch.macos.x64 {
    requires org.fiberswitch;
    requires com.sun.jna;

    // JNA's direct mapping registers the native methods of the boundary class reflectively.
    opens org.fiberswitch.macos.x64 to com.sun.jna;

    provides org.fiberswitch.spi.SwitchProvider with org.fiberswitch.macos.x64.MacosX64SwitchProvider;
}
