package io.dirkdb.backup;

import io.dirkdb.replication.LogSource;
import io.dirkdb.storage.LogRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code dirk archive}: streams the log from the primary (as a non-member: it confirms nothing) and stores it as
 * chunks, each within {@code flush} of its first record's arrival or once it holds {@code maxChunkBytes}. It resumes
 * from the repository after a restart, re-finds the primary after a failover and resumes there by log matching
 * (going back chunk by chunk when the new primary's log forked before the archive's end); when no archived point
 * matches, or the primary no longer has the log it needs, it takes a new base backup and carries on from its end.
 */
public final class Archiver {
    private static final System.Logger LOG = System.getLogger(Archiver.class.getName());
    private static final long FIRST_BACKOFF_MILLIS = 200;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** A keepalive may have been sent this long before it arrives: the archive is complete only up to then. */
    private static final long COMPLETENESS_MARGIN_MILLIS = 1_000;

    private final MemberAccess access;
    private final Repository repository;
    private final Duration flush;
    private final long maxChunkBytes;
    private final Path staging;
    private final ArchiverLease lease;

    private volatile boolean stopped;
    private volatile LogSource current;
    private volatile boolean archiving;
    private volatile long archivedLsn = -1;
    private volatile long archivedEpoch;
    private volatile long memberLastLsn;
    private volatile long behindSince; // 0: caught up
    private volatile long progressAt; // System.nanoTime() of its last streamed frame or base backup
    private volatile String primary = "";
    private volatile String problem = "starting";
    private Counter chunks;
    private Counter divergences;
    private Counter baseBackups;

    /** The time to live of the repository's archiver lease unless told otherwise. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(20);

    /** An archiver whose repository lease lasts {@link #DEFAULT_LEASE}. */
    public Archiver(MemberAccess access, Repository repository, Duration flush, long maxChunkBytes, MeterRegistry registry)
            throws IOException {
        this(access, repository, flush, maxChunkBytes, registry, DEFAULT_LEASE);
    }

    /**
     * @param registry where its meters go (README "dirk archive")
     * @param leaseTtl how long its repository lease lasts without renewal (another archiver takes over after it)
     */
    public Archiver(MemberAccess access, Repository repository, Duration flush, long maxChunkBytes, MeterRegistry registry,
                    Duration leaseTtl) throws IOException {
        this.access = access;
        this.repository = repository;
        this.flush = flush;
        this.maxChunkBytes = maxChunkBytes;
        this.lease = new ArchiverLease(repository, leaseTtl);
        this.staging = Files.createTempDirectory("dirk-archive-");
        register(registry);
    }

    private void register(MeterRegistry registry) {
        Gauge.builder("dirk_archive_last_lsn", this, a -> a.archivedLsn).description("the last LSN stored in the repository")
                .register(registry);
        Gauge.builder("dirk_archive_lag_seconds", this, Archiver::lagSeconds)
                .description("how long the repository has been behind the primary's durable log end (0: caught up)")
                .register(registry);
        Gauge.builder("dirk_archive_lag_records", this, a -> Math.max(0, a.memberLastLsn - a.archivedLsn))
                .description("records durable on the primary and not yet stored").register(registry);
        Gauge.builder("dirk_archive_streaming", this, a -> a.archiving ? 1 : 0)
                .description("1 while the archiver streams from a primary").register(registry);
        chunks = Counter.builder("dirk_archive_chunks_total").description("log chunks stored").register(registry);
        divergences = Counter.builder("dirk_archive_divergences_total")
                .description("times the primary's log no longer continued the archive (a new base backup followed)")
                .register(registry);
        baseBackups = Counter.builder("dirk_archive_base_backups_total")
                .description("base backups the archiver took itself").register(registry);
        Gauge.builder("dirk_archive_lease_held", this, a -> a.lease.held() ? 1 : 0)
                .description("1 while this archiver holds the repository's archiver lease (0: it waits as a standby)")
                .register(registry);
    }

    /** Whether this archiver holds the repository's archiver lease (else it waits for it). */
    public boolean leaseHeld() {
        return lease.held();
    }

    public boolean archiving() {
        return archiving;
    }

    public long archivedLsn() {
        return archivedLsn;
    }

    /** The epoch of the last record stored (or of the point streaming resumed from). */
    public long archivedEpoch() {
        return archivedEpoch;
    }

    public String problem() {
        return problem;
    }

    public double lagSeconds() {
        long since = behindSince;
        return since == 0 ? 0 : (System.currentTimeMillis() - since) / 1000.0;
    }

    /** Archives until {@link #stop()}; while another archiver holds the repository's lease, waits for it. */
    public void run() {
        java.util.concurrent.ScheduledExecutorService renewer = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "dirk-archive-lease");
                    thread.setDaemon(true);
                    return thread;
                });
        // Renewed beside the work, so a long base backup or a blocked read never lets it lapse.
        long every = Math.max(1, lease.renewInterval().toMillis());
        renewer.scheduleAtFixedRate(this::renewLease, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            archive();
        } finally {
            renewer.shutdownNow();
            try {
                lease.release();
            } finally {
                BaseBackup.deleteTree(staging);
            }
        }
    }

    private void renewLease() {
        if (!lease.taken()) {
            return;
        }
        try {
            lease.renew();
        } catch (ArchiverLease.Lost lost) {
            LOG.log(Level.WARNING, "archive: {0}", lost.getMessage());
            LogSource source = current;
            if (source != null) {
                source.close(); // the stream ends; what it received is not stored (the holder stores it)
            }
        } catch (IOException | RuntimeException e) {
            // Held until its time to live runs out; then the archiver stops storing (Archiver.stream checks).
            LOG.log(Level.WARNING, "archive: could not renew the repository''s archiver lease: {0}", e.getMessage());
        }
    }

    private void archive() {
        long backoff = FIRST_BACKOFF_MILLIS;
        String waitingFor = null;
        progressAt = System.nanoTime();
        boolean sittingOut = false;
        long sitOutUntil = 0;
        while (!stopped) {
            boolean streamed = false;
            try {
                if (lease.taken() && System.nanoTime() - progressAt > 3 * lease.ttl().toNanos()) {
                    // A holder that cannot archive (members unreachable from here) leaves the repository to a standby
                    // that may: it gives the lease up and stays out of it until a standby has had a look (a third
                    // of a lease and a second), then takes it again if it is still free.
                    String idle = String.format(java.util.Locale.ROOT, "%.1f", lease.ttl().toMillis() * 3 / 1000.0);
                    LOG.log(Level.WARNING, "archive: no frame from a primary and no base backup for {0} s: giving the "
                            + "repository''s archiver lease up for another archiver", idle);
                    lease.release();
                    sittingOut = true;
                    sitOutUntil = System.nanoTime() + lease.renewInterval().plusSeconds(1).toNanos();
                    problem = "standby: gave the repository's archiver lease up after " + idle + " s without archiving ("
                            + (problem == null ? "no reason known" : problem) + ")";
                }
                if (sittingOut) {
                    if (System.nanoTime() - sitOutUntil < 0) {
                        pause(lease.renewInterval().toMillis());
                        continue;
                    }
                    sittingOut = false;
                }
                boolean hadIt = lease.taken();
                String waiting = takeOrRenewLease();
                if (waiting != null) {
                    if (!waiting.equals(waitingFor)) {
                        LOG.log(Level.INFO, "archive: standby: {0}", waiting);
                    }
                    waitingFor = waiting;
                    problem = "standby: " + waiting;
                    pause(lease.renewInterval().toMillis());
                    continue;
                }
                if (!hadIt) {
                    // Newly taken: its time without progress counts from now.
                    progressAt = System.nanoTime();
                }
                if (waitingFor != null) {
                    LOG.log(Level.INFO, "archive: took the repository''s archiver lease");
                    waitingFor = null;
                }
                if (stopped) {
                    break;
                }
                streamed = once();
            } catch (IOException | RuntimeException e) {
                if (stopped) {
                    break;
                }
                problem = e.getMessage();
                LOG.log(Level.WARNING, "archive: {0}", e.getMessage());
            } finally {
                archiving = false;
            }
            backoff = streamed ? FIRST_BACKOFF_MILLIS : Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            synchronized (this) {
                if (!stopped) {
                    try {
                        wait(backoff);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
            }
        }
    }

    /** Whether this archiver holds the lease, asked of the repository just now (for the last store of a stream). */
    private boolean stillHeld() {
        if (!lease.taken()) {
            return false;
        }
        try {
            lease.renew();
        } catch (ArchiverLease.Lost lost) {
            LOG.log(Level.WARNING, "archive: {0}", lost.getMessage());
            return false;
        } catch (IOException | RuntimeException e) {
            // Not renewed now: held while its last write is younger than its time to live.
        }
        return lease.held();
    }

    /** Null when this archiver holds the lease (held already, or taken just now), else why it waits. */
    private String takeOrRenewLease() throws IOException {
        return lease.held() ? null : lease.tryAcquire();
    }

    private void pause(long millis) {
        synchronized (this) {
            if (!stopped) {
                try {
                    wait(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopped = true;
                }
            }
        }
    }

    /** Stops: what was received and not yet stored is stored first when the stream ends. */
    public void stop() {
        stopped = true;
        synchronized (this) {
            notifyAll();
        }
        LogSource source = current;
        if (source != null) {
            source.close();
        }
    }

    private record Point(long lsn, long epoch) {}

    /** One attempt: find the primary, a point to resume from, and stream. True if it streamed. */
    private boolean once() throws IOException {
        List<MemberAccess.Observed> observed = access.observeAll();
        MemberAccess.Observed found = access.primary(observed);
        if (found == null) {
            throw new BackupException("no primary among the members: " + MemberAccess.describe(observed));
        }
        String history = found.historyId();
        if (history == null) {
            throw new BackupException("the primary " + found.endpoint() + " has no history yet");
        }
        primary = found.endpoint().toString();
        List<Point> points = resumePoints(history);
        if (points.isEmpty()) {
            LOG.log(Level.INFO, "archive: the repository holds nothing of history {0}: taking a base backup first", history);
            takeBaseBackup();
            return false;
        }
        for (Point point : points) {
            LogSource source = access.open(found.endpoint());
            current = source;
            try {
                if (stopped) {
                    return false;
                }
                LogSource.Answer answer = source.startStream(point.lsn(), point.epoch(), point.epoch(), history);
                if (!answer.refused()) {
                    LOG.log(Level.INFO, "archive: streaming from {0} after LSN {1} (epoch {2})", primary,
                            String.valueOf(point.lsn()), String.valueOf(point.epoch()));
                    stream(source, history, point, answer.reply().path("lastLsn").asLong());
                    return true;
                }
                String refusal = answer.refusal();
                String reason = answer.reply().path("reason").asText(refusal);
                if ("diverged".equals(refusal)) {
                    LOG.log(Level.INFO, "archive: {0} does not continue the archive at LSN {1} (epoch {2}): {3}; trying an "
                            + "earlier archived point", primary, String.valueOf(point.lsn()), String.valueOf(point.epoch()), reason);
                    continue;
                }
                if ("needsResync".equals(refusal)) {
                    LOG.log(Level.WARNING, "archive: {0} no longer holds the log after LSN {1} ({2}): taking a new base "
                            + "backup; the archive has a gap before it", primary, String.valueOf(point.lsn()), reason);
                    divergences.increment();
                    takeBaseBackup();
                    return false;
                }
                throw new BackupException(primary + " refused to stream (" + refusal + "): " + reason);
            } finally {
                current = null;
                source.close();
            }
        }
        LOG.log(Level.WARNING, "archive: the log of {0} continues from no archived point: taking a new base backup", primary);
        divergences.increment();
        takeBaseBackup();
        return false;
    }

    private void takeBaseBackup() throws IOException {
        Manifest manifest = new BaseBackup(access, repository).take();
        progressAt = System.nanoTime();
        baseBackups.increment();
        LOG.log(Level.INFO, "archive: base backup {0} taken (LSN {1} to {2}); archiving from its end", manifest.backupId(),
                String.valueOf(manifest.startLsn()), String.valueOf(manifest.endLsn()));
    }

    /** Where the archive may continue: the ends of its chunks and base backups, newest first. */
    private List<Point> resumePoints(String history) throws IOException {
        Catalog catalog = Catalog.read(repository);
        Set<Point> points = new LinkedHashSet<>();
        for (Layout.ChunkName chunk : catalog.chunks(history)) {
            points.add(new Point(chunk.lastLsn(), chunk.lastEpoch()));
        }
        for (Manifest backup : catalog.backups) {
            if (backup.historyId().equals(history)) {
                points.add(new Point(backup.endLsn(), backup.endEpoch()));
            }
        }
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingLong(Point::lsn).thenComparingLong(Point::epoch).reversed());
        return sorted;
    }

    private void stream(LogSource source, String history, Point from, long primaryEnd) throws IOException {
        archiving = true;
        problem = null;
        archivedLsn = from.lsn();
        archivedEpoch = from.epoch();
        memberLastLsn = primaryEnd;
        behindSince = primaryEnd > from.lsn() ? System.currentTimeMillis() : 0;
        source.readTimeout((int) Math.max(2_000, Math.min(15_000, flush.toMillis() * 3)));
        Pending pending = new Pending(history, from);
        try {
            while (!stopped) {
                LogSource.Received received = source.next();
                progressAt = System.nanoTime();
                if (!lease.held()) {
                    // Lost to another archiver, or not renewed within its time to live: nothing more is stored.
                    throw new BackupException("this archiver no longer holds the repository's archiver lease");
                }
                long now = System.currentTimeMillis();
                for (LogRecord record : received.records()) {
                    pending.add(record, now);
                }
                memberLastLsn = Math.max(memberLastLsn, received.memberLastLsn());
                if (pending.due(now)) {
                    pending = pending.store();
                }
                long stored = archivedLsn;
                if (pending.writer.count() == 0 && received.records().isEmpty() && received.memberLastLsn() <= stored) {
                    if (behindSince != 0 || pending.statusDue(now)) {
                        new ArchiveStatus(stored, pending.after.epoch(), now - COMPLETENESS_MARGIN_MILLIS, primary)
                                .write(repository, history);
                        pending.statusWritten = now;
                    }
                    behindSince = 0;
                } else if (behindSince == 0) {
                    behindSince = now;
                }
            }
        } finally {
            // The stream ended (a failover, a restart, a stop): what arrived is stored, whichever branch it is on,
            // unless another archiver took the lease (it stores those records itself).
            try {
                if (pending.writer.count() > 0 && stillHeld()) {
                    pending.store();
                }
            } finally {
                pending.writer.close();
            }
        }
    }

    /** The chunk being filled. */
    private final class Pending {
        final String history;
        final Point after;
        final LogChunk.Writer writer;
        long firstArrived;
        long statusWritten;

        Pending(String history, Point after) throws IOException {
            this.history = history;
            this.after = after;
            this.writer = new LogChunk.Writer(staging.resolve("chunk-" + after.lsn()), history, after.lsn(), after.epoch());
        }

        void add(LogRecord record, long now) throws IOException {
            if (writer.count() == 0) {
                firstArrived = now;
            }
            writer.add(record);
        }

        boolean due(long now) {
            return writer.count() > 0 && (now - firstArrived >= flush.toMillis() || writer.bytes() >= maxChunkBytes);
        }

        boolean statusDue(long now) {
            return now - statusWritten >= flush.toMillis();
        }

        /** Stores this chunk and returns the next one, continuing from its last record. */
        Pending store() throws IOException {
            LogChunk.Finished finished = writer.finish();
            try {
                repository.put(Layout.chunkName(history, finished), finished.file());
            } finally {
                Files.deleteIfExists(finished.file());
            }
            chunks.increment();
            archivedLsn = finished.header().lastLsn();
            archivedEpoch = finished.lastEpoch();
            Point end = new Point(finished.header().lastLsn(), finished.lastEpoch());
            Pending next = new Pending(history, end);
            next.statusWritten = statusWritten;
            return next;
        }
    }
}
