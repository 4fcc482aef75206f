/**
 * The Linux x86-64 (System V) provider: {@code native/src/fiberswitch_x86_64_sysv.S}, built into
 * {@code linux-x86-64/libfiberswitch.so} (no dependencies, no executable stack) and bound by
 * {@link org.fiberswitch.linux.x64.LinuxX64SwitchProvider} through the shared
 * {@link org.fiberswitch.spi.NativeSwitchProvider}.
 */
package org.fiberswitch.linux.x64;
