package org.fiberswitch.linux.x64;

import org.fiberswitch.FiberRuntime;

/**
 * Child-JVM main for {@link LibraryLoadingTest}: opens a runtime on the Linux provider and prints
 * {@code OPENED <port>}, or {@code FAILED} with the message and every cause.
 */
public final class LoadingProbeMain {
    private LoadingProbeMain() {
    }

    public static void main(String[] args) {
        try (FiberRuntime runtime = FiberRuntime.open(LinuxX64SwitchProvider.ID)) {
            System.out.println("OPENED " + runtime.port());
        } catch (RuntimeException | LinkageError e) {
            System.out.println("FAILED " + e.getMessage());
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                System.out.println("CAUSE " + c);
            }
        }
    }
}
