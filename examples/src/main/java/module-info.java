/**
 * Push-to-pull recipes against real native libraries (libc, SQLite, expat, libcurl). See
 * {@link org.fiberswitch.examples}.
 */
module org.fiberswitch.examples {
    requires transitive org.fiberswitch;
    requires transitive com.sun.jna;

    exports org.fiberswitch.examples;
}
