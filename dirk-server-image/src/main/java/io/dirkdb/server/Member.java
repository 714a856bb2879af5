package io.dirkdb.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.heartbeat.FenceReport;
import io.dirkdb.sql.ControlStatement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One member of a cluster: its database, its role and its epoch. Role changes are persisted
 * before they are acknowledged, and handed to the database, which checks them under its write
 * lock (a write racing a fence either finishes before it or is refused).
 */
public final class Member implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.server");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often an empty primary asks its peers whether one of them holds data. */
    private static final long BOOTSTRAP_POLL_MILLIS = 500;

    /**
     * How a member on an empty data directory learns that it may start a new history as primary.
     *
     * @param peers the other members of its configuration: it starts a history only once every one of them
     *              has answered a heartbeat without data (none: it is alone and starts at once)
     * @param historyId the id of the history to start or to belong to (given by the operator or the
     *                  supervisor), or null: a new history gets a random one
     */
    public record Bootstrap(List<MemberAddress> peers, String historyId) {
        public static final Bootstrap ALONE = new Bootstrap(List.of(), null);

        public Bootstrap {
            peers = List.copyOf(peers);
            historyId = historyId == null ? null : checkedHistoryId(historyId);
        }
    }

    private final String id;
    private final MemberDatabase database;
    private final Path dataDirectory; // null: state kept in memory only (tests)
    private volatile MemberState state;
    /**
     * A fence of this primary is under way: writes are refused and the ones logged drain (up to {@link #FENCE_DRAIN})
     * before the role changes. Heartbeats say {@code fenced} meanwhile: it takes no writes, and a proxy or supervisor
     * must not send it any.
     */
    private volatile boolean fencing;
    /**
     * The fence is a held one ({@code dirk fence hold}: the user's or hibernation's), not a hand-over's: no promote or
     * follow is on its way, so {@code dirk step-down} need not wait for one. Meaningful while fenced; a promote, a follow
     * or a plain fence ends it. Written before {@link #state} (and read after it) so a heartbeat never says a member
     * just promoted is held. Not saved: after a restart the operator sends the held fence again.
     */
    private volatile boolean fenceHeld;
    private volatile boolean ready = true;
    private volatile ReplicationLink replication = ReplicationLink.NONE;
    private final Bootstrap bootstrap;
    /** Why an empty primary does not take writes yet (waiting for its peers, or one of them holds data); else null. */
    private volatile String bootstrapWait; // written under this
    private volatile boolean closed;
    /** The primary lease (0: none, a member without supervisor); renewals are System.nanoTime() stamps. */
    private volatile long leaseNanos;
    private volatile long leaseRenewedAt;
    private volatile boolean leaseEverRenewed;
    private volatile boolean leaseReportedExpired;
    /** Promoted by a request whose sending time is unknown, and not renewed since: its lease starts expired. */
    private volatile boolean leasePromotedUnrenewed;
    private final Object leaseLock = new Object();
    /** The members of its configuration that {@code dirk follow} and {@code dirk resync} may name; null: any (standalone). */
    private volatile List<Peer> clusterMembers;
    /** Resolves the configured members' hosts (the system's resolver; a test's stands for a changing cluster DNS). */
    private volatile PeerAddresses.Resolver peerResolver = PeerAddresses.SYSTEM;

    /**
     * A member of the configuration that {@code dirk follow} and {@code dirk resync} may name.
     *
     * @param port its port; 0 when config.json gives it none or 0 (it listens on any free port): then any port
     * @param id   its instance id in config.json (null: not known): a stream naming it confirms sync writes
     */
    public record Peer(String host, int port, String id) {
        public Peer {
            Objects.requireNonNull(host, "host");
        }

        public Peer(String host, int port) {
            this(host, port, null);
        }

        public static Peer of(MemberAddress address) {
            return new Peer(address.host(), address.port(), address.id());
        }

        boolean takes(int requested) {
            return port == 0 || port == requested;
        }

        @Override
        public String toString() {
            return host + ":" + (port == 0 ? "*" : Integer.toString(port));
        }
    }

    private Member(String id, MemberDatabase database, Path dataDirectory, MemberState state, Bootstrap bootstrap) {
        this.id = id;
        this.database = database;
        this.dataDirectory = dataDirectory;
        this.state = state;
        this.bootstrap = bootstrap;
    }

    /**
     * Starts a member on {@code dataDirectory}: the role and epoch saved there win over
     * {@code configuredRole}, which only decides the start of a fresh directory. A member alone
     * (no peers) that starts empty as primary starts a new history.
     */
    public static Member start(String id, MemberDatabase database, Path dataDirectory, Role configuredRole) {
        return start(id, database, dataDirectory, configuredRole, Bootstrap.ALONE);
    }

    /**
     * As {@link #start(String, MemberDatabase, Path, Role)}; an empty primary with {@code bootstrap.peers()}
     * takes no write until all of them answered without data (then it starts the history), and
     * fences itself if one of them holds data: it never starts a second history over theirs.
     */
    public static Member start(String id, MemberDatabase database, Path dataDirectory, Role configuredRole,
                               Bootstrap bootstrap) {
        MemberState state = dataDirectory == null ? null : MemberState.load(dataDirectory);
        if (state == null) {
            state = MemberState.initial(configuredRole);
        }
        String stored = database.storedHistory();
        if (stored != null && state.historyId() != null && !stored.equals(state.historyId())) {
            throw new DirkException("the data directory " + dataDirectory + " holds files of history " + stored
                    + " but its member.json says history " + state.historyId() + "; it was mixed by hand: rebuild it");
        }
        if (state.historyId() == null && stored != null) {
            state = state.withHistory(stored);
        }
        if (bootstrap.historyId() != null && state.historyId() != null && !bootstrap.historyId().equals(state.historyId())) {
            throw new DirkException("this member's data belongs to history " + state.historyId() + ", not to history "
                    + bootstrap.historyId() + " it was given (--history-id); it is another cluster's data");
        }
        long logEpoch = database.lastEpoch();
        if (state.highestEpochSeen() < logEpoch) {
            // Its own log has records of that epoch (a poisoned member.json was reset): never promote below them.
            state = state.with(state.role(), state.role() == Role.PRIMARY ? state.epoch() : Math.max(state.epoch(), logEpoch),
                    logEpoch, state.primaryHost(), state.primaryPort());
        }
        if (state.historyId() == null && state.role() != Role.PRIMARY && bootstrap.historyId() != null) {
            state = state.withHistory(bootstrap.historyId()); // it will follow only a primary of that history
        }
        boolean waitForPeers = false;
        boolean startsHistory = false;
        if (state.historyId() == null && state.role() == Role.PRIMARY) {
            if (database.lastLsn() > 0 || bootstrap.peers().isEmpty()) {
                // Alone, or data written before histories had ids (the upgrade rule): this member's data is the history.
                state = state.withHistory(bootstrap.historyId() != null ? bootstrap.historyId() : newHistoryId());
                startsHistory = true;
                LOG.log(System.Logger.Level.INFO, "member {0} starts history {1}", id, state.historyId());
            } else {
                waitForPeers = true;
            }
        }
        if (dataDirectory != null) {
            persist(dataDirectory, state);
        }
        if (state.historyId() != null) {
            database.recordHistory(state.historyId());
        }
        Member member = new Member(id, database, dataDirectory, state, bootstrap);
        if (startsHistory && database.lastLsn() == 0) {
            // A history that did not exist has no other primary: its first one may take writes at once.
            member.renewLease("the start of a new history");
        }
        if (waitForPeers) {
            member.bootstrapWait = io.dirkdb.protocol.WriteRefusals.EMPTY_PRIMARY_WAITING + names(bootstrap.peers())
                    + " to answer, to be sure none of them holds data before it starts a new history";
            database.refuseWrites(member.bootstrapWait);
            Thread thread = new Thread(member::awaitBootstrap, "dirk-bootstrap");
            thread.setDaemon(true);
            thread.start();
        } else {
            member.applyToDatabase(state);
        }
        return member;
    }

    /** A new history id (a random UUID), created once, when the first primary of a cluster starts. */
    public static String newHistoryId() {
        return UUID.randomUUID().toString();
    }

    /** @throws DirkException unless {@code text} is a history id (a UUID) */
    public static String checkedHistoryId(String text) {
        try {
            return UUID.fromString(text.strip()).toString();
        } catch (IllegalArgumentException e) {
            throw new DirkException("a history id is a UUID such as 3f2c8a1e-5b7d-4c1a-9e2f-0a1b2c3d4e5f, not '"
                    + text + "'");
        }
    }

    private static String historyIdOrNull(String text) {
        return text == null ? null : checkedHistoryId(text);
    }

    private static String names(List<MemberAddress> peers) {
        List<String> names = new ArrayList<>();
        peers.forEach(peer -> names.add(peer.toString()));
        return String.join(", ", names);
    }

    /** The empty primary's wait: asks every peer until all answered without data, or one holds data. */
    private void awaitBootstrap() {
        List<HeartbeatProbe> probes = new ArrayList<>();
        bootstrap.peers().forEach(peer -> probes.add(new HeartbeatProbe(peer, 1_000)));
        try {
            while (!closed && bootstrapWait != null) {
                List<String> silent = new ArrayList<>();
                String holder = null;
                for (HeartbeatProbe probe : probes) {
                    try {
                        HeartbeatReport report = probe.probe();
                        // A peer that joined the history this member was given (empty, following it) holds nothing.
                        boolean otherHistory = report.historyId() != null
                                && !report.historyId().equals(bootstrap.historyId());
                        if (report.lsn() > 0 || otherHistory) {
                            holder = probe.member() + " holds data of history " + report.historyId() + " (LSN "
                                    + report.lsn() + ")";
                            break;
                        }
                    } catch (IOException | RuntimeException e) {
                        silent.add(probe.member().toString());
                    }
                }
                if (holder != null) {
                    refuseBootstrap(holder);
                    return;
                }
                if (silent.isEmpty()) {
                    startHistory(null, "no peer holds data");
                    return;
                }
                synchronized (this) {
                    if (bootstrapWait != null) {
                        bootstrapWait = io.dirkdb.protocol.WriteRefusals.EMPTY_PRIMARY_WAITING + String.join(", ", silent)
                                + " to answer, to be sure none of them holds data before it starts a new history";
                        database.refuseWrites(bootstrapWait);
                    }
                    try {
                        wait(BOOTSTRAP_POLL_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        } finally {
            probes.forEach(HeartbeatProbe::close);
        }
    }

    /** The empty primary may take writes: it starts history {@code given} (or a new one). */
    private synchronized void startHistory(String given, String why) {
        if (bootstrapWait == null || state.role() != Role.PRIMARY) {
            return;
        }
        String history = given != null ? given : bootstrap.historyId() != null ? bootstrap.historyId() : newHistoryId();
        MemberState next = state.withHistory(history);
        save(next);
        state = next;
        bootstrapWait = null;
        database.recordHistory(history);
        LOG.log(System.Logger.Level.INFO, "member {0} starts history {1}: {2}", id, history, why);
        renewLease("the start of a new history");
        applyToDatabase(next);
    }

    /** A peer holds data: this empty member must not start another history; it fences itself and waits. */
    private synchronized void refuseBootstrap(String holder) {
        if (bootstrapWait == null || state.role() != Role.PRIMARY) {
            return;
        }
        MemberState next = state.with(Role.FENCED, 0, state.highestEpochSeen(), null, 0);
        bootstrapWait = "this member is empty and " + holder + ": it does not start another history; make it follow "
                + "the current primary (dirk follow) or rebuild it from it (dirk resync)";
        database.refuseWrites(bootstrapWait);
        fenceHeld = false;
        state = next;
        save(next);
        replication.roleChanged(next);
        LOG.log(System.Logger.Level.WARNING, "member {0}: {1}", id, bootstrapWait);
    }

    /**
     * This member's data now belongs to history {@code historyId} (learnt from the primary it streams
     * from or the member it is rebuilt from); a member already in another history refuses.
     *
     * @throws DirkException naming both histories when they differ
     */
    public synchronized void adoptHistory(String historyId) {
        Objects.requireNonNull(historyId, "historyId");
        MemberState current = state;
        if (historyId.equals(current.historyId())) {
            return;
        }
        if (current.historyId() != null) {
            throw new DirkException(otherHistory(historyId));
        }
        MemberState next = current.withHistory(historyId);
        save(next);
        state = next;
        database.recordHistory(historyId);
        LOG.log(System.Logger.Level.INFO, "member {0} joins history {1}", id, historyId);
    }

    /** The error for a peer of history {@code theirs}: names both. */
    public String otherHistory(String theirs) {
        return "the peer belongs to history " + theirs + " but this member (" + id + ") belongs to history "
                + state.historyId() + ": members of different histories never replicate to each other";
    }

    /**
     * From now on this member, as primary, acknowledges writes only while it has heard from its
     * supervisor ({@code dirk heartbeat lease E} at its epoch, or a promotion) or from a streaming
     * secondary within {@code lease}; zero turns the lease off. It starts expired: a primary that
     * restarts waits to be heard from.
     */
    public void useLease(java.time.Duration lease) {
        if (lease.isNegative()) {
            throw new IllegalArgumentException("the primary lease cannot be negative");
        }
        leaseNanos = lease.toNanos();
    }

    /**
     * From now on {@code dirk follow} and {@code dirk resync} name only these members (the other instances
     * of its config.json): a stolen administration session cannot point this member, or its data, at a
     * machine outside the cluster. Never called for a member without a configuration, which follows any.
     */
    public void limitPeersTo(List<Peer> members) {
        clusterMembers = List.copyOf(members);
    }

    /** Resolves the configured members' hosts with {@code resolver} from now on (tests). */
    public void resolvePeersWith(PeerAddresses.Resolver resolver) {
        peerResolver = resolver;
    }

    /**
     * Refuses an address that is not a member of the configuration (the rule: {@link PeerAddresses#names}).
     */
    private void checkClusterMember(String request, String host, int port) {
        List<Peer> members = clusterMembers;
        if (members == null || host == null) {
            return; // standalone: today's behaviour; a missing host is refused by the request itself
        }
        for (Peer member : members) {
            if (member.takes(port) && PeerAddresses.names(host, member.host(), peerResolver)) {
                return;
            }
        }
        throw new DirkException(request + " " + host + ":" + port + " refused: it is not a member of this cluster's "
                + "configuration (members: " + members.stream().map(Peer::toString)
                .collect(java.util.stream.Collectors.joining(", ")) + ")");
    }

    /** The primary lease in milliseconds (0: none). */
    public long leaseMillis() {
        return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(leaseNanos);
    }

    /** Someone entitled to (the supervisor, a promotion, a streaming secondary) has heard from this primary now. */
    public void renewLease(String by) {
        renewLease(by, System.nanoTime());
    }

    /**
     * As {@link #renewLease(String)}, heard from no earlier than {@code sinceNanos}: the lease runs from there.
     * A renewal older than the lease renews nothing; renewals never move the lease back.
     */
    public void renewLease(String by, long sinceNanos) {
        synchronized (leaseLock) { // not this member's monitor: a fence holds that while writes drain
            renewLeaseLocked(by, sinceNanos);
        }
    }

    private void renewLeaseLocked(String by, long sinceNanos) {
        long now = System.nanoTime();
        long since = sinceNanos - now > 0 ? now : sinceNanos;
        if (leaseNanos > 0 && now - since > leaseNanos) {
            LOG.log(System.Logger.Level.DEBUG, "member {0}: a lease renewal by {1} is older than the lease: ignored", id, by);
            return;
        }
        if (leaseEverRenewed && since - leaseRenewedAt <= 0) {
            return;
        }
        leaseRenewedAt = since;
        leaseEverRenewed = true;
        leasePromotedUnrenewed = false;
        if (leaseReportedExpired) {
            leaseReportedExpired = false;
            LOG.log(System.Logger.Level.INFO, "member {0}: primary lease renewed by {1}: acknowledging writes again", id, by);
        }
    }

    /** Null while the lease holds (or there is none); otherwise why this primary may not acknowledge. */
    public String leaseExpiry() {
        long lease = leaseNanos;
        if (lease == 0 || state.role() != Role.PRIMARY) {
            return null;
        }
        long silent = System.nanoTime() - leaseRenewedAt;
        if (leaseEverRenewed && silent <= lease) {
            return null;
        }
        String expired = io.dirkdb.protocol.WriteRefusals.LEASE_EXPIRED + ": not heard from the supervisor or any secondary "
                + (leaseEverRenewed ? "for " + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(silent) + " ms"
                : leasePromotedUnrenewed ? "since its promotion" : "since it started") + " (lease " + leaseMillis() + " ms); another member may be promoted";
        if (!leaseReportedExpired) {
            leaseReportedExpired = true;
            LOG.log(System.Logger.Level.WARNING, "member {0}: {1}; writes are not acknowledged until it is heard from",
                    id, expired);
        }
        return expired;
    }

    /**
     * Called after a write is durable here and before it is acknowledged.
     *
     * @throws DirkException when the lease expired meanwhile: the write is on this member's log, but its outcome
     *                       is unknown (the cluster may go on without it)
     */
    public void checkLeaseBeforeAcknowledging(long lsn) {
        String expired = leaseExpiry();
        if (expired != null) {
            throw new DirkException(expired + "; the write (LSN " + lsn + ") is durable on this member but not "
                    + "acknowledged: " + io.dirkdb.protocol.WriteRefusals.OUTCOME_UNKNOWN);
        }
    }

    /**
     * The ids of the other members its configuration lists, with a port or without one (empty: alone, or started
     * without a configuration).
     */
    public java.util.Set<String> configuredPeerIds() {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        bootstrap.peers().forEach(peer -> ids.add(peer.id()));
        List<Peer> members = clusterMembers;
        if (members != null) {
            members.stream().map(Peer::id).filter(Objects::nonNull).forEach(ids::add);
        }
        ids.remove(id);
        return ids;
    }

    /** How many other members its configuration lists (0: alone, or started without a configuration). */
    public int peerCount() {
        return configuredPeerIds().size();
    }

    /** Whether {@code instanceId} names another member of its configuration (false for null). */
    public boolean isConfiguredPeer(String instanceId) {
        return instanceId != null && configuredPeerIds().contains(instanceId);
    }

    /**
     * The host config.json gives the other member {@code instanceId} (one listed with port 0 included), or null
     * when it names no other member.
     */
    public String configuredHost(String instanceId) {
        if (instanceId == null) {
            return null;
        }
        List<Peer> members = clusterMembers;
        if (members != null) {
            for (Peer peer : members) {
                if (instanceId.equals(peer.id())) {
                    return peer.host();
                }
            }
        }
        for (MemberAddress peer : bootstrap.peers()) {
            if (peer.id().equals(instanceId)) {
                return peer.host();
            }
        }
        return null;
    }

    /**
     * Whether a stream naming {@code instanceId} (null: none) confirms sync writes: one naming another member of
     * its configuration; any stream when this member knows no member ids (standalone, started without config.json).
     */
    public boolean streamConfirms(String instanceId) {
        List<Peer> members = clusterMembers;
        boolean knowsIds = !bootstrap.peers().isEmpty()
                || members != null && members.stream().anyMatch(peer -> peer.id() != null);
        return !knowsIds || configuredHost(instanceId) != null;
    }

    /**
     * What a stream naming {@code instanceId} (another member of its configuration) coming from {@code source} is,
     * from one resolution of that member's configured host (two could disagree, and a stream found unresolvable by
     * one and checked by neither would confirm writes unchecked).
     *
     * @param elsewhere   why it cannot come from that member: its source is none of the host's addresses; else null
     * @param uncheckable why its source cannot be checked now: the host does not resolve (its pod is gone, or the
     *                    cluster DNS is down); else null
     */
    public record StreamSource(String elsewhere, String uncheckable) {
    }

    /** Checks a stream's source against its member's configured host (see {@link StreamSource}). */
    public StreamSource checkStreamSource(String instanceId, java.net.InetAddress source) {
        String host = configuredHost(instanceId);
        if (host == null) {
            return new StreamSource(null, null);
        }
        java.util.Set<java.net.InetAddress> addresses = peerResolver.resolve(host);
        if (addresses.isEmpty()) {
            return new StreamSource(null, "the configuration places member " + instanceId + " at " + host
                    + ", which does not resolve now, so the stream's source cannot be checked");
        }
        return new StreamSource(PeerAddresses.streamFromElsewhere(instanceId, host, source, name -> addresses), null);
    }

    /** Why an empty primary takes no writes yet, or null. */
    public String bootstrapWait() {
        return bootstrapWait;
    }

    public String id() {
        return id;
    }

    public MemberDatabase database() {
        return database;
    }

    public MemberState state() {
        return state;
    }

    public boolean isReady() {
        return ready;
    }

    /** Connects replication and tells it the current role (a secondary starts following). */
    public synchronized void attachReplication(ReplicationLink link) {
        replication = link;
        link.roleChanged(state);
    }

    public ReplicationLink replication() {
        return replication;
    }

    /**
     * True while the member is up and can serve its role: a primary accepting writes, a secondary
     * streaming and not diverged (the HTTP readiness probe). The heartbeat's {@code "ready"} stays
     * "up and not stopping", so a failover still sees secondaries whose primary is gone.
     */
    public boolean servesRole() {
        MemberState current = state;
        if (!ready || current.role() == Role.FENCED || database.storageFailure() != null) {
            return false;
        }
        return current.role() == Role.PRIMARY ? database.writesAllowed() : replication.ready();
    }

    /**
     * Records that a record or a peer carried {@code epoch}, so a later promotion must exceed it; a
     * secondary also takes it as the epoch it reports (the epoch of the primary it follows), so a
     * failover computes the next epoch from it. Epochs only go up: a lower one changes nothing.
     */
    public synchronized void observeEpoch(long epoch) {
        MemberState current = state;
        Epochs.checkPlausible("a peer's", epoch, current.highestEpochSeen());
        boolean follower = current.role() == Role.SECONDARY;
        if (epoch <= current.highestEpochSeen() && (!follower || epoch <= current.epoch())) {
            return;
        }
        MemberState next = current.with(current.role(), follower ? Math.max(current.epoch(), epoch) : current.epoch(),
                Math.max(epoch, current.highestEpochSeen()), current.primaryHost(), current.primaryPort());
        save(next);
        state = next;
    }

    /**
     * A primary that learns of a higher epoch steps down (fenced): another member was promoted, so
     * writes here would fork the history.
     */
    public synchronized void stepDown(long higherEpoch) {
        MemberState current = state;
        if (current.role() != Role.PRIMARY || higherEpoch <= current.epoch()) {
            return;
        }
        Epochs.checkPlausible("a peer's", higherEpoch, current.highestEpochSeen());
        MemberState next = current.with(Role.FENCED, current.epoch(), Math.max(higherEpoch,
                current.highestEpochSeen()), null, 0);
        database.refuseWrites(refusal(next));
        fenceHeld = false;
        state = next;
        save(next);
        replication.roleChanged(next);
    }

    /** Marks the member as going away: heartbeats then say {@code "ready":false}. */
    void markNotReady() {
        ready = false;
    }

    /** @throws DirkException unless this member is the primary */
    public void checkWritable() {
        MemberState current = state;
        String waiting = bootstrapWait;
        if (waiting != null) {
            throw new DirkException(waiting);
        }
        if (current.role() != Role.PRIMARY) {
            throw new DirkException(refusal(current));
        }
        String expired = leaseExpiry();
        if (expired != null) {
            throw new DirkException(expired);
        }
    }

    /** Runs a control statement other than {@code dirk auth} (which belongs to the connection), sent just now. */
    public Result control(ControlStatement statement) {
        return control(statement, System.nanoTime());
    }

    /**
     * As {@link #control(ControlStatement)}, for a request read on a connection whose previous reply was sent
     * at {@code previousAnswerNanos} (0: none): the request was sent after that, which is all this member
     * can know of when. A lease renewal counts from there: one queued while this member was paused (SIGSTOP,
     * a long GC) and read after the lease ran out renews nothing, and one with no earlier answer neither.
     */
    public Result control(ControlStatement statement, long previousAnswerNanos) {
        if (statement instanceof ControlStatement.Heartbeat heartbeat) {
            MemberState current = state;
            if (heartbeat.leaseEpoch() >= 0 && current.role() == Role.PRIMARY && heartbeat.leaseEpoch() == current.epoch()) {
                if (previousAnswerNanos != 0) {
                    renewLease("the supervisor", previousAnswerNanos);
                }
            }
            return new Result.Message(heartbeat());
        }
        if (statement instanceof ControlStatement.Promote promote) {
            // Like a renewal, its lease counts from the previous answer on its connection: a promote the
            // supervisor gave up on and that arrives late gives no lease beyond what the supervisor waits out.
            // With no earlier answer nothing bounds when it was sent: it starts expired until the first renewal.
            return new Result.Message(promote(promote.epoch(), historyIdOrNull(promote.historyId()),
                    previousAnswerNanos != 0 ? previousAnswerNanos : NO_LEASE));
        }
        if (statement instanceof ControlStatement.Fence fence) {
            return new Result.Message(fence(fence.epoch(), fence.hold()));
        }
        if (statement instanceof ControlStatement.Follow follow) {
            checkClusterMember("dirk follow", follow.host(), follow.port());
            return new Result.Message(follow(follow.host(), follow.port(), historyIdOrNull(follow.historyId())));
        }
        if (statement instanceof ControlStatement.Resync resync) {
            checkClusterMember("dirk resync", resync.host(), resync.port());
            if (state.role() == Role.PRIMARY) {
                throw new DirkException("this member is the primary (epoch " + state.epoch()
                        + "); fence it before rebuilding it by a resync");
            }
            return new Result.Message(replication.resync(resync.host(), resync.port(), resync.deflate()));
        }
        if (statement instanceof ControlStatement.Stream || statement instanceof ControlStatement.Snapshot) {
            throw new DirkException("dirk stream and dirk snapshot must be the first request after authentication "
                    + "on a connection of their own");
        }
        throw new IllegalArgumentException("not a member control statement: " + statement);
    }

    /** The heartbeat answer: one line of JSON with id, role, epoch, last LSN and readiness. */
    public String heartbeat() {
        MemberState current = state;
        // A fence under way refuses writes already, though the role changes only once its writes drained.
        boolean draining = fencing && current.role() == Role.PRIMARY;
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("role", draining ? Role.FENCED.wireName() : current.role().wireName());
        node.put("epoch", current.epoch());
        node.put("lsn", database.lastLsn());
        String storageFailure = database.storageFailure();
        node.put("ready", ready && storageFailure == null);
        if (storageFailure != null) {
            node.put("storageFailure", storageFailure);
        }
        node.put("historyId", current.historyId());
        if (current.role() == Role.FENCED || draining) {
            // Read after state: a promote or follow clears it before changing state.
            node.put("fenceHeld", fenceHeld);
        }
        io.dirkdb.engine.MemoryStatus memory = database.memory();
        if (memory != null) {
            node.put("dataBytes", memory.dataBytes());
            node.put("heapUsed", memory.heapUsed());
            node.put("heapMax", memory.heapMax());
            node.put("heapLimit", memory.limitBytes());
            node.put("memoryPressure", memory.pressure() != null);
            if (memory.pressure() != null) {
                node.put("memoryError", memory.pressure());
            }
        }
        String waiting = bootstrapWait;
        if (waiting != null) {
            node.put("bootstrap", waiting);
        }
        if (leaseNanos > 0) {
            // Whatever the role: a supervisor that must wait out a lease another member may hold learns its length.
            node.put("leaseMs", leaseMillis());
        }
        if (current.role() == Role.PRIMARY && !draining && leaseNanos > 0) {
            String expired = leaseExpiry();
            node.put("leaseExpired", expired != null);
            if (expired != null) {
                node.put("leaseError", expired);
            }
        }
        replication.describe(node);
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String promote(long epoch) {
        return promote(epoch, null);
    }

    /**
     * Makes this member the primary at {@code epoch}, which must exceed every epoch it has seen by at
     * most {@link Epochs#MAX_STEP}; {@code historyId} (when given) must be this member's history. An
     * empty member waiting to start a history is thereby told it is the bootstrap member.
     */
    public synchronized String promote(long epoch, String historyId) {
        return promote(epoch, historyId, System.nanoTime());
    }

    /** A {@link #promote(long, String, long)} stamp for "sent at an unknown time": the lease starts expired. */
    public static final long NO_LEASE = 0;

    /**
     * As {@link #promote(long, String)}, sent no earlier than {@code leaseSinceNanos} (a {@link System#nanoTime()}
     * stamp): the primary lease it starts with runs from there, so one read a lease after that starts expired.
     * {@link #NO_LEASE}: when it was sent is unknown, and the lease starts expired until the first renewal.
     */
    public synchronized String promote(long epoch, String historyId, long leaseSinceNanos) {
        MemberState current = state;
        checkSameHistory("dirk promote", historyId);
        if (epoch <= current.highestEpochSeen()) {
            throw new DirkException("cannot promote to epoch " + epoch + ": this member has already seen epoch "
                    + current.highestEpochSeen() + " (the new epoch must be higher)");
        }
        Epochs.checkPlausible("cannot promote: the requested", epoch, current.highestEpochSeen());
        String history = current.historyId() != null ? current.historyId()
                : historyId != null ? historyId : bootstrap.historyId() != null ? bootstrap.historyId() : newHistoryId();
        MemberState next = current.with(Role.PRIMARY, epoch, epoch, null, 0).withHistory(history);
        save(next);
        fenceHeld = false;
        state = next;
        if (bootstrapWait != null) {
            LOG.log(System.Logger.Level.INFO, "member {0} was promoted while empty: it starts history {1}", id, history);
            bootstrapWait = null;
        }
        if (leaseSinceNanos == NO_LEASE) {
            synchronized (leaseLock) { // a renewal of an earlier term must not carry over into this one
                leaseEverRenewed = false;
                leasePromotedUnrenewed = true;
            }
        } else {
            renewLease("its promotion", leaseSinceNanos); // a promotion comes from the supervisor
        }
        database.recordHistory(history);
        // Following stops (and its last batch lands) before the first client write is let in.
        replication.roleChanged(next);
        database.allowWrites(epoch);
        return "primary at epoch " + epoch;
    }

    /** How long a fence lets logged writes finish: well inside the 2000 ms callers wait for its answer. */
    private static final java.time.Duration FENCE_DRAIN = java.time.Duration.ofMillis(1000);

    public String fence() {
        return fence(-1);
    }

    /**
     * As {@link #fence()}, and takes {@code seenEpoch} (when above the highest seen) as seen: a promote to that epoch
     * or below, one still on its way from a supervisor that gave it up, is refused (a fencing token).
     */
    public String fence(long seenEpoch) {
        return fence(seenEpoch, false);
    }

    /**
     * As {@link #fence(long)}; {@code hold}: a held fence (the user's or hibernation's), which no hand-over ends, so
     * the heartbeat says {@code "fenceHeld":true} until a promote, a follow or a plain fence.
     */
    public synchronized String fence(long seenEpoch, boolean hold) {
        MemberState current = state;
        long highest = current.highestEpochSeen();
        if (seenEpoch > highest) {
            Epochs.checkPlausible("cannot fence: the given", seenEpoch, highest);
            highest = seenEpoch;
        }
        MemberState next = current.with(Role.FENCED, current.epoch(), highest, null, 0);
        fencing = current.role() == Role.PRIMARY;
        try {
            // Refuse first: no write may be acknowledged after the fence is.
            database.refuseWrites(refusal(next));
            if (current.role() == Role.PRIMARY) {
                // A clean hand-over: the writes already logged get their confirmation (bounded) instead of
                // "outcome unknown"; none is acknowledged after the fence, whose figures include them.
                replication.drainWrites(database.lastLsn(), FENCE_DRAIN);
            }
            fenceHeld = hold;
            state = next;
        } finally {
            fencing = false;
        }
        save(next);
        // Returns once no acknowledgement decided under the old role is pending: the figures below are final.
        replication.roleChanged(next);
        long logEnd = database.lastLsn();
        long acknowledged = replication.acknowledgedLsn();
        return new FenceReport(next.epoch(), logEnd, acknowledged < 0 ? logEnd : Math.min(acknowledged, logEnd)).message();
    }

    public String follow(String host, int port) {
        return follow(host, port, null);
    }

    /** Makes this member a secondary of {@code host:port}; {@code historyId} (when given) must be its history. */
    public synchronized String follow(String host, int port, String historyId) {
        if (host == null || host.isBlank() || port < 1 || port > 65535) {
            throw new DirkException("dirk follow needs a host and a port between 1 and 65535");
        }
        checkSameHistory("dirk follow", historyId);
        MemberState current = state;
        bootstrapWait = null;
        MemberState next = current.with(Role.SECONDARY, current.epoch(), current.highestEpochSeen(), host, port);
        database.refuseWrites(refusal(next));
        fenceHeld = false;
        state = next;
        save(next);
        replication.roleChanged(next);
        return "secondary at epoch " + next.epoch() + ", following " + host + ":" + port;
    }

    /** Follows {@code host:port} unless this member is the primary now (a resync ending after a promotion). */
    public synchronized boolean followUnlessPrimary(String host, int port) {
        if (state.role() == Role.PRIMARY) {
            return false;
        }
        follow(host, port);
        return true;
    }

    private void checkSameHistory(String request, String historyId) {
        String own = state.historyId();
        if (historyId != null && own != null && !own.equals(historyId)) {
            throw new DirkException(request + " names history " + historyId + " but this member (" + id
                    + ") belongs to history " + own + "; it is not a member of that cluster");
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        replication.close();
        database.close();
    }

    private void applyToDatabase(MemberState current) {
        if (current.role() == Role.PRIMARY) {
            database.allowWrites(current.epoch());
        } else {
            database.refuseWrites(refusal(current));
        }
    }

    static String refusal(MemberState state) {
        String what = state.role() == Role.FENCED ? "fenced" : "a " + state.role().wireName();
        return "this member is " + what + " (epoch " + state.epoch() + "): " + io.dirkdb.protocol.WriteRefusals.NOT_PRIMARY;
    }

    private void save(MemberState next) {
        if (dataDirectory != null) {
            persist(dataDirectory, next);
        }
    }

    private static void persist(Path dataDirectory, MemberState state) {
        try {
            state.save(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the member state in " + dataDirectory, e);
        }
    }
}
