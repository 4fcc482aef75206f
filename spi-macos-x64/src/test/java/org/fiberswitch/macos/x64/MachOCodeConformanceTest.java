package org.fiberswitch.macos.x64;

import org.fiberswitch.spi.SwitchProvider;
import org.fiberswitch.testkit.SwitchProviderConformance;

/**
 * The whole conformance kit against the macOS dylib's {@code __TEXT} bytes, run on Linux x86-64
 * through {@link MachOCodeProvider}: the macOS code itself is exercised here, though dyld, JNA on
 * macOS and XNU are not (the macos-15-intel CI cells run the kit against the real provider).
 */
class MachOCodeConformanceTest extends SwitchProviderConformance {
    @Override
    protected SwitchProvider provider() {
        return new MachOCodeProvider();
    }
}
