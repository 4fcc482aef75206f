package org.fiberswitch.spi;

import java.util.Locale;

/**
 * JNA's platform names ({@code Platform.RESOURCE_PREFIX}) for any {@code os.name} / {@code os.arch}
 * pair, not only this JVM's: JNA computes them only for the running JVM, and providers answer
 * {@code supports(osName, osArch)} for any pair. The mapping follows JNA's.
 */
final class PlatformNames {
    private PlatformNames() {
    }

    static String resourcePrefix(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = canonicalArch(osArch.toLowerCase(Locale.ROOT).trim());
        if (os.startsWith("windows")) {
            return "win32-" + arch;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return "darwin-" + arch;
        }
        if (os.startsWith("linux")) {
            return "linux-" + arch;
        }
        if (os.startsWith("sunos") || os.startsWith("solaris")) {
            return "sunos-" + arch;
        }
        if (os.startsWith("freebsd")) {
            return "freebsd-" + arch;
        }
        if (os.startsWith("openbsd")) {
            return "openbsd-" + arch;
        }
        if (os.startsWith("netbsd")) {
            return "netbsd-" + arch;
        }
        if (os.startsWith("aix")) {
            return "aix-" + arch;
        }
        return os.replaceAll("\\s+", "").replaceAll("[^a-z0-9]", "") + "-" + arch;
    }

    private static String canonicalArch(String arch) {
        switch (arch) {
            case "i386":
            case "i686":
                return "x86";
            case "x86_64":
            case "amd64":
                return "x86-64";
            case "arm64":
                return "aarch64";
            case "zarch_64":
                return "s390x";
            case "powerpc":
                return "ppc";
            case "powerpc64":
                return "ppc64";
            case "powerpc64le":
                return "ppc64le";
            default:
                return arch;
        }
    }
}
