package org.fiberswitch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.pull.NativeCallException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Recipe d: a file:// transfer through curl's write callback, read as an InputStream. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class CurlTest {
    private static final int SIZE = 5 * 1024 * 1024 + 123; // not a multiple of curl's buffer

    @TempDir
    Path dir;
    private FiberRuntime runtime;
    private Path file;
    private byte[] expectedSha;

    @BeforeEach
    void open() throws IOException, NoSuchAlgorithmException {
        runtime = FiberRuntime.open();
        byte[] data = new byte[SIZE];
        new Random(99).nextBytes(data);
        file = dir.resolve("payload.bin");
        Files.write(file, data);
        expectedSha = MessageDigest.getInstance("SHA-256").digest(data);
    }

    @AfterEach
    void close() {
        runtime.close();
    }

    private static byte[] sha256(InputStream in, int bufferSize) throws IOException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (DigestInputStream d = new DigestInputStream(in, md)) {
            byte[] buf = new byte[bufferSize];
            while (d.read(buf) != -1) {
                // the digest sees every byte
            }
        }
        return md.digest();
    }

    @Test
    void theStreamIsByteIdenticalToTheFile() throws Exception {
        Curl.Transfer in = Curl.open(runtime, file.toUri().toString());
        assertArrayEquals(expectedSha, sha256(in, 8192));
        assertEquals(Curl.CURLE_OK, in.pull().result().getAsLong());
        assertFalse(in.pull().stoppedEarly());
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void oddReadSizesAndTransferToGiveTheSameBytes() throws Exception {
        assertArrayEquals(expectedSha, sha256(Curl.open(runtime, file.toUri().toString()), 1000));
        Path copy = dir.resolve("copy.bin");
        try (InputStream in = Curl.open(runtime, file.toUri().toString());
             OutputStream out = Files.newOutputStream(copy)) {
            assertEquals(SIZE, in.transferTo(out));
        }
        assertEquals(-1L, Files.mismatch(file, copy));
    }

    @Test
    void closingEarlyAbortsWithAWriteErrorThatIsExpected() throws Exception {
        Curl.Transfer in = Curl.open(runtime, file.toUri().toString());
        byte[] head = in.readNBytes(100_000);
        assertArrayEquals(java.util.Arrays.copyOf(Files.readAllBytes(file), 100_000), head);
        in.close();
        assertTrue(in.pull().stoppedEarly());
        assertEquals(Curl.CURLE_WRITE_ERROR, in.pull().result().getAsLong(), "curl aborted on the short count");
        assertEquals(FiberState.DONE, in.pull().fiber().state());
        assertThrows(IOException.class, in::read);
        in.close();
    }

    @Test
    void aMissingFileSurfacesTheCurlCode() throws IOException {
        try (Curl.Transfer in = Curl.open(runtime, dir.resolve("absent.bin").toUri().toString())) {
            NativeCallException e = assertThrows(NativeCallException.class, in::read);
            assertEquals(Curl.CURLE_FILE_COULDNT_READ_FILE, e.code());
            assertTrue(e.getMessage().contains("curl_easy_perform returned 37"), e.getMessage());
        }
    }
}
