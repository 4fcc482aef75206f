package org.fiberswitch.examples;

import java.util.List;

/**
 * One result row, copied out of SQLite's buffers (they are only valid during the callback).
 *
 * @param columns column names
 * @param values  column values as text; {@code null} for SQL NULL
 */
public record Row(List<String> columns, List<String> values) {
    public Row {
        columns = List.copyOf(columns);
        values = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values)); // may hold nulls
    }

    /** The value of {@code column}. @throws IllegalArgumentException if there is no such column */
    public String get(String column) {
        int i = columns.indexOf(column);
        if (i < 0) {
            throw new IllegalArgumentException("no column '" + column + "' in " + columns);
        }
        return values.get(i);
    }
}
