package org.fiberswitch.spi;

import com.sun.jna.Function;
import com.sun.jna.JNIEnv;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a port's hot calls as JNI static natives, so that Java reaches the switch through the
 * JVM's own native-method wrapper rather than JNA's generic dispatch, which converts arguments one
 * by one and costs several times more per call (docs/performance.md has the numbers).
 *
 * <p>JNA still finds, extracts and loads the library. The library exports
 * {@value #REGISTER_FUNCTION}{@code (JNIEnv*, jclass)}, which calls JNI {@code RegisterNatives}
 * on a class with exactly these static natives ({@link NativePort} declares the one every provider
 * shares):
 *
 * <pre>{@code
 * static final class Jni {
 *     static native long resume(long fcb, long value);
 *     static native void prepare(long fcb);
 *     static native long probeResumeRegisters(long fcb, long value, long seed);
 *     static native long probeResumeFpEnv(long fcb, long value, long env);
 *     static native long probeReadFpEnv();
 * }
 * }</pre>
 *
 * Each native is a few instructions of assembly that drop {@code JNIEnv*} and {@code jclass} and
 * jump to the C entry point of the same name, so the thread is in the native state while the fiber
 * runs, exactly as under JNA. See {@code fiberswitch.h} for the contract.
 *
 * <p>The binding is optional: a port whose library lacks {@value #REGISTER_FUNCTION}, or a JVM
 * that refuses the registration, keeps its JNA calls. {@code -D}{@value #BINDING_PROPERTY}{@code
 * =jna} asks every port for JNA alone.
 */
public final class JniBinding {
    /** The C name of the registration function a port's library may export. */
    public static final String REGISTER_FUNCTION = "fiberswitch_jni_register";
    /** System property: {@code jna} keeps ports on JNA; {@code jni}, the default, asks for JNI. */
    public static final String BINDING_PROPERTY = "fiberswitch.binding";

    private JniBinding() {
    }

    /**
     * Whether ports should try JNI: true unless {@value #BINDING_PROPERTY} is {@code jna}.
     *
     * @throws IllegalArgumentException if the property holds anything but {@code jni} or {@code jna}
     */
    public static boolean requested() {
        String value = System.getProperty(BINDING_PROPERTY, "jni").trim().toLowerCase(Locale.ROOT);
        switch (value) {
            case "jni":
                return true;
            case "jna":
                return false;
            default:
                throw new IllegalArgumentException("-D" + BINDING_PROPERTY + "=" + value
                        + " is not a binding; use jni (the default, fastest) or jna");
        }
    }

    /** The registration of each natives class: which code registered it, or why the last attempt failed. */
    private static final ClassValue<Registration> REGISTRATIONS = new ClassValue<>() {
        @Override
        protected Registration computeValue(Class<?> type) {
            return new Registration();
        }
    };

    private static final class Registration {
        /** The register function whose natives are bound, 0 while none are. */
        private long owner;
        /** The last failed attempt's register function and reason. */
        private long failedFor;
        private String failure;
    }

    /**
     * {@link #register} once per {@code natives} class and per library: a natives class can hold one
     * library's adapters at a time, so the first library that registers keeps it; later calls for the
     * same library return {@code null} at once, and calls for another library return why they cannot
     * have it.
     */
    public static String registerOnce(long registerFunction, Class<?> natives) {
        Registration r = REGISTRATIONS.get(natives);
        synchronized (r) {
            if (r.owner != 0) {
                return r.owner == registerFunction ? null
                        : natives.getName() + "'s natives are already registered by another library's "
                                + REGISTER_FUNCTION + " (at 0x" + Long.toHexString(r.owner) + ") in this JVM";
            }
            if (r.failedFor == registerFunction && r.failure != null) {
                return r.failure;
            }
            String why = register(registerFunction, natives);
            if (why == null) {
                r.owner = registerFunction;
            } else {
                r.failedFor = registerFunction;
                r.failure = why;
            }
            return why;
        }
    }

    /**
     * Calls the library's registration function for {@code natives}.
     *
     * @param registerFunction the address of {@value #REGISTER_FUNCTION}; 0 when the library does
     *                         not export it
     * @param natives          the class whose static natives are to be bound
     * @return {@code null} once bound, otherwise why not, for the port to report while it keeps JNA
     */
    public static String register(long registerFunction, Class<?> natives) {
        if (registerFunction == 0L) {
            return "the library does not export " + REGISTER_FUNCTION;
        }
        Function register = Function.getFunction(new Pointer(registerFunction));
        long result;
        try {
            result = (Long) register.invoke(Long.class, new Object[] {JNIEnv.CURRENT, natives},
                    Map.of(Library.OPTION_ALLOW_OBJECTS, Boolean.TRUE));
        } catch (RuntimeException | LinkageError e) {
            return REGISTER_FUNCTION + " failed: " + e;
        }
        if (result != 0L) {
            return "JNI RegisterNatives refused " + natives.getName() + " (result " + result
                    + "); it must declare exactly resume(JJ)J, prepare(J)V, probeResumeRegisters(JJJ)J,"
                    + " probeResumeFpEnv(JJJ)J and probeReadFpEnv()J as static natives";
        }
        return null;
    }
}
