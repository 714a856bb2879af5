package io.dirkdb.engine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where the engine makes its changes durable: the write-ahead log and snapshots of
 * {@link io.dirkdb.storage.Storage}, or nothing for an in-memory engine.
 */
interface Journal extends AutoCloseable {

    /** Writes the full state to a snapshot stream. */
    @FunctionalInterface
    interface SnapshotWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Appends one record and returns its LSN; called under the engine's write lock, in apply order. */
    long append(long epoch, byte[] payload) throws IOException;

    /** Appends a record received from the primary, keeping its LSN and epoch (the next LSN expected). */
    void appendReplicated(io.dirkdb.storage.LogRecord record) throws IOException;

    /** Blocks until the record {@code lsn} is on disk; called after the write lock is released. */
    void awaitDurable(long lsn) throws IOException;

    long lastLsn();

    /** The epoch of the last record (or of the snapshot when no record follows it); 0 when empty. */
    long lastEpoch();

    /** Records a snapshot matching {@code lsn}; called under the engine's read lock. */
    void checkpoint(long lsn, long epoch, SnapshotWriter writer) throws IOException;

    /**
     * Replaces state and log by a snapshot shipped from another member; the journal makes the
     * engine's state machine read it. Called under the engine's write lock.
     */
    void installSnapshot(java.io.InputStream shipped) throws IOException;

    /**
     * Cuts the log back so {@code lsn} is its last record and rebuilds the state machine from the
     * latest snapshot and the log left. Called under the engine's write lock.
     */
    void truncateAfter(long lsn) throws IOException;

    /** True when it is worth taking a checkpoint now. */
    boolean wantsCheckpoint(long recordsSinceCheckpoint, long bytesSinceCheckpoint);

    @Override
    void close() throws IOException;

    /** No files: LSNs are counted, nothing is written. */
    final class InMemory implements Journal {
        private long lastLsn;

        @Override
        public long append(long epoch, byte[] payload) {
            return ++lastLsn;
        }

        @Override
        public void appendReplicated(io.dirkdb.storage.LogRecord record) {
            lastLsn = record.lsn();
        }

        @Override
        public void awaitDurable(long lsn) {}

        @Override
        public long lastLsn() {
            return lastLsn;
        }

        @Override
        public long lastEpoch() {
            return 0;
        }

        @Override
        public void checkpoint(long lsn, long epoch, SnapshotWriter writer) {}

        @Override
        public void installSnapshot(java.io.InputStream shipped) {
            throw new UnsupportedOperationException("an in-memory engine has no snapshots to install");
        }

        @Override
        public void truncateAfter(long lsn) {
            throw new UnsupportedOperationException("an in-memory engine keeps no log to cut back");
        }

        @Override
        public boolean wantsCheckpoint(long records, long bytes) {
            return false;
        }

        @Override
        public void close() {}
    }
}
