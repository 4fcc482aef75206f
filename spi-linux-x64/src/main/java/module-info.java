/** The Linux x86-64 (System V) fiberswitch provider. */
module org.fiberswitch.linux.x64 {
    requires org.fiberswitch;
    requires com.sun.jna;

    // JNA's direct mapping registers the native methods of the boundary class reflectively.
    opens org.fiberswitch.linux.x64 to com.sun.jna;

    provides org.fiberswitch.spi.SwitchProvider with org.fiberswitch.linux.x64.LinuxX64SwitchProvider;
}
