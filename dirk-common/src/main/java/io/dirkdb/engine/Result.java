package io.dirkdb.engine;

import java.util.List;

/** The outcome of one statement: a relation (rows) or a one-line message. */
public sealed interface Result permits Result.Relation, Result.Message {

    /** A column of a relation: its name and the table or alias it came from (may be empty). */
    record Column(String name, String origin) {}

    /**
     * Rows of a query. Values are {@code null}, {@link Long}, {@link Double}, {@link String}
     * or {@link java.time.LocalDate}.
     */
    record Relation(String name, List<Column> columns, List<List<Object>> rows) implements Result {}

    /** A statement without rows answered by one line of text. */
    record Message(String text) implements Result {}
}
