package io.dirkdb.sql;

import java.util.Set;

/** A parsed statement: the root of every syntax tree the parser returns. */
public interface Statement {

    StatementKind kind();

    /**
     * Names of the tables (or views) this statement reads, unqualified as written.
     * The cache uses it to know which entries a write makes stale.
     */
    Set<String> readTables();

    /** Names of the tables this statement changes (for SCHEMA statements: the object created or dropped). */
    Set<String> writtenTables();
}
