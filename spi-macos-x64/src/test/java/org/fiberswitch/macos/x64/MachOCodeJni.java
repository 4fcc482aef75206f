package org.fiberswitch.macos.x64;

import org.fiberswitch.spi.ForwardingSwitchPort;
import org.fiberswitch.spi.JniBinding;
import org.fiberswitch.spi.SwitchPort;

/**
 * The JNI binding of the mapped Mach-O code: the dylib's own {@code _fiberswitch_jni_register}
 * registers these static natives, so the kit drives the dylib's JNI adapters exactly as the real
 * provider does on a Mac, here on Linux.
 */
final class MachOCodeJni {
    private MachOCodeJni() {
    }

    static native long resume(long fcb, long value);

    static native void prepare(long fcb);

    static native long probeResumeRegisters(long fcb, long value, long seed);

    static native long probeResumeFpEnv(long fcb, long value, long env);

    static native long probeReadFpEnv();

    /**
     * {@code port} with its hot calls on these natives, registered once per JVM (there is one
     * mapping of the code per JVM, {@link MachOCode#load}).
     *
     * @throws IllegalStateException if the registration fails
     */
    static SwitchPort bind(SwitchPort port) {
        String unavailable = JniBinding.registerOnce(port.entryPointAddress(JniBinding.REGISTER_FUNCTION),
                MachOCodeJni.class);
        if (unavailable != null) {
            throw new IllegalStateException("the Mach-O code's JNI binding failed: " + unavailable);
        }
        return new ForwardingSwitchPort(port) {
            @Override
            public String binding() {
                return "jni";
            }

            @Override
            public void prepare(long fcb) {
                MachOCodeJni.prepare(fcb);
            }

            @Override
            public long resume(long fcb, long value) {
                return MachOCodeJni.resume(fcb, value);
            }

            @Override
            public long resumeCheckingRegisters(long fcb, long value, long seed) {
                return MachOCodeJni.probeResumeRegisters(fcb, value, seed);
            }

            @Override
            public long resumeCheckingFpEnv(long fcb, long value, long env) {
                return MachOCodeJni.probeResumeFpEnv(fcb, value, env);
            }

            @Override
            public long readFpEnv() {
                return MachOCodeJni.probeReadFpEnv();
            }
        };
    }
}
