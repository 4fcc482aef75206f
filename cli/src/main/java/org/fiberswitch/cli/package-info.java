/**
 * The {@code fiberswitch} command line: {@code doctor} (providers, smoke check, round-trip time),
 * {@code conformance} (the kit in process, with its report) and {@code bench} (a short in-process
 * timing with ratios). Built as one runnable jar that carries every provider.
 */
package org.fiberswitch.cli;
