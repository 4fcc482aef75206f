package org.fiberswitch.spi;

import com.sun.jna.Function;
import com.sun.jna.JNIEnv;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a port's hot calls as JNI static natives, so that Java reaches the switch through the
 * JVM's own native-method wrapper rather than JNA's generic dispatch. On JDK 17 a JNA
 * direct-mapped call costs 60-90 ns, most of it converting arguments one by one; a JNI static
 * native with the same arguments costs about 5 ns.
 *
 * <p>JNA still finds, extracts and loads the library. The library exports
 * {@value #REGISTER_FUNCTION}{@code (JNIEnv*, jclass)}, which calls JNI {@code RegisterNatives}
 * on a class the port declares with exactly these static natives:
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

    /** One registration attempt per natives class, whichever port asks first. */
    private static final ClassValue<Attempt> ATTEMPTS = new ClassValue<>() {
        @Override
        protected Attempt computeValue(Class<?> type) {
            return new Attempt();
        }
    };

    private static final class Attempt {
        private boolean made;
        private String unavailable;
    }

    /**
     * {@link #register} once per {@code natives} class: later calls return the first result, so a
     * provider that binds again (another runtime, another port) does not register again.
     */
    public static String registerOnce(long registerFunction, Class<?> natives) {
        Attempt a = ATTEMPTS.get(natives);
        synchronized (a) {
            if (!a.made) {
                a.unavailable = register(registerFunction, natives);
                a.made = true;
            }
            return a.unavailable;
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
