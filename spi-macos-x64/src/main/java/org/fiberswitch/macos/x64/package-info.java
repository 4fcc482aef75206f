/**
 * The macOS x86-64 (System V) provider: the Linux port's assembly built as a Mach-O dylib
 * ({@code darwin-x86-64/libfiberswitch.dylib}, no dependencies, underscore-prefixed exports) and
 * bound by {@link org.fiberswitch.macos.x64.MacosX64SwitchProvider}. It runs on an x86-64 JVM on
 * macOS, also under Rosetta 2.
 */
package org.fiberswitch.macos.x64;
