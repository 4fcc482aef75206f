package org.fiberswitch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConformanceCommandTest {

    @Test
    void printsTheKitsReportForThisPlatformsProvider(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new FiberswitchCommand());
        cl.setOut(new PrintWriter(out));
        int code = cl.execute("conformance", "--out", dir.toString());
        String text = out.toString();
        assertEquals(0, code, text);
        assertTrue(text.contains("| rule | name | result | ms | if it fails, check |"), text);
        assertTrue(text.contains("| 2.1 | required_2_1_resumerRegistersSurviveARoundTrip | passed |"), text);
        assertTrue(text.matches("(?s).*conformance: \\d+ rules run, 0 failed.*"), text);
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(p -> p.toString().endsWith(".json")), "a JSON report was written");
        }
    }
}
