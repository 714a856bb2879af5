package io.dirkdb.engine;

/** What the engine remembers about one client connection: its current database. */
public final class Session {
    private volatile String currentDatabase;

    /** The database chosen by {@code ampiasao}, or null when none is chosen (or it was dropped). */
    public String currentDatabase() {
        return currentDatabase;
    }

    public void useDatabase(String name) {
        this.currentDatabase = name;
    }
}
