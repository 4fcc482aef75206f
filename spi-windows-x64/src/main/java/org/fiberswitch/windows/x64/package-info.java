/**
 * The Windows x86-64 provider: {@code src/main/asm/fiberswitch_x86_64_ms_pe_gas.S}, built with
 * mingw-w64 into {@code win32-x86-64/fiberswitch.dll} (no imports, no CRT) and bound by
 * {@link org.fiberswitch.windows.x64.WindowsX64SwitchProvider}.
 */
package org.fiberswitch.windows.x64;
