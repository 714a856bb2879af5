package io.dirkdb.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * {@code archiver-lease.json}: which archiver stores the log in this repository. Two archivers of one repository
 * would both store chunks of the same records, cut at different points, so one holds the lease and the other waits.
 *
 * <p>The holder writes the lease again every third of its time to live (a higher {@code renewal} each time, from a
 * thread of its own) and stores nothing once its last write is older than that time. Another archiver takes the
 * lease over only once it has seen it unchanged for the holder's {@code ttlMillis} by its own clock, so the
 * archivers' clocks need not agree; a holder that stops cleanly deletes it, and the next one takes it at its next
 * look. A repository offers no compare-and-set (S3 and a directory alike): after writing the lease an archiver
 * reads it back after a pause (on taking it, and on renewing one that had run out), and of two that wrote at
 * once the later write wins. One whose write landed after the other's read-back is found at the next renewal,
 * after which it stores nothing more: in such races two archivers may store chunks of the same records for up to
 * a third of a lease (a restore takes each record once). Base backups the archiver takes are not held back.
 */
public final class ArchiverLease {
    /** The lease object, at the top of the repository. */
    public static final String NAME = "archiver-lease.json";
    private static final String UNREADABLE = "unreadable:";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The lease as stored. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Held(String holder, String host, long renewal, long ttlMillis) {}

    /** The lease is another archiver's: this one stops archiving. */
    public static final class Lost extends BackupException {
        Lost(String message) {
            super(message);
        }
    }

    private final Repository repository;
    private final Duration ttl;
    private final String holder;
    private final String host;
    private final LongSupplier nanos;
    private long renewal;
    // Written under this object's lock (which the repository I/O runs under); read without it, so a metrics scrape
    // or the archiving thread never waits for a renewal's I/O.
    private volatile boolean held;
    private volatile long heldUntilNanos; // held only until then unless renewed: a standby may take over after it
    private Held seen; // the other holder's lease as last read, and when it last changed
    private long seenChangedNanos;

    public ArchiverLease(Repository repository, Duration ttl) {
        this(repository, ttl, System::nanoTime);
    }

    ArchiverLease(Repository repository, Duration ttl, LongSupplier nanos) {
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("the archiver lease must last at least 1 ms");
        }
        this.repository = repository;
        this.ttl = ttl;
        this.nanos = nanos;
        this.holder = UUID.randomUUID().toString();
        this.host = hostName();
    }

    private static String hostName() {
        String name = System.getenv("HOSTNAME"); // a pod's name; no lookup needed
        if (name != null && !name.isBlank()) {
            return name;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    /** Whether this archiver took the lease and has not found it lost since (its time to live may have run out). */
    boolean taken() {
        return held;
    }

    Duration ttl() {
        return ttl;
    }

    /** How often the holder writes the lease again: a third of its time to live. */
    public Duration renewInterval() {
        return ttl.dividedBy(3);
    }

    /**
     * Whether this archiver holds the lease now: it took it, and its last write of the lease is younger than the
     * time to live (a standby counts that time from when it saw the write, which is no earlier than its start).
     */
    public boolean held() {
        return held && nanos.getAsLong() - heldUntilNanos < 0;
    }

    /**
     * Takes the lease if it is free (absent, this archiver's, or unchanged for its time to live), and says who
     * holds it otherwise.
     *
     * @return null when this archiver holds the lease now, else why it waits
     */
    public synchronized String tryAcquire() throws IOException {
        Held current = read();
        if (current != null && !current.holder().equals(holder)) {
            long now = nanos.getAsLong();
            if (seen == null || !seen.equals(current)) {
                seen = current;
                seenChangedNanos = now;
            }
            long unchanged = now - seenChangedNanos;
            if (unchanged < Duration.ofMillis(current.ttlMillis()).toNanos()) {
                held = false;
                return "the repository's archiver lease is held by another archiver (on " + current.host()
                        + "); this one takes over if that lease goes " + current.ttlMillis() + " ms without renewal";
            }
        }
        long writing = nanos.getAsLong();
        write();
        // Of two archivers that wrote at once, the later write stands: read back once both have landed.
        pause(readBackMillis());
        Held after = read();
        if (after == null || !after.holder().equals(holder)) {
            held = false;
            seen = after;
            seenChangedNanos = nanos.getAsLong();
            return "another archiver (on " + (after == null ? "an unknown host" : after.host())
                    + ") took the repository's archiver lease at the same time";
        }
        held = true;
        heldUntilNanos = writing + ttl.toNanos();
        seen = null;
        return null;
    }

    /**
     * Writes the lease again, unless another archiver holds it now.
     *
     * @throws Lost when another archiver holds it: this one must stop storing
     */
    public synchronized void renew() throws IOException {
        long writing = nanos.getAsLong();
        boolean lapsed = writing - heldUntilNanos >= 0; // a standby may have taken it meanwhile
        Held current = read();
        if (current != null && current.holder().startsWith(UNREADABLE)) {
            throw new IOException("the repository's archiver lease could not be read (not an archiver's lease)");
        }
        if (current == null || !current.holder().equals(holder)) {
            held = false;
            throw new Lost("another archiver (on " + (current == null ? "no host: the lease was deleted" : current.host())
                    + ") holds the repository's archiver lease now; this one stops archiving until it is free");
        }
        write();
        if (lapsed) {
            // Its write may have landed over a standby's takeover: read back, as when taking it.
            pause(readBackMillis());
            Held after = read();
            if (after == null || !after.holder().equals(holder)) {
                held = false;
                throw new Lost("another archiver (on " + (after == null ? "an unknown host" : after.host())
                        + ") took the repository's archiver lease while this one's had run out; this one stops "
                        + "archiving until it is free");
            }
        }
        heldUntilNanos = writing + ttl.toNanos();
    }

    private long readBackMillis() {
        return Math.min(1_000, Math.max(Math.min(500, ttl.toMillis() / 2), ttl.toMillis() / 10));
    }

    /** Deletes the lease if this archiver holds it, so the next archiver takes it at once. */
    public synchronized void release() {
        try {
            Held current = read();
            if (current != null && current.holder().equals(holder)) {
                repository.delete(NAME);
            }
        } catch (IOException e) {
            // It runs out on its own.
        }
        held = false;
    }

    private void write() throws IOException {
        renewal++;
        repository.put(NAME, JSON.writeValueAsBytes(new Held(holder, host, renewal, ttl.toMillis())));
    }

    private Held read() throws IOException {
        byte[] bytes;
        try (InputStream in = repository.get(NAME)) {
            bytes = in.readAllBytes();
        } catch (NoSuchFileException e) {
            return null; // free
        }
        try {
            Held lease = JSON.readValue(bytes, Held.class);
            if (lease.holder() != null) {
                return lease;
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            // below
        }
        // Not an archiver's lease (or a read cut short): held by nobody known, as long as it stays the same for a
        // lease's time; a holder takes a read like this for a failed read, not for a lost lease.
        return new Held(UNREADABLE + java.util.Arrays.hashCode(bytes), "an unknown host", 0, ttl.toMillis());
    }

    private static void pause(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while taking the archiver lease");
        }
    }
}
