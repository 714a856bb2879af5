package io.dirkdb.proxy;

/**
 * What one client session must see: after it has written, its reads go only to members that
 * already hold that write. The LSN of the write is not in its reply, so the proxy takes the
 * primary's LSN from the first heartbeat sent after the write was acknowledged: that LSN is at
 * least the write's, and any member whose LSN has reached it holds the write.
 * Until that heartbeat arrives the session reads from the primary. Not shared between sessions.
 */
public final class ReadYourWrites {
    private long lastWriteNanos;
    private boolean hasWritten;
    private long requiredLsn = -1;

    /** Call when a write of this session has been acknowledged, with {@link System#nanoTime()} after the reply. */
    public void recordWrite(long acknowledgedAtNanos) {
        hasWritten = true;
        lastWriteNanos = acknowledgedAtNanos;
        requiredLsn = -1;
    }

    public boolean hasWritten() {
        return hasWritten;
    }

    long lastWriteNanos() {
        return lastWriteNanos;
    }

    /** The LSN a member must have reached to serve this session's reads, or -1 while not known yet. */
    long requiredLsn() {
        return requiredLsn;
    }

    void learnRequiredLsn(long lsn) {
        requiredLsn = lsn;
    }
}
