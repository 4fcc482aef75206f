/**
 * The Linux x86-64 (System V) provider: {@code src/main/asm/fiberswitch_x86_64_sysv_gas.S},
 * built into {@code linux-x86-64/libfiberswitch.so} (no dependencies, no executable stack) and
 * bound by {@link org.fiberswitch.linux.x64.LinuxX64SwitchProvider}.
 */
package org.fiberswitch.linux.x64;
