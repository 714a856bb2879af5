package io.dirkdb.sql;

/** What a statement does, as the server, the proxy and the cache need to know it. */
public enum StatementKind {
    /** Reads data only: alaivo, asehoy. */
    READ,
    /** Changes rows: manampia, havaozy, fafao. */
    WRITE,
    /** Changes the catalog: manamboara, ravao. */
    SCHEMA,
    /** Changes the session's current database: ampiasao. */
    USE,
    /** A member-control request (heartbeat, authentication, roles), never a client query. */
    CONTROL;

    /** True for statements that must go to the primary and into the log. */
    public boolean changesData() {
        return this == WRITE || this == SCHEMA;
    }
}
