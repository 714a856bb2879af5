package io.dirkdb.engine;

import io.dirkdb.storage.LogRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A journal that keeps every record and the last snapshot in memory, and can be told to fail. */
final class RecordingJournal implements Journal {
    final List<LogRecord> records = new ArrayList<>();
    volatile byte[] snapshot;
    volatile long snapshotLsn;
    /** Asks for a checkpoint once this many records were logged since the last one; 0 never. */
    volatile long checkpointEveryRecords;
    volatile IOException failure;

    @Override
    public synchronized long append(long epoch, byte[] payload) throws IOException {
        if (failure != null) {
            throw failure;
        }
        long lsn = records.size() + 1;
        records.add(new LogRecord(lsn, epoch, payload));
        return lsn;
    }

    @Override
    public synchronized void appendReplicated(LogRecord record) throws IOException {
        if (record.lsn() != records.size() + 1) {
            throw new IOException("expected LSN " + (records.size() + 1) + " but got " + record.lsn());
        }
        records.add(record);
    }

    /** While held, records past {@link #durableLsn} are not durable: {@link #awaitDurable} waits for a release. */
    private boolean fsyncHeld;
    volatile long durableLsn;
    volatile int waitingForFsync;

    synchronized void holdFsync() {
        fsyncHeld = true;
    }

    synchronized void releaseFsync() {
        fsyncHeld = false;
        notifyAll();
    }

    @Override
    public synchronized void awaitDurable(long lsn) {
        waitingForFsync++;
        try {
            while (fsyncHeld && lsn > durableLsn) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            waitingForFsync--;
        }
        durableLsn = Math.max(durableLsn, Math.min(lsn, records.size()));
    }

    @Override
    public synchronized long lastLsn() {
        return records.size();
    }

    @Override
    public synchronized long lastEpoch() {
        return records.isEmpty() ? 0 : records.get(records.size() - 1).epoch();
    }

    @Override
    public synchronized void checkpoint(long lsn, long epoch, SnapshotWriter writer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out);
        snapshot = out.toByteArray();
        snapshotLsn = lsn;
    }

    @Override
    public void installSnapshot(java.io.InputStream shipped) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void truncateAfter(long lsn) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean wantsCheckpoint(long records, long bytes) {
        return checkpointEveryRecords > 0 && records >= checkpointEveryRecords;
    }

    @Override
    public void close() {}
}
