/**
 * fiberswitch-ffm: an optional {@link org.fiberswitch.spi.PortAccelerator} that calls a provider's
 * hot entry points through {@code java.lang.foreign} downcall handles (JDK 22+).
 */
module org.fiberswitch.ffm {
    requires org.fiberswitch;

    provides org.fiberswitch.spi.PortAccelerator with org.fiberswitch.ffm.FfmAccelerator;
}
