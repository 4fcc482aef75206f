/**
 * The port contract: what a provider for a new OS/ABI implements.
 *
 * <p>A port is a small assembly library plus a Java class. Discovery finds the
 * {@link org.fiberswitch.spi.SwitchProvider} through {@link java.util.ServiceLoader} (declare it
 * with {@code provides} in {@code module-info.java} and in
 * {@code META-INF/services/org.fiberswitch.spi.SwitchProvider}); the provider checks the platform
 * cheaply, loads its library on demand, and checks the ABI handshake: the library reports its
 * version and every constant of the shared {@link org.fiberswitch.spi.FiberControlBlock} layout.
 *
 * <p>The library exports, as C functions (with a leading underscore on Mach-O):
 * <ul>
 *   <li>{@code fiberswitch_resume(fcb, value)} and {@code fiberswitch_yield(fcb, value)}: the
 *       switch, saving the ABI's callee-saved registers and the MXCSR / x87 control words;</li>
 *   <li>{@code fiberswitch_prepare(fcb)}: the first frame of a fresh stack, entering a trampoline
 *       that calls {@code FCB_FUNCTION(FCB_ARGS[0..5])} and stops unwinders;</li>
 *   <li>{@code fiberswitch_callback_stubs}: {@code STUB_COUNT} stubs, {@code STUB_STRIDE} bytes
 *       apart, that capture a native callback's arguments and switch back to the resumer;</li>
 *   <li>{@code fiberswitch_abi_version()} and {@code fiberswitch_layout(i)}: the handshake;</li>
 *   <li>{@code fiberswitch_probe_*}: the {@link org.fiberswitch.spi.AbiProbes};</li>
 *   <li>optionally {@code fiberswitch_jni_register(env, cls)}: registers the hot calls as JNI
 *       static natives, which {@link org.fiberswitch.spi.JniBinding} binds in place of JNA's far
 *       slower dispatch; a port says which path it took in
 *       {@link org.fiberswitch.spi.SwitchPort#binding()}.</li>
 * </ul>
 * Stack memory comes from the OS through {@link org.fiberswitch.spi.StackMemory}. Lifecycle,
 * state checks and pooling live in the api and are shared: a port carries only what differs by
 * ABI and OS. The header {@code native/include/fiberswitch.h} and the Linux port
 * ({@code spi-linux-x64}) are the reference.
 */
package org.fiberswitch.spi;
