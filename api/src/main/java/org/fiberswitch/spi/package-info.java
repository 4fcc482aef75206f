/**
 * The port contract: what a provider for a new OS/ABI implements.
 *
 * <h2>A port is its assembly library plus a small class</h2>
 * Discovery finds a {@link org.fiberswitch.spi.SwitchProvider} through {@link java.util.ServiceLoader}
 * (declare it with {@code provides} in {@code module-info.java} and in
 * {@code META-INF/services/org.fiberswitch.spi.SwitchProvider}). An assembly port extends
 * {@link org.fiberswitch.spi.NativeSwitchProvider} and names its platform by JNA's resource prefix;
 * the skeleton loads the library from the provider's jar, checks the ABI handshake, reads the
 * library's {@link org.fiberswitch.spi.AbiDescription}, takes {@link org.fiberswitch.spi.PosixStackMemory}
 * stacks on Linux and macOS, and binds the hot calls through {@link org.fiberswitch.spi.NativePort}
 * (JNI natives the library registers itself, else JNA). Everything ABI-specific lives in the
 * library, so the api, the conformance kit and the CLI hold no architecture facts.
 *
 * <h2>What the library exports</h2>
 * C functions (with a leading underscore on Mach-O), declared and explained in
 * {@code native/include/fiberswitch.h}:
 * <ul>
 *   <li>{@code fiberswitch_resume(fcb, value)} and {@code fiberswitch_yield(fcb, value)}: the
 *       switch, saving the ABI's callee-saved registers and FP control state;</li>
 *   <li>{@code fiberswitch_prepare(fcb)}: the first frame of a fresh stack, entering a trampoline
 *       that calls {@code FCB_FUNCTION(FCB_ARGS[0..5])} and stops unwinders;</li>
 *   <li>{@code fiberswitch_callback_stubs}: {@code STUB_COUNT} stubs, {@code STUB_STRIDE} bytes
 *       apart, that capture a native callback's arguments and switch back to the resumer;</li>
 *   <li>{@code fiberswitch_abi_version()}, {@code fiberswitch_layout(i)}: the handshake against
 *       the shared {@link org.fiberswitch.spi.FiberControlBlock} layout;</li>
 *   <li>{@code fiberswitch_abi_description()}: the port's ABI facts
 *       ({@link org.fiberswitch.spi.AbiDescription});</li>
 *   <li>{@code fiberswitch_probe_*}: the {@link org.fiberswitch.spi.AbiProbes} the conformance kit
 *       drives;</li>
 *   <li>{@code fiberswitch_jni_register(env, cls)}: registers the hot calls as JNI static natives,
 *       which {@link org.fiberswitch.spi.JniBinding} binds in place of JNA's slower dispatch.</li>
 * </ul>
 *
 * <h2>What is shared</h2>
 * Lifecycle, state checks, pooling and misuse errors live in the api module and are shared: a port
 * carries only what differs by ABI (its assembly) and OS (stack memory other than mmap, its own FCB
 * slots). The Linux x86-64 port ({@code spi-linux-x64}, source
 * {@code native/src/fiberswitch_x86_64_sysv.S}) is the reference.
 *
 * <p>This package's signatures use JNA's {@code NativeLibrary}; the api module
 * {@code requires transitive com.sun.jna}.
 */
package org.fiberswitch.spi;
