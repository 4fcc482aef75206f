/** The macOS x86-64 (System V) fiberswitch provider: the Linux port's assembly, linked as Mach-O. */
module org.fiberswitch.macos.x64 {
    requires org.fiberswitch;

    provides org.fiberswitch.spi.SwitchProvider with org.fiberswitch.macos.x64.MacosX64SwitchProvider;
}
