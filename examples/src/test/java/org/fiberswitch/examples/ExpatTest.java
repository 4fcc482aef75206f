package org.fiberswitch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.pull.NativeCallException;
import org.fiberswitch.pull.NativePull;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Recipe c: expat's handlers as a pull iterator, over a document of more than 10 MB. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class ExpatTest {
    private FiberRuntime runtime;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    /** A document in native memory (so the Java heap does not hold it). */
    private static Memory document(String xml) {
        byte[] b = xml.getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(b.length);
        m.write(0, b, 0, b.length);
        return m;
    }

    private static byte[] item(int i) {
        return ("<item id=\"" + i + "\" kind=\"k" + (i % 3) + "\">text " + i + "</item>\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code <doc>} with {@code items} items, written piece by piece into native memory. */
    private static Memory bigDocument(int items, long[] size) {
        long total = "<doc>\n".length() + "</doc>".length();
        for (int i = 0; i < items; i++) {
            total += item(i).length;
        }
        Memory m = new Memory(total);
        long at = 0;
        byte[] open = "<doc>\n".getBytes(StandardCharsets.US_ASCII);
        m.write(at, open, 0, open.length);
        at += open.length;
        for (int i = 0; i < items; i++) {
            byte[] b = item(i);
            m.write(at, b, 0, b.length);
            at += b.length;
        }
        byte[] close = "</doc>".getBytes(StandardCharsets.US_ASCII);
        m.write(at, close, 0, close.length);
        size[0] = total;
        return m;
    }

    @Test
    void eventsComeInDocumentOrderAndTagsTellTheHandlersApart() {
        String xml = "<a x=\"1\" y=\"&lt;2&gt;\">hi <b/>caf\u00e9</a>";
        try (Memory doc = document(xml);
             Expat parse = Expat.parse(runtime, doc, doc.size(), Expat.Stop.DRAIN)) {
            List<XmlEvent> events = new ArrayList<>();
            parse.events().forEachRemaining(events::add);
            StringBuilder text = new StringBuilder();
            List<XmlEvent> structure = new ArrayList<>();
            for (XmlEvent e : events) {
                if (e instanceof XmlEvent.Text t) {
                    text.append(t.text());
                } else {
                    structure.add(e);
                }
            }
            assertEquals(List.of(new XmlEvent.Start("a", Map.of("x", "1", "y", "<2>")), new XmlEvent.Start("b", Map.of()),
                    new XmlEvent.End("b"), new XmlEvent.End("a")), structure);
            assertEquals("hi caf\u00e9", text.toString());
            assertEquals(Expat.XML_STATUS_OK, parse.events().result().getAsLong());
        }
    }

    @Test
    void malformedXmlSurfacesAsAnErrorWithTheCode() {
        try (Memory doc = document("<a><b></a>");
             Expat parse = Expat.parse(runtime, doc, doc.size(), Expat.Stop.DRAIN)) {
            NativePull<XmlEvent> events = parse.events();
            assertInstanceOf(XmlEvent.Start.class, events.next());
            assertInstanceOf(XmlEvent.Start.class, events.next());
            NativeCallException e = assertThrows(NativeCallException.class, events::hasNext);
            assertEquals(Expat.XML_STATUS_ERROR, e.code());
            assertTrue(e.getMessage().contains("mismatched tag"), e.getMessage());
        }
    }

    @Test
    void tenMegabytesParseLazilyInConstantJavaMemory() {
        int items = 260_000;
        long[] size = new long[1];
        try (Memory doc = bigDocument(items, size);
             Expat parse = Expat.parse(runtime, doc, size[0], Expat.Stop.DRAIN)) {
            assertTrue(size[0] >= 10L * 1024 * 1024, "document is " + size[0] + " bytes");
            NativePull<XmlEvent> events = parse.events();
            int starts = 0;
            int ends = 0;
            long heapAt10 = -1;
            long heapAt100 = -1;
            StringBuilder current = new StringBuilder();
            while (events.hasNext()) {
                XmlEvent e = events.next();
                if (e instanceof XmlEvent.Start s) {
                    if (starts > 0) {
                        // Every item's id attribute matches its position: nothing lost or reordered.
                        assertEquals(Integer.toString(starts - 1), s.attributes().get("id"));
                    }
                    starts++;
                    current.setLength(0);
                } else if (e instanceof XmlEvent.Text t) {
                    current.append(t.text());
                } else {
                    ends++;
                    if (ends <= items) {
                        assertEquals("text " + (ends - 1), current.toString());
                    }
                    if (ends == items / 10) {
                        heapAt10 = usedHeapAfterGc();
                    } else if (ends == items) {
                        heapAt100 = usedHeapAfterGc();
                    }
                }
            }
            assertEquals(items + 1, starts);
            assertEquals(items + 1, ends);
            assertEquals(Expat.XML_STATUS_OK, events.result().getAsLong());
            // ~1 million events were consumed between the two points; keeping even 16 bytes of each
            // would add over 16 MB. Lazy pulling keeps O(1) events, so the heap stays where it was.
            long growth = heapAt100 - heapAt10;
            assertTrue(growth < 4L * 1024 * 1024, "heap grew by " + growth + " bytes between 10% and 100%"
                    + " (at 10%: " + heapAt10 + ", at 100%: " + heapAt100 + ")");
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            min = Math.min(min, rt.totalMemory() - rt.freeMemory());
        }
        return min;
    }

    @Test
    void anEarlyStopDrainsByDefault() {
        long[] size = new long[1];
        try (Memory doc = bigDocument(20_000, size)) {
            Expat parse = Expat.parse(runtime, doc, size[0], Expat.Stop.DRAIN);
            parse.events().next();
            parse.close();
            assertEquals(Expat.XML_STATUS_OK, parse.events().result().getAsLong(), "parsed to the end");
            assertEquals(FiberState.DONE, parse.events().fiber().state());
        }
    }

    @Test
    void anEarlyStopWithXmlStopParserAborts() {
        long[] size = new long[1];
        try (Memory doc = bigDocument(20_000, size)) {
            Expat parse = Expat.parse(runtime, doc, size[0], Expat.Stop.STOP_PARSER);
            parse.events().next();
            parse.events().next();
            parse.close(); // XML_StopParser from Java, then the handler returns and XML_Parse aborts
            assertEquals(Expat.XML_STATUS_ERROR, parse.events().result().getAsLong());
            assertTrue(parse.events().stoppedEarly());
            assertEquals(FiberState.DONE, parse.events().fiber().state());
        }
    }
}
