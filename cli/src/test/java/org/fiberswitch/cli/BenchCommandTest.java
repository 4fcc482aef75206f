package org.fiberswitch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The bench command runs and prints every row; no timing is asserted. */
class BenchCommandTest {

    @Test
    void benchPrintsEveryRowWithRatios() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int code = cl.execute("--iterations", "2000", "--batches", "3");
        String text = out.toString();
        assertEquals(0, code, text);
        for (String row : new String[] {"no-op downcall (baseline)", "resume->yield round trip",
                "callback event round trip", "fiber lifecycle, pooled stack", "fiber lifecycle, fresh stack",
                "platform threads, SynchronousQueue", "virtual threads, SynchronousQueue"}) {
            assertTrue(text.contains(row), row + " missing:\n" + text);
        }
        assertTrue(text.contains("1.00x"), "the baseline's ratio to itself:\n" + text);
    }

    @Test
    void anUnknownProviderExitsWithTwo() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        assertEquals(2, cl.execute("--provider", "no-such-port"), out.toString());
    }
}
