package io.dirkdb.sql;

import java.util.List;
import java.util.Set;

/** Every data, schema and session statement of the language (everything except {@code dirk ...}). */
public sealed interface SqlStatement extends Statement
        permits Query, SqlStatement.CreateDatabase, SqlStatement.CreateTable, SqlStatement.CreateDomain,
        SqlStatement.CreateView, SqlStatement.Drop, SqlStatement.Show, SqlStatement.Use, SqlStatement.Insert,
        SqlStatement.Update, SqlStatement.Delete {

    /** The four kinds of catalog objects, with their Malagasy names. */
    enum ObjectKind {
        DATABASE("tahiry"), TABLE("tabilao"), DOMAIN("efitra"), VIEW("jery");

        public final String word;

        ObjectKind(String word) {
            this.word = word;
        }
    }

    /** {@code manamboara tahiry D}. */
    record CreateDatabase(String name) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.SCHEMA; }
        @Override public Set<String> readTables() { return Set.of(); }
        @Override public Set<String> writtenTables() { return Set.of(name); }
    }

    record ColumnDefinition(String name, TypeSpec type) {}

    /** {@code manamboara tabilao T (col type, ...)}. */
    record CreateTable(String name, List<ColumnDefinition> columns) implements SqlStatement {
        public CreateTable {
            columns = List.copyOf(columns);
        }

        @Override public StatementKind kind() { return StatementKind.SCHEMA; }
        @Override public Set<String> readTables() { return Set.of(); }
        @Override public Set<String> writtenTables() { return Set.of(name); }
    }

    /** {@code manamboara efitra N (type)}. */
    record CreateDomain(String name, TypeSpec type) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.SCHEMA; }
        @Override public Set<String> readTables() { return Set.of(); }
        @Override public Set<String> writtenTables() { return Set.of(name); }
    }

    /** {@code manamboara jery V @ select}; {@code queryText} is the select as written, kept in the catalog. */
    record CreateView(String name, Query query, String queryText) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.SCHEMA; }
        @Override public Set<String> readTables() { return query.readTables(); }
        @Override public Set<String> writtenTables() { return Set.of(name); }
    }

    /** {@code ravao ny tahiry/tabilao/efitra/jery X}. */
    record Drop(ObjectKind objectKind, String name) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.SCHEMA; }
        @Override public Set<String> readTables() { return Set.of(); }
        @Override public Set<String> writtenTables() { return Set.of(name); }
    }

    /** {@code asehoy ny tahiry/tabilao/efitra/jery}: a one-column relation {@code fanasehoana}. */
    record Show(ObjectKind objectKind) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.READ; }
        @Override public Set<String> readTables() { return Set.of(); }
        @Override public Set<String> writtenTables() { return Set.of(); }
    }

    /** {@code ampiasao D}. */
    record Use(String database) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.USE; }
        @Override public Set<String> readTables() { return Set.of(); }
        @Override public Set<String> writtenTables() { return Set.of(); }
    }

    /**
     * {@code manampia ao@ T (cols) sanda (...), ...} or {@code manampia ao@ T (cols) alaivo ...}.
     * An empty column list means every column in order. Exactly one of {@code rows} (non-empty)
     * and {@code source} (non-null) is given.
     */
    record Insert(String table, List<String> columns, List<List<Expression>> rows, Query source)
            implements SqlStatement {
        public Insert {
            columns = List.copyOf(columns);
            rows = rows.stream().map(List::copyOf).toList();
        }

        @Override public StatementKind kind() { return StatementKind.WRITE; }
        @Override public Set<String> readTables() { return source == null ? Set.of() : source.readTables(); }
        @Override public Set<String> writtenTables() { return Set.of(table); }
    }

    record Assignment(String column, Expression value) {}

    /** {@code havaozy T ova c = expr, ... [#rehefa cond]}; {@code where} null when absent. */
    record Update(String table, List<Assignment> assignments, Expression where) implements SqlStatement {
        public Update {
            assignments = List.copyOf(assignments);
        }

        @Override public StatementKind kind() { return StatementKind.WRITE; }
        @Override public Set<String> readTables() { return Set.of(table); }
        @Override public Set<String> writtenTables() { return Set.of(table); }
    }

    /** {@code fafao ao@ T [#rehefa cond]}; {@code where} null when absent. */
    record Delete(String table, Expression where) implements SqlStatement {
        @Override public StatementKind kind() { return StatementKind.WRITE; }
        @Override public Set<String> readTables() { return Set.of(table); }
        @Override public Set<String> writtenTables() { return Set.of(table); }
    }

}
