package io.dirkdb.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Reads durable log records in LSN order from a starting LSN while appends go on (what a
 * secondary pulls). {@link #hasNext()} is false once the reader has caught up with
 * {@link Storage#durableLsn()} and true again when more records are durable, so a replication
 * loop polls it. Read errors surface as {@link UncheckedIOException}: its cause is a
 * {@link LogNotRetainedException} when a checkpoint deleted the segment the reader needed next,
 * a {@link CorruptLogException} for a damaged record, and the reader is unusable after a
 * {@link Storage#truncateAfter} or {@link Storage#installSnapshot} (IllegalStateException).
 */
public final class LogReader implements Iterator<LogRecord>, AutoCloseable {
    private final Storage storage;
    private final long generation;
    private long nextLsn;
    private SegmentReader segment;
    private LogRecord next;

    LogReader(Storage storage, long fromLsn) throws IOException {
        this.storage = storage;
        this.generation = storage.logGeneration();
        if (fromLsn < 1 || fromLsn > storage.lastLsn() + 1) {
            throw new IllegalArgumentException("cannot read the log from LSN " + fromLsn + ": it holds LSNs up to "
                    + storage.lastLsn());
        }
        this.nextLsn = fromLsn;
        Map.Entry<Long, Path> holder = storage.segmentHolding(fromLsn);
        if (holder == null) {
            throw notRetained(fromLsn);
        }
        this.segment = openSegment(holder.getKey(), holder.getValue(), fromLsn);
    }

    private LogNotRetainedException notRetained(long lsn) {
        long oldest = storage.oldestRetainedLsn();
        return new LogNotRetainedException("the log no longer holds LSN " + lsn + " (oldest kept: LSN " + oldest
                + "); a resync from the latest snapshot is needed", lsn, oldest);
    }

    private SegmentReader openSegment(long firstLsn, Path file, long lsn) throws IOException {
        try {
            return SegmentReader.open(file, firstLsn);
        } catch (NoSuchFileException e) {
            throw notRetained(lsn);
        } catch (SegmentReader.BadFrameException e) {
            throw new CorruptLogException("log segment " + file + " is damaged: " + e.getMessage());
        }
    }

    /** The LSN the next record will have. */
    public long nextLsn() {
        return nextLsn;
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        checkLogUnchanged();
        if (segment == null || nextLsn > storage.durableLsn()) {
            return false;
        }
        LogRecord record;
        try {
            record = read();
        } catch (IOException e) {
            checkLogUnchanged();
            throw new UncheckedIOException(e);
        }
        // A cut or replacement during the read may have handed us a record of the old history.
        checkLogUnchanged();
        next = record;
        return true;
    }

    private void checkLogUnchanged() {
        if (storage.logGeneration() != generation) {
            throw new IllegalStateException("the log was cut back or replaced after this reader was opened; open a new one");
        }
    }

    @Override
    public LogRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no durable record at LSN " + nextLsn + " yet");
        }
        LogRecord record = next;
        next = null;
        return record;
    }

    private LogRecord read() throws IOException {
        while (true) {
            LogRecord record;
            try {
                record = segment.next();
            } catch (SegmentReader.BadFrameException e) {
                throw new CorruptLogException("log segment " + segment.file() + " is damaged at offset " + e.offset
                        + " (" + e.getMessage() + ")");
            }
            if (record == null) {
                // End of this segment: the record is durable, so it is at the start of the next one.
                Path following = storage.segmentStartingAt(nextLsn);
                if (following == null) {
                    throw notRetained(nextLsn);
                }
                segment.close();
                segment = null;
                segment = openSegment(nextLsn, following, nextLsn);
                continue;
            }
            if (record.lsn() < nextLsn) {
                continue;
            }
            if (record.lsn() != nextLsn) {
                throw new CorruptLogException("log segment " + segment.file() + " holds LSN " + record.lsn()
                        + " where LSN " + nextLsn + " belongs");
            }
            nextLsn++;
            return record;
        }
    }

    @Override
    public void close() throws IOException {
        if (segment != null) {
            segment.close();
            segment = null;
        }
    }
}
