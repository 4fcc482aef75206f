/** The Linux x86-64 (System V) fiberswitch provider. */
module org.fiberswitch.linux.x64 {
    requires org.fiberswitch;

    provides org.fiberswitch.spi.SwitchProvider with org.fiberswitch.linux.x64.LinuxX64SwitchProvider;
}
