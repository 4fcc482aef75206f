package org.fiberswitch.examples;

import java.util.Map;

/** One expat callback, copied into Java: an element start, an element end, or character data. */
public sealed interface XmlEvent {
    /** {@code <name a="v">}. */
    record Start(String name, Map<String, String> attributes) implements XmlEvent {
        public Start {
            attributes = Map.copyOf(attributes);
        }
    }

    /** {@code </name>}. */
    record End(String name) implements XmlEvent {
    }

    /** A run of character data; expat may split one text node into several runs. */
    record Text(String text) implements XmlEvent {
    }
}
