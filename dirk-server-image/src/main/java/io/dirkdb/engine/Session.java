package io.dirkdb.engine;

/** What the engine remembers about one client connection: its current database. */
public final class Session {
    private volatile String currentDatabase;
    private volatile long lastWriteLsn;

    /** The database chosen by {@code ampiasao}, or null when none is chosen (or it was dropped). */
    public String currentDatabase() {
        return currentDatabase;
    }

    public void useDatabase(String name) {
        this.currentDatabase = name;
    }

    /** The LSN of the last record this session's statements wrote (0 when none): what replication waits for. */
    public long lastWriteLsn() {
        return lastWriteLsn;
    }

    void recordWrite(long lsn) {
        this.lastWriteLsn = lsn;
    }
}
