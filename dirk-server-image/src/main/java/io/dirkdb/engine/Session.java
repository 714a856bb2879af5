package io.dirkdb.engine;

/** What the engine remembers about one client connection: its current database. */
public final class Session {
    private volatile String currentDatabase;
    private volatile long lastWriteLsn;
    private volatile long lastReadLsn;

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

    /** The LSN of the state this session's last read saw: its rows hold every write up to it. */
    public long lastReadLsn() {
        return lastReadLsn;
    }

    void recordRead(long lsn) {
        this.lastReadLsn = lsn;
    }
}
