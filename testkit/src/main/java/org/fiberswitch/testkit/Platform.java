package org.fiberswitch.testkit;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/** Facts about the cell the kit runs in, and the few C library functions some rules call. */
final class Platform {
    private Platform() {
    }

    static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    }

    static boolean isMac() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("mac");
    }

    /** "17.0.15" and so on. */
    static String javaVersion() {
        return System.getProperty("java.version");
    }

    /** The collector this JVM runs with: G1, ZGC, Parallel, Serial, Shenandoah, or the bean names. */
    static String collector() {
        StringBuilder names = new StringBuilder();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String n = gc.getName();
            if (n.startsWith("G1")) {
                return "G1";
            }
            if (n.startsWith("ZGC")) {
                return "ZGC";
            }
            if (n.startsWith("PS ")) {
                return "Parallel";
            }
            if (n.equals("Copy") || n.equals("MarkSweepCompact")) {
                return "Serial";
            }
            if (n.startsWith("Shenandoah")) {
                return "Shenandoah";
            }
            names.append(n).append(' ');
        }
        return names.toString().trim();
    }

    /** Address of a function in the C library ({@code msvcrt} on Windows). */
    static long libc(String symbol) {
        String lib = isWindows() ? "msvcrt" : "c";
        return Pointer.nativeValue(NativeLibrary.getInstance(lib).getFunction(symbol));
    }

    /**
     * A function {@code (frames, max)}-style that walks the native stack: glibc/libSystem
     * {@code backtrace(void **buf, int n)}; on Windows {@code RtlCaptureStackBackTrace(0, n, buf, 0)},
     * whose arguments the caller orders itself.
     */
    static long stackWalker() {
        if (isWindows()) {
            return Pointer.nativeValue(NativeLibrary.getInstance("kernel32").getFunction("RtlCaptureStackBackTrace"));
        }
        return libc("backtrace");
    }
}
