package org.fiberswitch.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Whether a file lies on a file system mounted {@code noexec}, from Linux's {@code /proc/self/mountinfo}. */
final class NoexecMounts {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private NoexecMounts() {
    }

    /** True only when the mount table says so; false where there is none (not Linux) or it cannot be read. */
    static boolean isNoexec(Path file) {
        if (!Files.isReadable(MOUNTINFO)) {
            return false;
        }
        try {
            return isNoexec(file.toAbsolutePath().normalize().toString(), Files.readAllLines(MOUNTINFO));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The longest mount point that contains {@code path} decides. A mountinfo line: id, parent id,
     * major:minor, root, mount point, mount options, optional fields, "-", fs type, source, super
     * options.
     */
    static boolean isNoexec(String path, List<String> mountinfo) {
        String best = null;
        boolean noexec = false;
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            if (f.length < 6) {
                continue;
            }
            String mountPoint = unescape(f[4]);
            boolean contains = path.equals(mountPoint) || mountPoint.equals("/")
                    || path.startsWith(mountPoint.endsWith("/") ? mountPoint : mountPoint + "/");
            if (contains && (best == null || mountPoint.length() >= best.length())) {
                best = mountPoint;
                noexec = List.of(f[5].split(",")).contains("noexec");
            }
        }
        return noexec;
    }

    /** Mount points escape space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
