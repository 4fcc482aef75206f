package org.fiberswitch.linux.x64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fiberswitch.Fiber;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.StackOptions;
import org.fiberswitch.spi.AbiProbes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Create/close cycles leave the mapping count and RSS flat; closing a runtime unmaps its pool. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider; other platforms run the conformance kit")
class LeakTest {

    private static int mappings() throws IOException {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return (int) lines.count();
        }
    }

    private static long rssKiB() throws IOException {
        List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
        for (String line : status) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static void cycle(FiberRuntime runtime, AbiProbes probes, StackOptions options, int n) {
        for (int i = 0; i < n; i++) {
            Fiber f = runtime.newFiber(probes.echoEntry(), i, options);
            f.resume();
            if ((i & 1) == 0) {
                f.resume(0); // completes: releases its stack itself
            }
            f.close(); // closes a suspended fiber half the time
        }
    }

    @Test
    void hundredThousandCreateCloseCyclesLeaveMappingsAndRssFlat() throws IOException {
        StackOptions unpooled = StackOptions.defaults().withPooling(false);
        try (FiberRuntime runtime = FiberRuntime.open()) {
            AbiProbes probes = runtime.port().probes();
            cycle(runtime, probes, unpooled, 2_000); // warm up JIT and JNA
            int mapsBefore = mappings();
            long rssBefore = rssKiB();
            cycle(runtime, probes, unpooled, 100_000);
            int mapsAfter = mappings();
            long rssAfter = rssKiB();
            // A leak of one mapping per cycle would show as 100,000; allow JVM noise of a few dozen.
            assertTrue(Math.abs(mapsAfter - mapsBefore) < 64, "mappings " + mapsBefore + " -> " + mapsAfter);
            // A leaked touched page per cycle would be 400 MB; allow 64 MB of JVM growth.
            assertTrue(rssAfter - rssBefore < 64 * 1024, "RSS " + rssBefore + " KiB -> " + rssAfter + " KiB");
            assertEquals(0, runtime.liveFibers());
        }
    }

    @Test
    void closingTheRuntimeUnmapsPooledAndLiveStacks() throws IOException {
        int before = mappings();
        FiberRuntime runtime = FiberRuntime.open();
        AbiProbes probes = runtime.port().probes();
        for (int i = 0; i < 200; i++) {
            runtime.newFiber(probes.echoEntry(), i).resume(); // left suspended
        }
        cycle(runtime, probes, StackOptions.defaults(), 100); // fills the pool
        assertTrue(runtime.pooledStacks() > 0);
        assertTrue(mappings() >= before + 200, "200 live guarded stacks map at least 200 regions");
        runtime.close();
        int after = mappings();
        assertTrue(Math.abs(after - before) < 64, "mappings " + before + " -> " + after + " after close");
    }
}
