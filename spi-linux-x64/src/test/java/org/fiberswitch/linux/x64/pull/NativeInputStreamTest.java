package org.fiberswitch.linux.x64.pull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.NativeSymbols;
import org.fiberswitch.pull.Chunk;
import org.fiberswitch.pull.EarlyStop;
import org.fiberswitch.pull.NativeInputStream;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The InputStream view, on qsort_r: each comparison hands over its left operand's 8 bytes as a
 * chunk, straight from the array qsort_r is sorting. qsort_r is deterministic, so a second run with
 * the same input and comparator sees the same comparisons; that run, read as elements, is the
 * expected byte sequence. (The curl example in the examples module does this with real byte chunks.)
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class NativeInputStreamTest {
    private static final int N = 300;

    private FiberRuntime runtime;
    private long[] values;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        values = new Random(11).longs(N).toArray();
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    private NativePull<Chunk> chunks(Memory base, EarlyStop stop) {
        CallbackStub cmp = runtime.callbackStub(2);
        return NativePull.calling(runtime, NativeSymbols.address("c", "qsort_r"),
                self -> new long[] {Pointer.nativeValue(base), N, 8, cmp.address(), self}, cb -> {
                    long a = new Pointer(cb.longArg(0)).getLong(0);
                    long b = new Pointer(cb.longArg(1)).getLong(0);
                    return Step.emit(new Chunk(cb.longArg(0), 8), Long.compare(a, b));
                }).earlyStop(stop).build();
    }

    private Memory fresh() {
        Memory m = new Memory(8L * N);
        m.write(0, values, 0, N);
        return m;
    }

    private byte[] expectedBytes() {
        List<Long> lefts = new ArrayList<>();
        try (Memory base = fresh(); NativePull<Chunk> pull = chunks(base, EarlyStop.drain())) {
            pull.forEachRemaining(c -> lefts.add(new Pointer(c.address()).getLong(0)));
        }
        ByteBuffer out = ByteBuffer.allocate(8 * lefts.size()).order(ByteOrder.nativeOrder());
        lefts.forEach(out::putLong);
        return out.array();
    }

    @Test
    void readsEveryChunkWithAnyBufferSize() throws IOException {
        byte[] expected = expectedBytes();
        assertTrue(expected.length > 8 * N);
        for (int bufferSize : new int[] {1, 3, 8, 13, 4096}) {
            try (Memory base = fresh(); NativeInputStream in = new NativeInputStream(chunks(base, EarlyStop.drain()))) {
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] buf = new byte[bufferSize];
                int n;
                while ((n = in.read(buf)) != -1) {
                    assertTrue(n > 0, "read returned 0 for a non-empty buffer");
                    got.write(buf, 0, n);
                }
                assertArrayEquals(expected, got.toByteArray(), "buffer size " + bufferSize);
                assertEquals(-1, in.read());
                assertEquals(FiberState.DONE, in.pull().fiber().state());
            }
        }
    }

    @Test
    void singleByteReadsAndAvailable() throws IOException {
        byte[] expected = expectedBytes();
        try (Memory base = fresh(); NativeInputStream in = new NativeInputStream(chunks(base, EarlyStop.drain()))) {
            assertEquals(0, in.available(), "nothing at hand before the first chunk");
            assertEquals(expected[0] & 0xFF, in.read());
            assertEquals(7, in.available(), "the rest of the first 8-byte chunk");
            for (int i = 1; i < expected.length; i++) {
                assertEquals(expected[i] & 0xFF, in.read(), "byte " + i);
            }
            assertEquals(-1, in.read());
        }
    }

    @Test
    void closingEarlyStopsTheNativeCallAndLaterReadsFail() throws IOException {
        try (Memory base = fresh()) {
            NativeInputStream in = new NativeInputStream(chunks(base, EarlyStop.drain()));
            in.readNBytes(20);
            in.close();
            assertEquals(FiberState.DONE, in.pull().fiber().state());
            assertTrue(in.pull().stoppedEarly());
            long[] sorted = values.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(sorted, base.getLongArray(0, N), "drained: qsort_r finished its work");
            assertThrows(IOException.class, in::read);
            assertThrows(IOException.class, () -> in.read(new byte[4]));
            in.close();
        }
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void chunksRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Chunk(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new Chunk(64, -1));
        assertEquals(0, new Chunk(0, 0).length());
    }
}
