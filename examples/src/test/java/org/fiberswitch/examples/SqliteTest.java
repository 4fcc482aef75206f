package org.fiberswitch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.FiberState;
import org.fiberswitch.pull.NativeCallException;
import org.fiberswitch.pull.NativePull;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Recipe b: sqlite3_exec rows as a Stream, checked against prepare/step through JNA. */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"},
        disabledReason = "these tests drive the Linux x86-64 provider and Linux system libraries")
class SqliteTest {
    private static final int ROWS = 2000;
    private static final String QUERY = "SELECT id, name, score, note FROM t ORDER BY score DESC, id";

    private FiberRuntime runtime;
    private Sqlite db;

    @BeforeEach
    void open() {
        runtime = FiberRuntime.open();
        db = Sqlite.openInMemory();
        assertEquals(Sqlite.SQLITE_OK, db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT)"));
        StringBuilder insert = new StringBuilder("BEGIN;");
        for (int i = 1; i <= ROWS; i++) {
            // Every 7th note is NULL; names carry non-ASCII text to check the UTF-8 round trip.
            insert.append("INSERT INTO t VALUES(").append(i).append(", 'n\u00e4me-").append(i).append("', ")
                    .append((i * 37) % 101).append(".5, ").append(i % 7 == 0 ? "NULL" : "'note " + i + "'").append(");");
        }
        insert.append("COMMIT;");
        assertEquals(Sqlite.SQLITE_OK, db.execute(insert.toString()));
    }

    @AfterEach
    void close() {
        db.close(); // throws SQLITE_BUSY if any statement were left running
        runtime.close();
    }

    @Test
    void streamedRowsEqualPrepareStep() {
        List<Row> expected = db.query(QUERY);
        assertEquals(ROWS, expected.size());
        List<Row> streamed;
        try (Stream<Row> rows = db.rows(runtime, QUERY).stream()) {
            streamed = rows.toList();
        }
        assertEquals(expected, streamed);
        assertEquals(List.of("id", "name", "score", "note"), streamed.get(0).columns());
        assertNull(streamed.stream().filter(r -> r.get("id").equals("7")).findFirst().orElseThrow().get("note"));
        assertEquals(0, runtime.liveFibers());
    }

    @Test
    void closingEarlyAbortsTheStatementAndSqliteAbortIsNotAnError() {
        NativePull<Row> pull = db.rows(runtime, QUERY);
        List<Row> top;
        try (Stream<Row> rows = pull.stream()) {
            top = rows.limit(5).toList();
        }
        assertEquals(db.query(QUERY).subList(0, 5), top);
        assertTrue(pull.stoppedEarly());
        assertEquals(Sqlite.SQLITE_ABORT, pull.result().getAsLong(), "sqlite3_exec returned SQLITE_ABORT");
        assertEquals(FiberState.DONE, pull.fiber().state());
        // The statement is finalized: the table can be dropped (a running SELECT would lock it).
        assertEquals(Sqlite.SQLITE_OK, db.execute("DROP TABLE t"));
    }

    @Test
    void aSuspendedExecHoldsTheTableUntilTheStop() {
        Row first = db.query(QUERY).get(0);
        NativePull<Row> pull = db.rows(runtime, QUERY);
        assertEquals(first, pull.next()); // exec now waits inside its row callback
        assertEquals(Sqlite.SQLITE_LOCKED, db.execute("DROP TABLE t"), "a SELECT in progress locks the table");
        pull.close();
        assertEquals(Sqlite.SQLITE_OK, db.execute("DROP TABLE t"), "after the abort nothing holds it");
    }

    @Test
    void anSqlErrorSurfacesWithItsCode() {
        NativePull<Row> pull = db.rows(runtime, "SELECT nope FROM t");
        NativeCallException e = assertThrows(NativeCallException.class, pull::hasNext);
        assertEquals(1, e.code(), "SQLITE_ERROR");
        assertFalse(e.afterEarlyStop());
        assertTrue(e.getMessage().contains("sqlite3_exec returned 1 (SQL logic error)"), e.getMessage());
    }

    @Test
    void aThrowingConsumerStillEndsTheStatement() {
        RuntimeException boom = new RuntimeException("consumer failed");
        NativePull<Row> pull = db.rows(runtime, QUERY);
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> {
            try (Stream<Row> rows = pull.stream()) {
                rows.forEach(r -> {
                    if (r.get("id").equals("42")) {
                        throw boom;
                    }
                });
            }
        });
        assertSame(boom, thrown);
        assertEquals(Sqlite.SQLITE_ABORT, pull.result().getAsLong());
        assertEquals(Sqlite.SQLITE_OK, db.execute("DROP TABLE t"));
    }

    @Test
    void readingAfterCloseIsMisuse() {
        NativePull<Row> pull = db.rows(runtime, QUERY);
        pull.next();
        pull.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, pull::next);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }
}
