package io.dirkdb.replication;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.engine.Engine;
import io.dirkdb.protocol.ReplyWriter;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberState;
import io.dirkdb.server.PeerAddresses;
import io.dirkdb.server.ReplicationLink;
import io.dirkdb.server.Role;
import io.dirkdb.sql.ControlStatement;
import io.dirkdb.storage.LogNotRetainedException;
import io.dirkdb.storage.LogReader;
import io.dirkdb.storage.LogRecord;
import io.dirkdb.storage.SnapshotFile;
import io.dirkdb.storage.Storage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Replication of one member (ARCHITECTURE.md "Replication"): as a primary it ships its log to
 * the secondaries that pull it ({@code dirk stream}) and, in sync mode, holds each write's
 * acknowledgement until a secondary has the record durably; as a secondary it follows its
 * primary ({@link LogFollower}); as a member being rebuilt it pulls a snapshot and the log
 * after it ({@code dirk resync}).
 */
public final class Replicator implements ReplicationLink {
    private static final System.Logger LOG = System.getLogger(Replicator.class.getName());
    /** An idle stream carries a keepalive this often, so the secondary knows the primary's end and that it lives. */
    static final long KEEPALIVE_MILLIS = 500;
    /**
     * A checkpoint keeps the log a secondary still needs, up to this many bytes behind the snapshot;
     * past that it is deleted and that secondary needs a resync (docs/replication-protocol.md).
     */
    public static final long RETAINED_LOG_CAP_BYTES = 1L << 30;
    /** A secondary whose stream closed is still kept the log it needs for this long (a restart, a network blip). */
    static final long RETAIN_AFTER_DISCONNECT_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** Commit times kept for lag figures; older ones are dropped. */
    private static final int MAX_COMMIT_TIMES = 100_000;

    private final Member member;
    private final Engine engine;
    private final Storage storage;
    private final ReplicationSettings settings;
    private final ReplicationMetrics metrics;

    /** Secondaries streaming from this member, by connection. */
    private final Map<Long, ConnectedSecondary> secondaries = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    /** The last LSN held by a secondary that disconnected recently, by its host, with when that stops counting. */
    private final Map<String, RecentSecondary> recentlyConnected = new ConcurrentHashMap<>();
    /**
     * Signals shippers that more of the log is durable, and sync writers that a secondary
     * acknowledged or that the role changed.
     */
    private final Object progress = new Object();
    private long logVersion; // guarded by progress
    /**
     * A write is acknowledged under the read side; a role change takes the write side once the new
     * state is in place, so once a fence has answered no acknowledgement decided before it is pending.
     */
    private final ReentrantReadWriteLock acknowledgement = new ReentrantReadWriteLock();
    private final ConcurrentSkipListMap<Long, CommitTime> commitTimes = new ConcurrentSkipListMap<>();
    private final AtomicLong ackedToClients = new AtomicLong();
    /** Writes between their log record and their answer; a fence lets them finish first (drainWrites). */
    private final java.util.concurrent.atomic.AtomicInteger writesAnswering = new java.util.concurrent.atomic.AtomicInteger();
    /** The highest LSN a write brought to afterWrite, or the log's end when this member became primary. */
    private final AtomicLong highestWriteAnswering = new AtomicLong();
    private final AtomicLong drainsTimedOut = new AtomicLong();
    /**
     * The highest LSN a secondary confirmed under the current role and epoch, kept after its stream
     * closes (the secondary did hold it): what a sync primary's reads may show. Reset on role change.
     */
    private final AtomicLong confirmedForReads = new AtomicLong();
    private volatile long lastCommitWallMillis;

    // guarded by this
    private MemberState lastState;
    private LogFollower follower;
    private ResyncTask resync;
    private volatile boolean closed;

    private record CommitTime(long nanos, long wallMillis) {}

    private record RecentSecondary(long heldLsn, long untilNanos) {}

    /**
     * When the frames of one stream were sent, so that an acknowledgement counts for the lease from the moment the
     * frame it answers left, not from when it is read: a secondary answers each batch and each keepalive with one
     * acknowledgement, in order, so the n-th acknowledgement answers the n-th frame. An acknowledgement a primary
     * paused longer than its lease reads after it resumes answers a frame sent before the pause, and renews nothing.
     */
    static final class FrameTimes {
        private static final int KEPT = 4096;
        private final long[] sentAt = new long[KEPT];
        private long sent; // frames sent so far
        private long answered; // acknowledgements matched to frames so far

        synchronized void sent(long nanos) {
            sentAt[(int) (sent % KEPT)] = nanos;
            sent++;
        }

        /**
         * The send time of the frame the next acknowledgement answers, or 0 when it cannot be known: more
         * acknowledgements than frames (the extra ones renew nothing), or a frame so old its time was dropped.
         */
        synchronized long answered() {
            if (answered >= sent) {
                return 0;
            }
            long frame = answered++;
            return sent - frame > KEPT ? 0 : sentAt[(int) (frame % KEPT)];
        }
    }

    /**
     * One stream this member serves. Its acknowledgements count only up to what was sent on it
     * ({@code sentLsn}, which starts at the LSN whose epoch the secondary matched), only while it is
     * open, and only while this member keeps the role and epoch it had when the stream opened.
     * {@code ackedLsn} starts at 0: the secondary's log may end before it is durable, so only its
     * acks (the first comes with the first batch or keepalive) say what it holds.
     *
     * @param peerId   the member of this member's configuration the stream says it comes from (checked against its
     *                 source address; one stream each); null when it names none of them (it then does not count
     *                 towards the lease, which counts the members of config.json)
     * @param confirming whether its acknowledgements confirm sync writes and keep the lease: a stream of a
     *                 member of the configuration, or any stream of a member without one; an outsider (a backup,
     *                 a resync tool, a forger) only reads, and so does a stream naming a member whose host does
     *                 not resolve, until a check of its source ({@code addressCheckDue}) finds it is that member's
     * @param addressCheckDue when its source is next checked against its member's configured host (0: checked)
     */
    private record ConnectedSecondary(String address, String peerId, AtomicBoolean confirming, Socket socket, Role role,
                                      long epoch, long fromLsn, AtomicLong sentLsn, AtomicLong ackedLsn,
                                      AtomicLong lastAckNanos, FrameTimes frames, AtomicLong addressCheckDue) {
        boolean confirms() {
            return confirming.get();
        }

        boolean servesState(MemberState state) {
            return state.role() == role && state.epoch() == epoch;
        }

        /** Whether its acknowledgements confirm writes made under {@code state}. */
        boolean confirmsUnder(MemberState state) {
            return confirms() && servesState(state);
        }

        /** What the secondary needs kept: the log after the last record it holds (as far as it says). */
        long heldLsn() {
            return Math.max(fromLsn, ackedLsn.get());
        }
    }

    private Replicator(Member member, Engine engine, Storage storage, ReplicationSettings settings, MeterRegistry registry) {
        this.member = member;
        this.engine = engine;
        this.storage = storage;
        this.settings = settings;
        this.metrics = new ReplicationMetrics(registry, this::lagLsn, this::lagMillis);
        this.ackedToClients.set(storage.durableLsn());
    }

    /**
     * Connects replication to {@code member}, whose database is {@code engine} on durable storage,
     * and starts following when the member is a secondary.
     *
     * @param registry where the meters go (null: a private registry)
     */
    public static Replicator attach(Member member, Engine engine, ReplicationSettings settings, MeterRegistry registry) {
        Storage storage = engine.storage().orElseThrow(
                () -> new IllegalArgumentException("replication needs an engine on a data directory"));
        Replicator replicator = new Replicator(member, engine, storage, settings,
                registry == null ? new SimpleMeterRegistry() : registry);
        storage.retainLogFor(replicator::retentionFloor, RETAINED_LOG_CAP_BYTES);
        member.attachReplication(replicator);
        return replicator;
    }

    public ReplicationSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- roles

    @Override
    public synchronized void roleChanged(MemberState state) {
        // Acknowledgements are per role and epoch: streams opened under the old ones stop counting and
        // stop shipping, and writes waiting for them learn that their outcome is unknown.
        acknowledgement.writeLock().lock();
        acknowledgement.writeLock().unlock();
        for (var entry : secondaries.entrySet()) {
            if (!entry.getValue().servesState(state)) {
                secondaries.remove(entry.getKey());
                closeQuietly(entry.getValue().socket());
            }
        }
        boolean promotedSecondary = lastState != null && lastState.role() == Role.SECONDARY
                && state.role() == Role.PRIMARY;
        if (lastState == null || lastState.role() != state.role() || lastState.epoch() != state.epoch()) {
            // A secondary promoted holds only records its primary made durable first: two members have them.
            confirmedForReads.set(promotedSecondary ? storage.durableLsn() : 0);
            if (state.role() == Role.PRIMARY) {
                highestWriteAnswering.accumulateAndGet(storage.durableLsn(), Math::max);
            }
        }
        lastState = state;
        synchronized (progress) {
            progress.notifyAll();
        }
        if (state.role() == Role.PRIMARY) {
            // Every record in the log at a promotion may have been acknowledged by an earlier primary.
            ackedToClients.accumulateAndGet(storage.durableLsn(), Math::max);
        }
        if (closed) {
            return;
        }
        boolean follows = state.role() == Role.SECONDARY && state.primaryHost() != null;
        if (state.role() == Role.PRIMARY && resyncRunning()) {
            LOG.log(Level.WARNING, "promoted during a resync from {0}: the resync is abandoned", resync.host() + ":" + resync.port());
            resync.cancelNow(); // a primary's state must not be replaced under its writers
        }
        if (follower != null) {
            boolean same = follows && follower.host().equals(state.primaryHost()) && follower.port() == state.primaryPort();
            if (same && follower.refusal() == null) {
                return;
            }
            follower.stop();
            follower = null;
        }
        if (promotedSecondary) {
            // Its follower has stopped and its last batch landed (perhaps after the raise above, not yet durable
            // then): every record in the log came from its old primary, none is a write of its own still being
            // answered, so a fence right after the promotion has none to wait for.
            highestWriteAnswering.accumulateAndGet(storage.lastLsn(), Math::max);
        }
        if (follows && !resyncRunning()) {
            follower = new LogFollower(state.primaryHost(), state.primaryPort(), member, engine, storage, settings,
                    metrics, this::logAdvanced);
            follower.start();
        }
    }

    private boolean resyncRunning() {
        return resync != null && resync.running();
    }

    @Override
    public boolean ready() {
        LogFollower current = currentFollower();
        return current != null && current.streaming() && current.refusal() == null;
    }

    private synchronized LogFollower currentFollower() {
        return follower;
    }

    private synchronized ResyncTask currentResync() {
        return resync;
    }

    // ---------------------------------------------------------------- heartbeat and metrics

    @Override
    public void describe(ObjectNode heartbeat) {
        MemberState state = member.state();
        heartbeat.put("replicationMode", settings.mode().wireName());
        LogFollower current = currentFollower();
        if (state.role() == Role.SECONDARY && state.primaryHost() != null) {
            heartbeat.put("primary", state.primaryHost() + ":" + state.primaryPort());
        } else {
            heartbeat.putNull("primary");
        }
        heartbeat.put("streaming", current != null && current.streaming());
        heartbeat.put("lagLsn", lagLsn());
        heartbeat.put("lagMs", lagMillis());
        LogFollower.Refusal refusal = current == null ? null : current.refusal();
        heartbeat.put("diverged", refusal == LogFollower.Refusal.DIVERGED);
        heartbeat.put("needsResync", refusal == LogFollower.Refusal.NEEDS_RESYNC);
        heartbeat.put("otherHistory", refusal == LogFollower.Refusal.OTHER_HISTORY);
        if (current != null && current.problem() != null) {
            heartbeat.put("replicationError", current.problem());
        }
        if (state.role() != Role.SECONDARY) {
            // Final once fenced: a failover must not promote a member behind it.
            heartbeat.put("ackedLsn", ackedToClients.get());
        }
        ArrayNode list = heartbeat.putArray("secondaries");
        for (ConnectedSecondary secondary : secondaries.values()) {
            list.addObject().put("address", secondary.address()).put("member", secondary.peerId())
                    .put("confirms", secondary.confirms()).put("ackedLsn", secondary.ackedLsn().get());
        }
        ResyncTask task = currentResync();
        if (task != null) {
            task.describe(heartbeat.putObject("resync"));
        }
    }

    private long lagLsn() {
        LogFollower current = currentFollower();
        return current == null ? 0 : current.lagLsn();
    }

    private long lagMillis() {
        LogFollower current = currentFollower();
        return current == null ? 0 : current.lagMillis();
    }

    /** Raw and compressed bytes shipped so far, and the ack latency timer (benchmarks). */
    public long shippedRawBytes() {
        return metrics.shippedRawBytes();
    }

    public long shippedCompressedBytes() {
        return metrics.shippedCompressedBytes();
    }

    public io.micrometer.core.instrument.Timer ackLatency() {
        return metrics.ackLatency();
    }

    // ---------------------------------------------------------------- writes on the primary

    @Override
    public void afterWrite(long lsn) {
        writesAnswering.incrementAndGet();
        highestWriteAnswering.accumulateAndGet(lsn, Math::max);
        try {
            answerWrite(lsn);
        } finally {
            if (writesAnswering.decrementAndGet() == 0) {
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        }
    }

    /** Fences whose drain ran out of time (writes still answering): a drain that waits for nothing is a bug. */
    public long drainsTimedOut() {
        return drainsTimedOut.get();
    }

    @Override
    public void drainWrites(long logEnd, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (progress) {
            while (writesAnswering.get() > 0 || highestWriteAnswering.get() < logEnd) {
                if (settings.mode() == ReplicationMode.SYNC && !anySecondaryConfirms(member.state())) {
                    // No secondary that confirms streams: no write waiting for one can finish, none may wait.
                    LOG.log(Level.INFO, "fence: no secondary that confirms streams ({0}); the writes still "
                            + "unanswered (answered up to LSN {1}, log at LSN {2}) learn that their outcome is unknown",
                            streamCounts(), highestWriteAnswering.get(), logEnd);
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    drainsTimedOut.incrementAndGet();
                    LOG.log(Level.WARNING, "fence: {0} writes still unanswered after {1} ms (answered up to LSN {2}, "
                            + "log at LSN {3}): they learn that their outcome is unknown", writesAnswering.get(),
                            max.toMillis(), highestWriteAnswering.get(), logEnd);
                    return; // the fence goes on: what still waits learns that its outcome is unknown
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    LOG.log(Level.WARNING, "fence: interrupted while writes were still unanswered (answered up to "
                            + "LSN {0}, log at LSN {1})", highestWriteAnswering.get(), logEnd);
                    return;
                }
            }
        }
    }

    private boolean anySecondaryConfirms(MemberState state) {
        return secondaries.values().stream().anyMatch(secondary -> secondary.confirmsUnder(state));
    }

    /** For errors: how many streams may confirm a write, and how many others only read the log. */
    private String streamCounts() {
        long confirming = secondaries.values().stream().filter(ConnectedSecondary::confirms).count();
        long others = secondaries.size() - confirming;
        return confirming + (confirming == 1 ? " secondary" : " secondaries") + " connected"
                + (others == 0 ? "" : ", and " + others + (others == 1 ? " stream" : " streams")
                + " from outside the configuration, whose acknowledgements do not count");
    }

    private void answerWrite(long lsn) {
        MemberState atWrite = member.state();
        long wallMillis = System.currentTimeMillis();
        lastCommitWallMillis = wallMillis;
        commitTimes.put(lsn, new CommitTime(System.nanoTime(), wallMillis));
        if (confirmedLsn(atWrite) >= lsn) {
            // A secondary was faster than this thread: it already holds the record.
            claimAcknowledged(lsn, System.nanoTime());
        }
        while (commitTimes.size() > MAX_COMMIT_TIMES) {
            commitTimes.pollFirstEntry();
        }
        logAdvanced();
        if (atWrite.role() != Role.PRIMARY) {
            throw outcomeUnknown(lsn, atWrite);
        }
        if (settings.mode() == ReplicationMode.SYNC) {
            awaitSecondary(lsn, atWrite);
        }
        acknowledgement.readLock().lock();
        try {
            // The moment of acknowledgement: only by the primary of the epoch the write was made in.
            MemberState now = member.state();
            if (now.role() != Role.PRIMARY || now.epoch() != atWrite.epoch()) {
                throw outcomeUnknown(lsn, now);
            }
            ackedToClients.accumulateAndGet(lsn, Math::max);
        } finally {
            acknowledgement.readLock().unlock();
        }
    }

    private static DirkException outcomeUnknown(long lsn, MemberState now) {
        return new DirkException("outcome unknown: the member stepped down before the write was confirmed; it may or "
                + "may not be committed (LSN " + lsn + "; this member is now " + now.role().wireName() + " at epoch "
                + now.epoch() + "); read it back from the new primary before retrying");
    }

    /**
     * The highest LSN a secondary acknowledged on a stream still open, served under {@code state} (the
     * primary's role and epoch at the write) and entitled to confirm (a member of the configuration, one
     * stream each): each ack is already clamped to what its stream sent.
     */
    private long confirmedLsn(MemberState state) {
        long confirmed = 0;
        for (ConnectedSecondary secondary : secondaries.values()) {
            if (secondary.confirmsUnder(state)) {
                confirmed = Math.max(confirmed, secondary.ackedLsn().get());
            }
        }
        return confirmed;
    }

    private void awaitSecondary(long lsn, MemberState atWrite) {
        long deadline = System.nanoTime() + settings.syncTimeout().toNanos();
        synchronized (progress) {
            while (confirmedLsn(atWrite) < lsn) {
                MemberState now = member.state();
                if (now.role() != Role.PRIMARY || now.epoch() != atWrite.epoch()) {
                    throw outcomeUnknown(lsn, now);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new DirkException("the write is durable on the primary (LSN " + lsn + ") but no secondary confirmed it within "
                            + settings.syncTimeout().toMillis() + " ms, so it is not acknowledged; it may still commit (it stays in "
                            + "this primary's log and a secondary may receive it later), so read it back before retrying (sync "
                            + "replication; " + streamCounts() + ")");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DirkException("the write is durable on the primary but was interrupted while waiting for a "
                            + "secondary; it may still commit");
                }
            }
        }
    }

    @Override
    public void beforeReadReply(long lsn) {
        if (settings.mode() != ReplicationMode.SYNC) {
            return;
        }
        MemberState state = member.state();
        if (state.role() != Role.PRIMARY || readableLsn(state) >= lsn) {
            return; // a secondary's rows come from a primary's log; the primary answers for their fate
        }
        long deadline = System.nanoTime() + settings.syncTimeout().toNanos();
        synchronized (progress) {
            while (readableLsn(state) < lsn) {
                MemberState now = member.state();
                long left = deadline - System.nanoTime();
                if (now.role() != state.role() || now.epoch() != state.epoch() || left <= 0) {
                    throw new DirkException("this read would show writes up to LSN " + lsn + " that no secondary has "
                            + "confirmed (confirmed up to LSN " + readableLsn(state) + "), and a failover could lose "
                            + "them, so its rows are not returned; try again once a secondary has caught up (sync "
                            + "replication; " + streamCounts() + ")");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DirkException("the read was interrupted while waiting for a secondary to confirm what it shows");
                }
            }
        }
    }

    private long readableLsn(MemberState state) {
        return Math.max(confirmedForReads.get(), confirmedLsn(state));
    }

    /** More of the log is durable: wake the shippers. */
    private void logAdvanced() {
        synchronized (progress) {
            logVersion++;
            progress.notifyAll();
        }
    }

    /**
     * Records an acknowledgement of {@code secondary}'s stream.
     *
     * @throws IOException when it acknowledges a record never sent on that stream (the stream is then closed)
     */
    private void acknowledged(ConnectedSecondary secondary, long lsn) throws IOException {
        long sent = secondary.sentLsn().get();
        if (lsn > sent) {
            throw new IOException("acknowledged LSN " + lsn + " but only the records up to LSN " + sent
                    + " were sent on this stream");
        }
        // A stream whose address checks out now confirms what it acknowledged before as well.
        boolean confirmsFromNow = secondary.addressCheckDue().get() != 0 && checkAddressAgain(secondary);
        // Heard from no earlier than the frame this acknowledgement answers was sent (it carries no time itself).
        long answeredSentAt = secondary.frames().answered();
        if (answeredSentAt != 0) {
            secondary.lastAckNanos().accumulateAndGet(answeredSentAt, (a, b) -> a == 0 || b - a > 0 ? b : a);
        }
        MemberState now = member.state();
        if (now.role() == Role.PRIMARY) {
            long heardSince = everyPeerHeardSince(now); // acks answer every batch and keepalive
            if (heardSince != 0) {
                member.renewLease("its secondaries", heardSince);
            }
        }
        long previous = secondary.ackedLsn().getAndAccumulate(lsn, Math::max);
        if (!secondary.confirms()) {
            return; // an outsider's acknowledgements confirm nothing, not even for reads
        }
        long held = Math.max(lsn, previous);
        if (secondary.servesState(member.state())) {
            confirmedForReads.accumulateAndGet(held, Math::max);
        }
        if (lsn > previous || confirmsFromNow) {
            synchronized (progress) {
                progress.notifyAll();
            }
            claimAcknowledged(held, System.nanoTime());
        }
    }

    /**
     * Checks again, at most once a second, the source of a stream naming a member whose configured host did not
     * resolve: once it resolves, the stream confirms (from one of its addresses) or is closed (from elsewhere).
     *
     * @return true when the stream confirms from now on (its address checked out just now)
     * @throws IOException when the stream comes from elsewhere (the stream is then closed)
     */
    private boolean checkAddressAgain(ConnectedSecondary secondary) throws IOException {
        long due = secondary.addressCheckDue().get();
        long now = System.nanoTime();
        if (due == 0 || now - due < 0 || !secondary.addressCheckDue().compareAndSet(due, now + 1_000_000_000L)) {
            return false;
        }
        Member.StreamSource source = member.checkStreamSource(secondary.peerId(), secondary.socket().getInetAddress());
        if (source.uncheckable() != null) {
            return false;
        }
        String elsewhere = source.elsewhere();
        if (elsewhere != null) {
            LOG.log(Level.WARNING, "closed the stream from {0}: {1}", secondary.address(), elsewhere);
            throw new IOException(elsewhere);
        }
        secondary.addressCheckDue().set(0);
        boolean confirms = member.streamConfirms(secondary.peerId());
        secondary.confirming().set(confirms);
        LOG.log(Level.INFO, "the stream from {0} comes from an address of member {1}: it confirms writes now",
                secondary.address(), secondary.peerId());
        return confirms;
    }

    /**
     * Since when every other member of its configuration (or, without one, at least one stream) has acknowledged
     * on a stream under the current role and epoch; 0 when one has not. Secondaries keep the primary's lease only
     * all together, and one stream per member: a secondary detached by a supervisor stops acknowledging, so
     * neither one the supervisor could not detach (cut off from it) nor a stream from outside the configuration
     * keeps the old primary writable past one lease after the others' detach.
     */
    private long everyPeerHeardSince(MemberState state) {
        java.util.Set<String> peerIds = member.configuredPeerIds();
        int peers = peerIds.size();
        java.util.Map<String, Long> heard = new java.util.HashMap<>();
        long anyStream = 0;
        for (ConnectedSecondary connected : secondaries.values()) {
            long at = connected.lastAckNanos().get();
            if (at == 0 || !connected.confirmsUnder(state)) { // an outsider or an unchecked stream keeps nothing
                continue;
            }
            if (connected.peerId() != null && peerIds.contains(connected.peerId())) {
                heard.merge(connected.peerId(), at, (a, b) -> a - b > 0 ? a : b);
            }
            if (anyStream == 0 || at - anyStream > 0) {
                anyStream = at;
            }
        }
        if (peers == 0) {
            return anyStream;
        }
        if (heard.size() < peers) {
            return 0;
        }
        long oldest = 0;
        for (long at : heard.values()) {
            if (oldest == 0 || at - oldest < 0) {
                oldest = at;
            }
        }
        return oldest;
    }

    /** Records the ack latency of every commit up to {@code lsn} not yet counted; each is claimed once. */
    private void claimAcknowledged(long lsn, long now) {
        for (Long key : commitTimes.headMap(lsn, true).keySet()) {
            CommitTime time = commitTimes.remove(key);
            if (time != null) {
                metrics.acknowledged(Math.max(0, now - time.nanos()));
            }
        }
    }

    /**
     * The LSN after which a checkpoint keeps the log: the lowest one a connected or recently
     * disconnected secondary holds, less one (its own last record proves its place on reconnect).
     */
    long retentionFloor() {
        long floor = Long.MAX_VALUE;
        for (ConnectedSecondary secondary : secondaries.values()) {
            floor = Math.min(floor, secondary.heldLsn() - 1);
        }
        long now = System.nanoTime();
        recentlyConnected.values().removeIf(recent -> now - recent.untilNanos() > 0);
        for (RecentSecondary recent : recentlyConnected.values()) {
            floor = Math.min(floor, recent.heldLsn() - 1);
        }
        return Math.max(0, floor);
    }

    private void disconnected(ConnectedSecondary secondary) {
        String host = secondary.socket().getInetAddress().getHostAddress();
        long until = System.nanoTime() + RETAIN_AFTER_DISCONNECT_NANOS;
        // Several secondaries may share a host: the lowest position wins, so none loses what it needs.
        recentlyConnected.merge(host, new RecentSecondary(secondary.heldLsn(), until),
                (old, now) -> new RecentSecondary(Math.min(old.heldLsn(), now.heldLsn()), until));
    }

    @Override
    public long acknowledgedLsn() {
        return ackedToClients.get();
    }

    // ---------------------------------------------------------------- serving other members

    @Override
    public void serve(ControlStatement statement, Socket socket, InputStream in, OutputStream out) throws IOException {
        DataOutputStream frames = new DataOutputStream(new BufferedOutputStream(out, 64 << 10));
        if (statement instanceof ControlStatement.Snapshot snapshot) {
            serveSnapshot(frames, snapshot.deflate());
        } else {
            serveStream((ControlStatement.Stream) statement, socket, new DataInputStream(new BufferedInputStream(in)), frames);
        }
    }

    private void serveStream(ControlStatement.Stream request, Socket socket, DataInputStream in, DataOutputStream out)
            throws IOException {
        String peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        MemberState state = member.state();
        String history = state.historyId();
        if (request.historyId() != null && !request.historyId().equals(history)) {
            // Never splice two histories, and never let a member of one be flagged diverged and wiped by another.
            refuse(out, "otherHistory", history == null
                    ? "the secondary belongs to history " + request.historyId() + " but this member has no history yet"
                    + " (it is empty, or has not yet been told it starts one)"
                    : member.otherHistory(request.historyId()));
            return;
        }
        if (history == null && member.bootstrapWait() != null) {
            // The secondary would learn no history now and never later: it retries once this member has one.
            refuse(out, "notReady", member.bootstrapWait());
            return;
        }
        String peerId = member.configuredHost(request.memberId()) != null ? request.memberId() : null;
        // One resolution decides both: a host that starts resolving between two would leave the stream unchecked.
        Member.StreamSource source = peerId == null ? new Member.StreamSource(null, null)
                : member.checkStreamSource(peerId, socket.getInetAddress());
        String elsewhere = source.elsewhere();
        if (elsewhere != null) {
            // Only the member's own address may speak for it: a stream naming a member confirms sync writes.
            LOG.log(Level.WARNING, "refused a stream from {0}: {1}", peer, elsewhere);
            refuse(out, "memberAddress", elsewhere);
            return;
        }
        String uncertified = peerId == null ? null
                : PeerAddresses.certificateNotFor(peerId, member.configuredHost(peerId), socket);
        if (uncertified != null) {
            // With mutual TLS, a member's certificate names it: another certificate of the CA does not speak for it.
            LOG.log(Level.WARNING, "refused a stream from {0}: {1}", peer, uncertified);
            refuse(out, "memberCertificate", uncertified);
            return;
        }
        if (request.knownEpoch() > state.highestEpochSeen()) {
            // Only an authenticated promote or follow changes epochs: a stream request is told no, nothing more.
            refuse(out, "stalePrimary", "this member is at epoch " + state.epoch() + " but the secondary has seen epoch "
                    + request.knownEpoch() + "; follow the newer primary");
            return;
        }
        // A fenced member still serves its final log (it takes no writes, so it grows no more): a switchover
        // target catches up from it. Nothing it ships counts: it acknowledges no write (afterWrite).
        long fromLsn = request.fromLsn();
        long end = storage.durableLsn();
        if (fromLsn > end) {
            refuse(out, "diverged", "the secondary holds LSN " + fromLsn + " but this member's log ends at LSN " + end);
            return;
        }
        long epochHere;
        try {
            epochHere = epochAt(fromLsn);
        } catch (LogNotRetainedException e) {
            refuse(out, "needsResync", "this member no longer keeps LSN " + fromLsn + " (oldest kept: "
                    + storage.oldestRetainedLsn() + "); rebuild the secondary with dirk resync");
            return;
        }
        // An empty log is a prefix of every history (a member stopped before its first record may still
        // carry the epoch it started with), so only a record can fork.
        if (fromLsn > 0 && epochHere != request.epochAtFromLsn()) {
            refuse(out, "diverged", "record " + fromLsn + " has epoch " + epochHere + " here but epoch "
                    + request.epochAtFromLsn() + " on the secondary: the logs forked; rebuild it with dirk resync");
            return;
        }
        LogReader reader;
        try {
            reader = storage.readFrom(fromLsn + 1);
        } catch (LogNotRetainedException e) {
            refuse(out, "needsResync", "this member no longer keeps the records after LSN " + fromLsn
                    + "; rebuild the secondary with dirk resync");
            return;
        }
        // Numbered before the answer: a member's stream opened after this one was answered gets a higher number,
        // so the newer of two streams of one member is known however their threads interleave below.
        long id = connectionIds.incrementAndGet();
        ObjectNode hello = PeerChannel.JSON.createObjectNode().put("streaming", true).put("epoch", state.epoch())
                .put("lastLsn", end).put("historyId", history)
                .put("protocol", Math.min(request.protocol(), ReplicationFrames.PROTOCOL_VERSION));
        out.write(ReplyWriter.encodeMessage(hello.toString()));
        out.flush();
        boolean confirms = member.streamConfirms(request.memberId());
        String uncheckable = source.uncheckable();
        if (uncheckable != null) {
            // Anyone with the password could name a member whose address is unknown now: it gets the log, not a vote.
            confirms = false;
            LOG.log(Level.WARNING, "{0} streams as member {1}, but {2}: it receives the log, but confirms no write "
                    + "and does not count towards the lease until its address is checked (again at each "
                    + "acknowledgement, once a second)", peer, peerId, uncheckable);
        } else if (!confirms) {
            LOG.log(Level.WARNING, "{0} streams {1}: it receives the log, but confirms no write and does not count "
                    + "towards the lease", peer, request.memberId() == null ? "naming no member"
                    : "as " + request.memberId() + ", which is not a member of this configuration");
        }
        ConnectedSecondary secondary = new ConnectedSecondary(peer, peerId, new AtomicBoolean(confirms), socket,
                state.role(), state.epoch(), fromLsn, new AtomicLong(fromLsn), new AtomicLong(), new AtomicLong(),
                new FrameTimes(), new AtomicLong(uncheckable == null ? 0 : System.nanoTime()));
        register(id, secondary);
        // Back at or past what was kept for its host: that hold has served (the connected stream holds now).
        recentlyConnected.computeIfPresent(socket.getInetAddress().getHostAddress(),
                (host, recent) -> fromLsn >= recent.heldLsn() ? null : recent);
        if (!secondary.servesState(member.state())) {
            secondaries.remove(id); // the role changed while the stream was being set up
            socket.close();
            return;
        }
        Thread acks = new Thread(() -> readAcks(socket, in, secondary), "dirk-acks-" + peer);
        acks.setDaemon(true);
        acks.start();
        LOG.log(Level.INFO, "shipping the log after LSN {0} to {1}", String.valueOf(fromLsn), peer);
        try (reader; ReplicationFrames.BatchWriter batch = new ReplicationFrames.BatchWriter(out)) {
            ship(socket, secondary, reader, batch, out);
        } catch (UncheckedIOException | IllegalStateException e) {
            // A checkpoint removed what the reader needed next, or a resync replaced this log: the secondary reconnects.
            LOG.log(Level.WARNING, "stopped shipping to {0}: {1}", peer, e.getMessage());
        } catch (IOException e) {
            LOG.log(Level.INFO, "stream to {0} ended: {1}", peer, e.toString());
        } finally {
            secondaries.remove(id);
            disconnected(secondary);
            socket.close();
        }
    }

    /**
     * Adds a stream; one of a member that already streams replaces the older one, which is closed first: a
     * member follows once, so the older stream is stale (a reconnect before the old socket timed out), and its
     * acknowledgements must neither count twice nor stand for the member's current log.
     */
    private void register(long id, ConnectedSecondary secondary) {
        synchronized (secondaries) {
            if (secondary.peerId() != null) {
                for (var entry : secondaries.entrySet()) {
                    if (secondary.peerId().equals(entry.getValue().peerId()) && entry.getKey() > id) {
                        // A newer stream of the member registered first: this one is the stale one.
                        closeQuietly(secondary.socket());
                        return;
                    }
                }
                for (var entry : secondaries.entrySet()) {
                    if (secondary.peerId().equals(entry.getValue().peerId())) {
                        secondaries.remove(entry.getKey());
                        closeQuietly(entry.getValue().socket());
                        LOG.log(Level.INFO, "member {0} streams again from {1}: its older stream from {2} is closed",
                                secondary.peerId(), secondary.address(), entry.getValue().address());
                    }
                }
            }
            secondaries.put(id, secondary);
        }
    }

    private void ship(Socket socket, ConnectedSecondary secondary, LogReader reader, ReplicationFrames.BatchWriter batch,
                      DataOutputStream out) throws IOException {
        long lastSent = System.nanoTime();
        while (!socket.isClosed() && !isClosed() && secondary.servesState(member.state())) {
            long seen;
            synchronized (progress) {
                seen = logVersion;
            }
            long lastInBatch = 0;
            while (reader.hasNext()) {
                LogRecord record = reader.next();
                batch.add(record);
                lastInBatch = record.lsn();
                if (batch.full()) {
                    break;
                }
            }
            if (!batch.isEmpty()) {
                CommitTime written = commitTimes.get(lastInBatch);
                // Already acknowledged by another secondary (its time is claimed): the newest commit is close enough.
                long writtenAt = written != null ? written.wallMillis() : lastCommitWallMillis;
                // Before the frame leaves: an ack may come back before send returns.
                secondary.sentLsn().accumulateAndGet(lastInBatch, Math::max);
                secondary.frames().sent(System.nanoTime());
                long[] sizes = batch.send(storage.durableLsn(), writtenAt);
                metrics.shipped(sizes[0], sizes[1]);
                lastSent = System.nanoTime();
                continue;
            }
            if (System.nanoTime() - lastSent >= TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_MILLIS)) {
                secondary.frames().sent(System.nanoTime());
                ReplicationFrames.writeKeepalive(out, storage.durableLsn(), member.state().epoch());
                lastSent = System.nanoTime();
            }
            synchronized (progress) {
                if (logVersion == seen) {
                    try {
                        // Writes through this member signal; the timeout also catches records made durable otherwise.
                        progress.wait(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private void readAcks(Socket socket, DataInputStream in, ConnectedSecondary secondary) {
        try {
            while (true) {
                acknowledged(secondary, ReplicationFrames.readAck(in));
            }
        } catch (IOException e) {
            if (!socket.isClosed()) {
                LOG.log(e instanceof java.io.EOFException ? Level.DEBUG : Level.WARNING, "closing the stream to {0}: {1}",
                        secondary.address(), e.getMessage());
            }
            // Its acknowledgements stop counting with it.
            secondaries.values().remove(secondary);
            closeQuietly(socket); // wakes the shipper
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** The epoch of this member's record {@code lsn} (0 for LSN 0). */
    private long epochAt(long lsn) throws IOException {
        if (lsn == 0) {
            return 0;
        }
        SnapshotFile snapshot = storage.latestSnapshot().orElse(null);
        if (snapshot != null && snapshot.lsn() == lsn) {
            return snapshot.epoch();
        }
        try (LogReader reader = storage.readFrom(lsn)) {
            if (!reader.hasNext()) {
                throw new IOException("record " + lsn + " is not durable yet");
            }
            return reader.next().epoch();
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof LogNotRetainedException gone) {
                throw gone;
            }
            throw e.getCause();
        }
    }

    private void refuse(DataOutputStream out, String why, String reason) throws IOException {
        ObjectNode node = PeerChannel.JSON.createObjectNode().put("refused", why).put("reason", reason)
                .put("epoch", member.state().highestEpochSeen()).put("historyId", member.state().historyId())
                .put("protocol", ReplicationFrames.PROTOCOL_VERSION);
        out.write(ReplyWriter.encodeMessage(node.toString()));
        out.flush();
    }

    private static final int SNAPSHOT_CHUNK_BYTES = 1 << 20;

    private void serveSnapshot(DataOutputStream out, boolean deflate) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            SnapshotFile snapshot = storage.latestSnapshot().orElse(null);
            if (snapshot == null) {
                out.write(ReplyWriter.encodeError("this member has no snapshot to ship"));
                out.flush();
                return;
            }
            InputStream file;
            try {
                // Opened once: a checkpoint may delete the file later, the open handle still reads it.
                file = Files.newInputStream(snapshot.path());
            } catch (NoSuchFileException e) {
                continue; // a checkpoint replaced it meanwhile: take the newer one
            }
            try (file) {
                ObjectNode header = PeerChannel.JSON.createObjectNode().put("lsn", snapshot.lsn())
                        .put("epoch", snapshot.epoch()).put("size", snapshot.size()).put("deflate", deflate)
                        .put("historyId", member.state().historyId())
                        // What its state takes in memory now (the snapshot and the log after it): a receiver
                        // without the room for it refuses before it replaces anything.
                        .put("dataBytes", engine.memory().dataBytes());
                out.write(ReplyWriter.encodeMessage(header.toString()));
                out.flush();
                Deflater deflater = deflate ? new Deflater(Deflater.BEST_SPEED) : null;
                long copied = 0;
                try {
                    // Chunks larger than the socket's output buffer go straight to the socket, with no copy.
                    OutputStream wire = deflate ? new DeflaterOutputStream(out, deflater, SNAPSHOT_CHUNK_BYTES) : out;
                    byte[] chunk = new byte[SNAPSHOT_CHUNK_BYTES];
                    for (int n = file.read(chunk); n >= 0; n = file.read(chunk)) {
                        wire.write(chunk, 0, n);
                        copied += n;
                    }
                    if (wire instanceof DeflaterOutputStream deflating) {
                        deflating.finish();
                    }
                    out.flush();
                    metrics.shipped(copied, deflate ? deflater.getBytesWritten() : copied);
                } finally {
                    if (deflater != null) {
                        deflater.end();
                    }
                }
                LOG.log(Level.INFO, "shipped the snapshot at LSN {0} ({1} bytes)", String.valueOf(snapshot.lsn()), String.valueOf(copied));
            }
            return;
        }
        out.write(ReplyWriter.encodeError("the snapshot kept changing while it was being opened; try again"));
        out.flush();
    }

    // ---------------------------------------------------------------- resync of this member

    @Override
    public synchronized String resync(String host, int port, boolean deflate) {
        if (closed) {
            throw new DirkException("this member is stopping");
        }
        if (resyncRunning()) {
            if (resync.host().equals(host) && resync.port() == port) {
                return "a resync from " + host + ":" + port + " is already in progress";
            }
            // Another source was chosen (the first one may be stalled or gone): drop the copy under way.
            LOG.log(Level.WARNING, "abandoning the resync from {0} for one from {1}", resync.host() + ":" + resync.port(),
                    host + ":" + port);
            if (!resync.cancel()) {
                throw new DirkException("a resync from " + resync.host() + ":" + resync.port()
                        + " is installing its snapshot; try again in a moment");
            }
        }
        if (follower != null) {
            follower.stop();
            follower = null;
        }
        resync = new ResyncTask(host, port, deflate, member, engine, settings.peerPassword(), settings.peerTls(),
                settings.fallbackPasswords(), () -> roleChanged(member.state()));
        resync.start();
        return "resync from " + host + ":" + port + " started";
    }

    private boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        LogFollower stopping;
        ResyncTask copying;
        synchronized (this) {
            closed = true;
            stopping = follower;
            follower = null;
            copying = resyncRunning() ? resync : null;
        }
        if (stopping != null) {
            stopping.stop();
        }
        if (copying != null) {
            copying.cancel(); // the database closes next: no snapshot may be half installed by then
        }
    }
}
