package org.fiberswitch.examples;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import org.fiberswitch.CallbackEvent;
import org.fiberswitch.CallbackStub;
import org.fiberswitch.FiberRuntime;
import org.fiberswitch.pull.CallbackMapper;
import org.fiberswitch.pull.EarlyStop;
import org.fiberswitch.pull.NativePull;
import org.fiberswitch.pull.Step;

/**
 * Recipe: SQLite's push API {@code sqlite3_exec} as a pull {@code Stream<Row>}.
 *
 * <p>{@code int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *ud, int ncols, char **values,
 * char **names), void *ud, char **errmsg)} calls {@code cb} once per row; a non-zero return makes it
 * stop and return {@code SQLITE_ABORT} (4). So the callback's user data sits at integer position 0,
 * and the early-stop policy is "reply 1, expect 4":
 *
 * <pre>{@code
 * try (Sqlite db = Sqlite.openInMemory();
 *      Stream<Row> rows = db.rows(runtime, "SELECT id, name FROM t ORDER BY id").stream()) {
 *     rows.limit(3).forEach(System.out::println);
 * }   // the stream's close replies 1 to the pending row: sqlite3_exec returns SQLITE_ABORT, not an error
 * }</pre>
 *
 * <p>{@link #query(String)} runs the same SQL the usual pull way, with
 * {@code sqlite3_prepare_v2/step/column_text} called directly through JNA; the tests compare both.
 */
public final class Sqlite implements AutoCloseable {
    public static final int SQLITE_OK = 0;
    public static final int SQLITE_ABORT = 4;
    public static final int SQLITE_LOCKED = 6;
    static final int SQLITE_ROW = 100;
    static final int SQLITE_DONE = 101;

    private static final NativeLibrary LIB = NativeLibs.load("libsqlite3.so.0", "sqlite3");
    private static final long EXEC = NativeLibs.address(LIB, "sqlite3_exec");

    private Pointer db;

    private Sqlite(Pointer db) {
        this.db = db;
    }

    /** Opens a private in-memory database. */
    public static Sqlite openInMemory() {
        try (Memory out = new Memory(8)) {
            out.setPointer(0, null);
            int rc = fn("sqlite3_open").invokeInt(new Object[] {":memory:", out});
            Pointer db = out.getPointer(0);
            if (rc != SQLITE_OK) {
                fn("sqlite3_close").invokeInt(new Object[] {db});
                throw new IllegalStateException("sqlite3_open(:memory:) returned " + rc + " (" + errstr(rc) + ")");
            }
            return new Sqlite(db);
        }
    }

    /** Runs SQL that returns no rows (CREATE, INSERT, DROP) with plain {@code sqlite3_exec}; returns its code. */
    public int execute(String sql) {
        return fn("sqlite3_exec").invokeInt(new Object[] {handle(), sql, null, null, null});
    }

    /**
     * The rows of {@code sql}, produced lazily by {@code sqlite3_exec} on a fiber. Closing early
     * aborts the statement (reply 1), so {@code sqlite3_exec} returns {@code SQLITE_ABORT}, which is
     * expected after a stop; any other non-zero code is a {@link org.fiberswitch.pull.NativeCallException}.
     */
    public NativePull<Row> rows(FiberRuntime runtime, String sql) {
        CallbackStub rowStub = runtime.callbackStub(0); // cb(void *ud, ...): user data first
        RowMapper mapper = new RowMapper(sql);
        long sqlText = Pointer.nativeValue(mapper.sql);
        long database = Pointer.nativeValue(handle());
        return NativePull.calling(runtime, EXEC,
                        self -> new long[] {database, sqlText, rowStub.address(), self, 0L}, mapper)
                .name("sqlite3_exec")
                .intResult()
                .succeedsWhen(rc -> rc == SQLITE_OK)
                .earlyStop(EarlyStop.abortWith(1, rc -> rc == SQLITE_ABORT))
                .describeErrors(rc -> errstr((int) rc))
                .build();
    }

    /** Turns one callback into a {@link Row}; holds the SQL text so it lives as long as the call. */
    private static final class RowMapper implements CallbackMapper<Row> {
        final Memory sql;

        RowMapper(String sql) {
            byte[] utf8 = sql.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            this.sql = new Memory(utf8.length + 1L);
            this.sql.write(0, utf8, 0, utf8.length);
            this.sql.setByte(utf8.length, (byte) 0);
        }

        @Override
        public Step<Row> map(CallbackEvent cb) {
            int n = cb.intArg(1);
            Pointer values = new Pointer(cb.longArg(2));
            Pointer names = new Pointer(cb.longArg(3));
            List<String> cols = new ArrayList<>(n);
            List<String> vals = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                cols.add(names.getPointer(8L * i).getString(0, "UTF-8"));
                Pointer v = values.getPointer(8L * i);
                vals.add(v == null ? null : v.getString(0, "UTF-8"));
            }
            return Step.emit(new Row(cols, vals), 0); // 0: go on with the next row
        }
    }

    /** The same query the classic way: prepare, step, column_text, finalize, all through JNA. */
    public List<Row> query(String sql) {
        List<Row> out = new ArrayList<>();
        try (Memory stmtOut = new Memory(8)) {
            int rc = fn("sqlite3_prepare_v2").invokeInt(new Object[] {handle(), sql, -1, stmtOut, null});
            if (rc != SQLITE_OK) {
                throw new IllegalStateException("sqlite3_prepare_v2 returned " + rc + " (" + errstr(rc) + ")");
            }
            Pointer stmt = stmtOut.getPointer(0);
            try {
                int n = fn("sqlite3_column_count").invokeInt(new Object[] {stmt});
                while ((rc = fn("sqlite3_step").invokeInt(new Object[] {stmt})) == SQLITE_ROW) {
                    List<String> cols = new ArrayList<>(n);
                    List<String> vals = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        cols.add(fn("sqlite3_column_name").invokePointer(new Object[] {stmt, i}).getString(0, "UTF-8"));
                        Pointer v = fn("sqlite3_column_text").invokePointer(new Object[] {stmt, i});
                        vals.add(v == null ? null : v.getString(0, "UTF-8"));
                    }
                    out.add(new Row(cols, vals));
                }
                if (rc != SQLITE_DONE) {
                    throw new IllegalStateException("sqlite3_step returned " + rc + " (" + errstr(rc) + ")");
                }
            } finally {
                fn("sqlite3_finalize").invokeInt(new Object[] {stmt});
            }
        }
        return out;
    }

    /** SQLite's English name for a result code. */
    public static String errstr(int rc) {
        return fn("sqlite3_errstr").invokeString(new Object[] {rc}, false);
    }

    private Pointer handle() {
        if (db == null) {
            throw new IllegalStateException("this database is closed");
        }
        return db;
    }

    /**
     * Closes the database.
     *
     * @throws IllegalStateException if SQLite refuses (SQLITE_BUSY: a statement is still running,
     *     for example an exec abandoned on a suspended fiber)
     */
    @Override
    public void close() {
        if (db == null) {
            return;
        }
        int rc = fn("sqlite3_close").invokeInt(new Object[] {db});
        if (rc != SQLITE_OK) {
            throw new IllegalStateException("sqlite3_close returned " + rc + " (" + errstr(rc) + ")");
        }
        db = null;
    }

    private static Function fn(String name) {
        return NativeLibs.function(LIB, name);
    }
}
