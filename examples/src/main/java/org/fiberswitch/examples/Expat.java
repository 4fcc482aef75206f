package org.fiberswitch.examples;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;
import org.fiberswitch.pull.EarlyStop;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;

/**
 * Recipe: expat's push parser as a pull iterator of {@link XmlEvent}s, one native parse on a fiber.
 *
 * <p>Three handlers feed one fiber: start ({@code void (void *ud, const XML_Char *name,
 * const XML_Char **atts)}), end ({@code void (void *ud, const XML_Char *name)}) and character data
 * ({@code void (void *ud, const XML_Char *s, int len)}). All take the user data first, which
 * {@code XML_SetUserData(parser, handle)} makes the fiber's handle; three stubs with tags 0, 1 and 2
 * at position 0 tell them apart ({@link CallbackEvent#tag()}). The fiber runs
 * {@code XML_Parse(parser, doc, len, 1)}, which returns {@code XML_STATUS_OK} (1) on success.
 *
 * <p>The handlers return {@code void}: expat cannot be aborted by a return value. So by default an
 * early stop <em>drains</em> (the parse runs to the end, events dropped). With
 * {@link Stop#STOP_PARSER} the stop instead calls {@code XML_StopParser(parser, XML_FALSE)} from
 * the Java side while the fiber waits inside a handler (which is where expat wants it called); the
 * parse then returns {@code XML_STATUS_ERROR} with {@code XML_ERROR_ABORTED}, the expected result of
 * that stop.
 *
 * <pre>{@code
 * try (Expat xml = Expat.parse(runtime, doc, length, Expat.Stop.DRAIN)) {
 *     while (xml.events().hasNext()) {
 *         XmlEvent e = xml.events().next();   // one handler call; the parser waits inside it
 *     }
 * }                                           // close(): the parse ends, then XML_ParserFree
 * }</pre>
 */
public final class Expat implements AutoCloseable {
    /** XML_Parse's result codes. */
    public static final int XML_STATUS_ERROR = 0;
    public static final int XML_STATUS_OK = 1;
    /** XML_GetErrorCode after XML_StopParser(parser, XML_FALSE). */
    public static final int XML_ERROR_ABORTED = 35;

    private static final int START = 0;
    private static final int END = 1;
    private static final int TEXT = 2;

    private static final NativeLibrary LIB = NativeLibs.load("libexpat.so.1", "expat");
    private static final long PARSE = NativeLibs.address(LIB, "XML_Parse");

    /** How an early stop ends the parse. */
    public enum Stop {
        /** Let XML_Parse run to the end of the document (events are dropped). */
        DRAIN,
        /** Call XML_StopParser from Java while the fiber waits in a handler; the parse aborts. */
        STOP_PARSER
    }

    private Pointer parser;
    private final NativePull<XmlEvent> events;

    private Expat(Pointer parser, NativePull<XmlEvent> events) {
        this.parser = parser;
        this.events = events;
    }

    /**
     * Prepares a parse of the {@code length} bytes of UTF-8 XML at {@code doc} (which must stay
     * valid until {@link #close()}); nothing is parsed until the first event is asked for.
     */
    public static Expat parse(FiberRuntime runtime, Pointer doc, long length, Stop stop) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("XML_Parse takes an int length; " + length + " bytes is too much for one call");
        }
        Pointer parser = fn("XML_ParserCreate").invokePointer(new Object[] {null});
        if (parser == null) {
            throw new OutOfMemoryError("XML_ParserCreate returned NULL");
        }
        try {
            return create(runtime, parser, doc, length, stop);
        } catch (RuntimeException | Error e) {
            fn("XML_ParserFree").invokeVoid(new Object[] {parser}); // nothing runs yet: free it here
            throw e;
        }
    }

    private static Expat create(FiberRuntime runtime, Pointer parser, Pointer doc, long length, Stop stop) {
        CallbackStub start = runtime.callbackStub(0, org.fiberswitch.CallbackReturn.INTEGER, START);
        CallbackStub end = runtime.callbackStub(0, org.fiberswitch.CallbackReturn.INTEGER, END);
        CallbackStub text = runtime.callbackStub(0, org.fiberswitch.CallbackReturn.INTEGER, TEXT);
        fn("XML_SetElementHandler").invokeVoid(new Object[] {parser, new Pointer(start.address()), new Pointer(end.address())});
        fn("XML_SetCharacterDataHandler").invokeVoid(new Object[] {parser, new Pointer(text.address())});
        long parserAddress = Pointer.nativeValue(parser);
        long docAddress = Pointer.nativeValue(doc);
        EarlyStop early = stop == Stop.DRAIN ? EarlyStop.drain() : stopParser(parser);
        NativePull<XmlEvent> events = NativePull.calling(runtime, PARSE, self -> {
                    // Runs on the Java thread once the fiber's handle exists, before XML_Parse starts.
                    fn("XML_SetUserData").invokeVoid(new Object[] {parser, new Pointer(self)});
                    return new long[] {parserAddress, docAddress, length, 1};
                }, Expat::toEvent)
                .name("XML_Parse")
                .stack(StackOptions.defaults().withSize(1 << 20))
                .intResult()
                .succeedsWhen(rc -> rc == XML_STATUS_OK)
                .describeErrors(rc -> "line " + fn("XML_GetCurrentLineNumber").invokeLong(new Object[] {parser})
                        + ": " + fn("XML_ErrorString").invokeString(
                                new Object[] {fn("XML_GetErrorCode").invokeInt(new Object[] {parser})}, false))
                .earlyStop(early)
                .build();
        return new Expat(parser, events);
    }

    private static EarlyStop stopParser(Pointer parser) {
        boolean[] stopped = {false};
        return EarlyStop.abortWith(event -> {
            if (!stopped[0]) {
                stopped[0] = true;
                // Legal here: the fiber is suspended inside one of this parser's handlers.
                fn("XML_StopParser").invokeInt(new Object[] {parser, 0});
            }
            return 0; // the handlers are void; the value is ignored
        }, rc -> rc == XML_STATUS_ERROR
                && fn("XML_GetErrorCode").invokeInt(new Object[] {parser}) == XML_ERROR_ABORTED);
    }

    private static Step<XmlEvent> toEvent(CallbackEvent cb) {
        switch (cb.tag()) {
            case START: {
                Map<String, String> atts = new LinkedHashMap<>();
                Pointer a = new Pointer(cb.longArg(2));
                for (long i = 0; a.getPointer(8 * i) != null; i += 2) {
                    atts.put(a.getPointer(8 * i).getString(0, "UTF-8"), a.getPointer(8 * (i + 1)).getString(0, "UTF-8"));
                }
                return Step.emit(new XmlEvent.Start(utf8(cb.longArg(1)), atts), 0);
            }
            case END:
                return Step.emit(new XmlEvent.End(utf8(cb.longArg(1))), 0);
            case TEXT: {
                byte[] bytes = new Pointer(cb.longArg(1)).getByteArray(0, cb.intArg(2)); // not NUL-terminated
                return Step.emit(new XmlEvent.Text(new String(bytes, StandardCharsets.UTF_8)), 0);
            }
            default:
                throw new IllegalStateException("unexpected callback tag " + cb.tag());
        }
    }

    private static String utf8(long cString) {
        return new Pointer(cString).getString(0, "UTF-8");
    }

    /** The events, produced one handler call at a time. */
    public NativePull<XmlEvent> events() {
        return events;
    }

    /** Ends the parse (by the stop policy, if it has not ended) and frees the parser. */
    @Override
    public void close() {
        if (parser == null) {
            return;
        }
        try {
            events.close();
        } finally {
            fn("XML_ParserFree").invokeVoid(new Object[] {parser});
            parser = null;
        }
    }

    private static Function fn(String name) {
        return NativeLibs.function(LIB, name);
    }
}
