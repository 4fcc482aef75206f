package org.fiberswitch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DoctorCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new FiberswitchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString()};
    }

    @Test
    void listsEveryProviderTheJarCarries() {
        String[] r = run("doctor", "--iterations", "1000");
        assertTrue(r[1].contains("providers found: 3"), r[1]);
        for (String id : new String[] {"linux-x64-sysv", "macos-x64-sysv", "windows-x64-win64"}) {
            assertTrue(r[1].contains(id), id + " missing:\n" + r[1]);
        }
    }

    @Test
    void doctorPassesOnThisMachine() {
        String[] r = run("doctor", "--iterations", "2000");
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("runtime  opened on "), r[1]);
        // The doctor names the call path; on a HotSpot JVM the provider binds its JNI natives.
        assertTrue(r[1].contains("(binding: jni, "), r[1]);
        assertTrue(r[1].matches("(?s).*smoke    ([5-9]) of \\1 checks ok.*"), r[1]);
        assertTrue(r[1].contains("resume->yield round trip"), r[1]);
    }

    @Test
    void anUnknownProviderExitsWithTwoAndSaysWhy() {
        String[] r = run("doctor", "--provider", "no-such-port");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("NOT OPENED: no provider has the id or class 'no-such-port'"), r[1]);
    }
}
