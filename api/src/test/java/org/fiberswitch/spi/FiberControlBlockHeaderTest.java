package org.fiberswitch.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java mirror of the FCB layout must be the header's, constant by constant and in the order of
 * {@code FCB_LAYOUT_VALUES}: every port assembles against the header, and the runtime compares what a
 * library reports with this class.
 */
class FiberControlBlockHeaderTest {
    private static final Path HEADER = Path.of("..", "native", "include", "fiberswitch.h");

    @Test
    void theLayoutTableIsTheHeadersTable() throws IOException {
        Map<String, String> defines = defines();
        List<String> table = new ArrayList<>();
        for (String item : defines.get("FCB_LAYOUT_VALUES").split(",")) {
            table.add(item.trim());
        }
        assertEquals(table.size(), (int) eval("FCB_LAYOUT_COUNT", defines), "FCB_LAYOUT_COUNT");
        assertEquals(table.size(), FiberControlBlock.LAYOUT_NAMES.size(), "number of layout constants");
        for (int i = 0; i < table.size(); i++) {
            assertEquals(table.get(i), "FCB_" + FiberControlBlock.LAYOUT_NAMES.get(i), "name of layout constant " + i);
            assertEquals(eval(table.get(i), defines), FiberControlBlock.expectedLayoutConstant(i),
                    "value of " + table.get(i));
        }
        assertEquals(FiberControlBlock.ABI_VERSION, eval("FIBERSWITCH_ABI_VERSION", defines));
    }

    @Test
    void theFieldsTileTheBlock() {
        assertEquals(FiberControlBlock.CB_FLOAT, FiberControlBlock.CB_INT + 8 * FiberControlBlock.CALLBACK_INT_SLOTS);
        assertEquals(FiberControlBlock.PORT, FiberControlBlock.CB_FLOAT + 8 * FiberControlBlock.CALLBACK_FLOAT_SLOTS);
        assertEquals(FiberControlBlock.LINK, FiberControlBlock.PORT + 8 * FiberControlBlock.PORT_SLOTS);
        assertEquals(FiberControlBlock.RESULT, FiberControlBlock.ARGS + 8 * FiberControlBlock.MAX_CALL_ARGS);
        assertTrue(FiberControlBlock.SIZE % 64 == 0, "the FCB is a whole number of cache lines");
    }

    /** Every object-like #define of the header, continuation lines joined, comments dropped. */
    private static Map<String, String> defines() throws IOException {
        String text = Files.readString(HEADER).replaceAll("(?s)/\\*.*?\\*/", " ").replace("\\\n", " ");
        Map<String, String> out = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^[ \\t]*#define[ \\t]+(\\w+)[ \\t]+(.+)$").matcher(text);
        while (m.find()) {
            out.put(m.group(1), m.group(2).trim());
        }
        return out;
    }

    /** The value of a constant expression of numbers, names, +, * and parentheses. */
    private static long eval(String expression, Map<String, String> defines) {
        return new Object() {
            private final String s = expression.replace(" ", "");
            private int at;

            long sum() {
                long v = product();
                while (at < s.length() && s.charAt(at) == '+') {
                    at++;
                    v += product();
                }
                return v;
            }

            long product() {
                long v = atom();
                while (at < s.length() && s.charAt(at) == '*') {
                    at++;
                    v *= atom();
                }
                return v;
            }

            long atom() {
                if (s.charAt(at) == '(') {
                    at++;
                    long v = sum();
                    at++;
                    return v;
                }
                int from = at;
                while (at < s.length() && (Character.isLetterOrDigit(s.charAt(at)) || s.charAt(at) == '_')) {
                    at++;
                }
                String token = s.substring(from, at);
                if (Character.isDigit(token.charAt(0))) {
                    return Long.decode(token);
                }
                String body = defines.get(token);
                if (body == null) {
                    throw new IllegalArgumentException(token + " is not defined in " + HEADER);
                }
                return eval(body, defines);
            }
        }.sum();
    }
}
