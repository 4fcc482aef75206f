package org.fiberswitch.spi;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Loads a provider's native library: by default the copy in the provider's own jar, so that a
 * library of the same name elsewhere ({@code LD_LIBRARY_PATH}, {@code PATH}, {@code
 * jna.library.path}) can never shadow it. {@code -D}{@value #PROPERTY} chooses otherwise:
 * {@code search} keeps JNA's own search order, and any other value is the path of a library file.
 *
 * <p>A jar's copy is written once to a directory named by its content hash (under
 * {@code -Dfiberswitch.library.dir}, else {@code -Djna.tmpdir}, else the user's cache directory,
 * else {@code java.io.tmpdir}) and reused by every later JVM. The file stays in place while it is
 * loaded, so debuggers and profilers can read its symbols and unwind tables.
 */
final class BundledLibrary {
    /** System property: {@code search}, or a path; unset loads the jar's own copy. */
    static final String PROPERTY = "fiberswitch.library";
    /** System property: where the jar's copy is written. */
    static final String DIR_PROPERTY = "fiberswitch.library.dir";

    private BundledLibrary() {
    }

    /** A loaded library and where it came from. */
    record Loaded(NativeLibrary library, String origin) {
    }

    /**
     * Loads the library {@code name} for {@code resourcePrefix} (JNA's, such as
     * {@code linux-x86-64}) from {@code loader}.
     *
     * @throws UnsatisfiedLinkError saying what was tried, what failed and what to do; the JNA and IO
     *     errors are its cause or suppressed
     */
    static Loaded load(String name, String resourcePrefix, ClassLoader loader) {
        String choice = System.getProperty(PROPERTY, "").trim();
        if (choice.equals("search")) {
            try {
                NativeLibrary lib = NativeLibrary.getInstance(name, loader);
                return new Loaded(lib, lib.getFile() + " (found by JNA's search, -D" + PROPERTY + "=search)");
            } catch (RuntimeException | LinkageError e) {
                throw failure("JNA's search found no loadable " + name + " library (-D" + PROPERTY + "=search)", null, e);
            }
        }
        Path file;
        String origin;
        if (!choice.isEmpty() && !choice.equals("bundled")) {
            file = Path.of(choice).toAbsolutePath();
            origin = file + " (-D" + PROPERTY + ")";
        } else {
            String resource = resourcePrefix + "/" + mappedName(name, resourcePrefix);
            try {
                file = copyOf(resource, loader);
            } catch (IOException e) {
                throw failure("cannot write the provider jar's " + resource + " to a directory it can be loaded from",
                        null, e);
            }
            origin = file + " (the provider jar's " + resource + ")";
        }
        try {
            return new Loaded(NativeLibrary.getInstance(file.toString()), origin);
        } catch (RuntimeException | LinkageError e) {
            // JNA's own initialisation fails here too (its dispatch library, or native access denied).
            throw failure("cannot load " + origin, file, e);
        }
    }

    /** {@code libfiberswitch.so}, {@code libfiberswitch.dylib} or {@code fiberswitch.dll}. */
    static String mappedName(String name, String resourcePrefix) {
        if (resourcePrefix.startsWith("win32-")) {
            return name + ".dll";
        }
        return "lib" + name + (resourcePrefix.startsWith("darwin-") ? ".dylib" : ".so");
    }

    /** The loader's copy of {@code resource} as a file: the resource itself, or a cached copy. */
    private static Path copyOf(String resource, ClassLoader loader) throws IOException {
        URL url = loader.getResource(resource);
        if (url == null) {
            throw new IOException(resource + " is not on the class path of " + loader
                    + "; the provider jar is incomplete, or -D" + PROPERTY + " should name the library file");
        }
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException("unusable resource URL " + url, e);
            }
        }
        byte[] bytes;
        try (InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        }
        String hash = sha256(bytes).substring(0, 16);
        String fileName = resource.substring(resource.lastIndexOf('/') + 1);
        List<String> tried = new ArrayList<>();
        IOException last = null;
        for (Path root : cacheRoots()) {
            Path dir = root.resolve(hash);
            Path target = dir.resolve(fileName);
            try {
                if (Files.isRegularFile(target) && sha256(Files.readAllBytes(target)).startsWith(hash)) {
                    return target;
                }
                createPrivateDirectories(dir);
                Path tmp = Files.createTempFile(dir, fileName, ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return target;
            } catch (IOException | UnsupportedOperationException e) {
                tried.add(dir + " (" + e + ")");
                last = e instanceof IOException io ? io : new IOException(e);
            }
        }
        IOException e = new IOException("no writable directory for the library; tried " + tried
                + ". Set -D" + DIR_PROPERTY + " (or -Djna.tmpdir) to a writable directory that allows executables");
        if (last != null) {
            e.initCause(last);
        }
        throw e;
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectory(dir); // not a POSIX file system (Windows): its ACLs apply
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // another JVM made it meanwhile
        }
    }

    /** Where copies may be written, in order of preference. */
    static List<Path> cacheRoots() {
        List<Path> roots = new ArrayList<>();
        for (String p : new String[] {DIR_PROPERTY, "jna.tmpdir"}) {
            String v = System.getProperty(p);
            if (v != null && !v.isBlank()) {
                roots.add(Path.of(v, "fiberswitch"));
                return roots; // a directory the user named is the only one tried
            }
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String home = System.getProperty("user.home");
        if (os.startsWith("windows")) {
            String local = System.getenv("LOCALAPPDATA");
            if (local != null) {
                roots.add(Path.of(local, "fiberswitch", "cache"));
            }
        } else if (os.startsWith("mac")) {
            if (home != null) {
                roots.add(Path.of(home, "Library", "Caches", "fiberswitch"));
            }
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            if (xdg != null && !xdg.isBlank()) {
                roots.add(Path.of(xdg, "fiberswitch"));
            } else if (home != null) {
                roots.add(Path.of(home, ".cache", "fiberswitch"));
            }
        }
        roots.add(Path.of(System.getProperty("java.io.tmpdir"), "fiberswitch-" + System.getProperty("user.name", "user")));
        return roots;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** An UnsatisfiedLinkError that says why, when the cause is known, and what to do. */
    static UnsatisfiedLinkError failure(String what, Path file, Throwable cause) {
        StringBuilder msg = new StringBuilder(what).append(": ").append(firstMessage(cause));
        Throwable denied = find(cause, "java.lang.IllegalCallerException");
        if (denied != null) {
            msg.append(". Native access is denied to this code (JDK 24+ with --illegal-native-access=deny, or a"
                    + " module without it): run with --enable-native-access=ALL-UNNAMED when JNA is on the class"
                    + " path, or --enable-native-access=com.sun.jna when it is on the module path (add"
                    + " org.fiberswitch.ffm if you use the FFM accelerator); an executable jar can carry"
                    + " Enable-Native-Access: ALL-UNNAMED in its manifest");
        } else if (file != null && NoexecMounts.isNoexec(file)) {
            msg.append(". ").append(file.getParent()).append(" is on a file system mounted noexec, so no library there"
                    + " can be loaded: set -D").append(DIR_PROPERTY).append(" (or -Djna.tmpdir) to a writable directory"
                    + " that allows executables");
        } else if (find(cause, AccessDeniedException.class.getName()) != null || cause instanceof IOException) {
            msg.append(". Set -D").append(DIR_PROPERTY).append(" (or -Djna.tmpdir) to a writable directory that"
                    + " allows executables, or -D").append(PROPERTY).append("=/path/to/the/library");
        }
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(msg.toString());
        e.initCause(cause);
        return e;
    }

    /** The first message along the cause chain, or the innermost exception's name. */
    private static String firstMessage(Throwable t) {
        Throwable last = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null) {
                return c.getMessage();
            }
            last = c;
        }
        return last.toString();
    }

    private static Throwable find(Throwable t, String className) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getName().equals(className)) {
                return c;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }
}
