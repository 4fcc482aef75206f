/** The Windows x86-64 (Microsoft x64 ABI) fiberswitch provider. */
module org.fiberswitch.windows.x64 {
    requires org.fiberswitch;

    // JNA's direct mapping registers the native methods of Kernel32 reflectively.
    opens org.fiberswitch.windows.x64 to com.sun.jna;

    provides org.fiberswitch.spi.SwitchProvider with org.fiberswitch.windows.x64.WindowsX64SwitchProvider;
}
