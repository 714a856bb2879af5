package io.dirkdb.storage;

import java.io.IOException;

/**
 * The log no longer holds the records asked for: they were folded into a snapshot and their
 * segments deleted. A secondary that gets this must be rebuilt from the latest snapshot (resync).
 */
public final class LogNotRetainedException extends IOException {
    private final long requestedLsn;
    private final long oldestRetainedLsn;

    public LogNotRetainedException(String message, long requestedLsn, long oldestRetainedLsn) {
        super(message);
        this.requestedLsn = requestedLsn;
        this.oldestRetainedLsn = oldestRetainedLsn;
    }

    public long requestedLsn() {
        return requestedLsn;
    }

    /** The first LSN that can still be read from the log (or cut back to). */
    public long oldestRetainedLsn() {
        return oldestRetainedLsn;
    }
}
