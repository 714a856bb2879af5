package io.dirkdb.engine;

import io.dirkdb.storage.LogRecord;
import io.dirkdb.storage.Storage;
import java.io.IOException;

/** The engine's journal on a data directory: {@link Storage}'s write-ahead log and snapshots. */
final class StorageJournal implements Journal {
    /** A checkpoint is taken once this many records or bytes have been logged since the last one. */
    static final long CHECKPOINT_RECORDS = 100_000;
    static final long CHECKPOINT_BYTES = 64L << 20;

    private final Storage storage;

    StorageJournal(Storage storage) {
        this.storage = storage;
    }

    Storage storage() {
        return storage;
    }

    @Override
    public long append(long epoch, byte[] payload) throws IOException {
        return storage.append(epoch, payload);
    }

    @Override
    public void appendReplicated(LogRecord record) throws IOException {
        storage.appendReplicated(record);
    }

    @Override
    public void awaitDurable(long lsn) throws IOException {
        storage.awaitDurable(lsn);
    }

    @Override
    public long lastLsn() {
        return storage.lastLsn();
    }

    @Override
    public long lastEpoch() {
        return storage.lastEpoch();
    }

    @Override
    public void checkpoint(long lsn, long epoch, SnapshotWriter writer) throws IOException {
        storage.checkpoint(lsn, epoch, writer::write);
    }

    @Override
    public void installSnapshot(java.io.InputStream shipped) throws IOException {
        storage.installSnapshot(shipped);
    }

    @Override
    public void truncateAfter(long lsn) throws IOException {
        storage.truncateAfter(lsn);
    }

    @Override
    public boolean wantsCheckpoint(long records, long bytes) {
        return records >= CHECKPOINT_RECORDS || bytes >= CHECKPOINT_BYTES;
    }

    @Override
    public void close() throws IOException {
        storage.close();
    }
}
