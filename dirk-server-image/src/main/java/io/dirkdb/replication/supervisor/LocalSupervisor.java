package io.dirkdb.replication.supervisor;

import io.dirkdb.heartbeat.FenceReport;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.replication.Election;
import io.dirkdb.replication.FailoverPolicy;
import io.dirkdb.replication.MemberObservation;
import io.dirkdb.server.Epochs;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failover without Kubernetes: watches the members of one machine (those of {@code dirk demo}) by
 * heartbeat and, when the primary is lost, does what the operator does in a cluster: fences the old
 * primary, reads every other member again (figures from before the fence are stale), promotes the
 * member {@link FailoverPolicy} elects from them with a higher epoch, never one behind what the fenced
 * primary says it acknowledged (sync mode), and repoints the other members at it. The decision is the
 * policy's alone; this class observes and acts.
 *
 * <p>Each round probes every member at once, then decides. A member that comes back later as a
 * primary of an older epoch is fenced and told to follow the current primary; one that reports a
 * diverged log (or one too far behind) is rebuilt with {@code dirk resync}. Every step is logged; a step that fails is
 * tried again on a later round, and with no safe candidate nothing is promoted.
 */
public final class LocalSupervisor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.supervisor");
    /** The default of {@code dirk server --primary-lease-ms}: assumed for a primary never heard from. */
    static final long DEFAULT_PRIMARY_LEASE_MILLIS = 2000;
    /** How often a member whose storage failed is tried again (its disk may still be full). */
    private static final long STORAGE_REPAIR_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** What the supervisor knows of one member. Touched by the round thread only. */
    private static final class Tracked {
        final MemberAddress address;
        int missed;
        HeartbeatReport report; // last answer, kept while it misses heartbeats
        String failure;
        boolean everAnswered;
        String followingKey; // "<primary id>@<epoch>" it was last told to follow
        String resyncKey; // "<primary id>@<epoch>" it was last told to resync from
        long leaseSentNanos; // when it was last sent a lease renewal (0: never)
        long leaseMillis; // its lease, as its heartbeat says
        long detachedNanos; // when this supervisor fenced it as a secondary of the lost primary (0: not detached)
        boolean detachFailed; // its detach went unanswered: it may still acknowledge the lost primary's writes
        long nextRepairNanos; // when a member whose storage failed may be tried again (0: now)
        String otherHistoryLogged; // the other history it was last logged for (null: none)
        long highestEpoch; // the highest plausible epoch it reported
        boolean implausibleEpoch; // its last report says an epoch no promotion could have given

        Tracked(MemberAddress address) {
            this.address = address;
        }

        boolean answering() {
            return missed == 0 && report != null;
        }
    }

    private final Map<String, Tracked> members = new LinkedHashMap<>();
    private final SupervisorSettings settings;
    private final FailoverPolicy policy;
    private final MemberControl control;
    private final ExecutorService probes;
    private final ScheduledExecutorService rounds;

    private volatile String currentPrimary;
    private volatile long currentEpoch;
    /** The highest epoch this supervisor offered in a promotion (answered or not): never offered twice. */
    private long highestEpochOffered;
    private long lostSinceNanos = -1;
    private int roundsWithoutPrimary;
    private String lastRefusal;
    private String lastLeaseWait;
    /** When the last detach went unanswered (0: none): it may have been carried out up to then. */
    private long lastDetachAttemptNanos;
    /** The cluster's history, learnt from the members' heartbeats ({@link #learnClusterHistory}); null until known. */
    private String clusterHistory;
    /** True once a majority of the configured members held {@link #clusterHistory}: it is never learnt again. */
    private boolean historySettled;
    /** While {@link #clusterHistory} is unknown: why it cannot be learned (members disagree), else null. */
    private String historyConflict;
    /**
     * The highest LSN a fenced primary said it acknowledged, for the failover of {@link #acknowledgedFailover}
     * ("<lost primary id>@<epoch>"); -1: none learned. Kept across rounds until that failover completes: a
     * primary that dies after its fence answered cannot say it again, yet those writes were acknowledged.
     */
    private long acknowledgedLsn = -1;
    private String acknowledgedFailover;
    private final AtomicLong failovers = new AtomicLong();
    private final long startedNanos = System.nanoTime();

    public LocalSupervisor(List<MemberAddress> addresses, SupervisorSettings settings, MemberControl control) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("the supervisor needs at least one member");
        }
        for (MemberAddress address : addresses) {
            if (members.put(address.id(), new Tracked(address)) != null) {
                throw new IllegalArgumentException("member id " + address.id() + " appears twice");
            }
        }
        this.settings = settings;
        this.policy = new FailoverPolicy(settings.failureThreshold(), settings.failoverDelay(), settings.mode(),
                settings.allowDataLoss());
        this.control = control;
        AtomicLong threads = new AtomicLong();
        this.probes = Executors.newFixedThreadPool(addresses.size(), task -> daemon(task,
                "dirk-supervisor-probe-" + threads.incrementAndGet()));
        this.rounds = Executors.newSingleThreadScheduledExecutor(task -> daemon(task, "dirk-supervisor"));
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    /** Starts a round now and one every heartbeat interval after the previous one ended. */
    public void start() {
        LOG.log(Level.INFO, "supervising {0}: heartbeat every {1} ms, primary lost after {2} misses, failover delay "
                + "{3} ms, {4} replication", String.join(", ", members.keySet()), settings.heartbeatIntervalMillis(),
                settings.failureThreshold(), settings.failoverDelay().toMillis(), settings.mode().wireName());
        rounds.scheduleWithFixedDelay(this::safeRound, 0, settings.heartbeatIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    /** The member the supervisor holds for primary, or null when it knows none. */
    public String currentPrimary() {
        return currentPrimary;
    }

    /** The epoch of {@link #currentPrimary()}. */
    public long currentEpoch() {
        return currentEpoch;
    }

    /** How many promotions this supervisor made. */
    public long failovers() {
        return failovers.get();
    }

    private void safeRound() {
        try {
            round();
        } catch (RuntimeException e) {
            // One bad round must not stop the supervision: log it, the next round starts afresh.
            LOG.log(Level.ERROR, "supervisor round failed", e);
        }
    }

    /** One round: probe every member, then decide and act. Runs on one thread at a time. */
    synchronized void round() {
        probe(members.values());
        decide();
    }

    /** Heartbeats {@code targets} at once and records what each answered. */
    private void probe(java.util.Collection<Tracked> targets) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        Map<Tracked, Object> outcomes = new LinkedHashMap<>();
        for (Tracked member : targets) {
            // Only the primary that answered the last probe is renewed: after a miss, the lease runs out
            // (the inequality in docs/reference-dirk.md, "Primary lease": the supervisor promotes only after it has).
            // Only a member that said primary holds a lease: a renewal sent to the fenced one renews nothing, and
            // counting it would push the promotion's lease wait back for as long as it answers.
            long leaseEpoch = member.address.id().equals(currentPrimary) && member.answering()
                    && member.report.isPrimary() ? currentEpoch : -1;
            pending.add(CompletableFuture.runAsync(() -> {
                Object outcome;
                if (leaseEpoch >= 0) {
                    // Right before the probe: it renews only if the member answered within one timeout of this (see
                    // HeartbeatProbe.probe), so the member's lease runs at most this + timeout + lease. Read by the
                    // round thread after the join.
                    member.leaseSentNanos = System.nanoTime();
                }
                try {
                    outcome = control.heartbeat(member.address, leaseEpoch);
                } catch (IOException e) {
                    outcome = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                } catch (RuntimeException e) {
                    outcome = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                }
                synchronized (outcomes) {
                    outcomes.put(member, outcome);
                }
            }, probes));
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        // Lowest epochs first, so whether an epoch is plausible does not depend on which member answered first.
        outcomes.entrySet().stream()
                .sorted(java.util.Comparator.comparingLong(outcome -> outcome.getValue() instanceof HeartbeatReport report
                        ? report.epoch() : Long.MIN_VALUE))
                .forEach(outcome -> record(outcome.getKey(), outcome.getValue()));
    }

    private List<MemberObservation> candidates(Tracked lost) {
        List<MemberObservation> candidates = new ArrayList<>();
        for (Tracked member : members.values()) {
            if (member != lost) {
                candidates.add(observe(member));
            }
        }
        return candidates;
    }

    private void logRefusal(Election.NoSafeCandidate refusal) {
        if (!refusal.reason().equals(lastRefusal)) {
            LOG.log(Level.WARNING, "no failover yet: {0}; trying again every heartbeat", refusal.reason());
            lastRefusal = refusal.reason();
        }
    }

    private void record(Tracked member, Object outcome) {
        if (outcome instanceof HeartbeatReport report) {
            if (member.missed > 0 && member.everAnswered) {
                LOG.log(Level.INFO, "{0} answers again as {1} at epoch {2} after {3} missed heartbeats", member.address,
                        report.role(), report.epoch(), member.missed);
            }
            member.missed = 0;
            member.report = report;
            if (report.isPrimary()) {
                member.leaseMillis = report.leaseMillis();
            }
            member.failure = null;
            member.everAnswered = true;
            long highest = highestEpochSeen();
            if (Epochs.plausible(report.epoch(), highest)) {
                member.highestEpoch = Math.max(member.highestEpoch, report.epoch());
                member.implausibleEpoch = false;
            } else {
                if (!member.implausibleEpoch) {
                    LOG.log(Level.WARNING, "{0} reports epoch {1}, which no promotion could have given (the highest "
                            + "seen is {2}): forged, or a corrupt member.json; it is never adopted as primary nor "
                            + "promoted by this supervisor, and its epoch is ignored", member.address,
                            report.epoch(), highest);
                }
                member.implausibleEpoch = true;
            }
        } else {
            member.missed++;
            member.failure = (String) outcome;
            if (member.missed == 1) {
                LOG.log(Level.WARNING, "{0} missed a heartbeat: {1}", member.address, outcome);
            }
        }
    }

    /**
     * The highest epoch a promotion must exceed: those this supervisor offered and the plausible ones its members
     * reported, but not those of members of another history (another cluster's epochs).
     */
    private long highestEpochSeen() {
        long highest = highestEpochOffered;
        for (Tracked member : members.values()) {
            if (!ofOtherHistory(member)) {
                highest = Math.max(highest, member.highestEpoch);
            }
        }
        return highest;
    }

    private void decide() {
        adoptPrimary();
        if (currentPrimary == null) {
            roundsWithoutPrimary++;
            if (roundsWithoutPrimary >= settings.failureThreshold()) {
                failover(null); // no member says primary: elect one among all
            }
            return;
        }
        Tracked primary = members.get(currentPrimary);
        if (primaryLost(primary)) {
            long now = System.nanoTime();
            if (lostSinceNanos < 0) {
                lostSinceNanos = now;
                LOG.log(Level.WARNING, "primary {0} is lost ({1}): failing over", primary.address,
                        !primary.answering() ? primary.missed + " heartbeats missed in a row, last: " + primary.failure
                                : primary.report.ready() ? "it says " + primary.report.role() + " at epoch "
                                + primary.report.epoch() : "it says it is not ready");
            }
            if (policy.delayElapsed(Duration.ofNanos(now - lostSinceNanos))) {
                failover(primary);
            }
        } else {
            lostSinceNanos = -1;
        }
        Tracked now = currentPrimary == null ? null : members.get(currentPrimary);
        if (now != null && now.answering() && !primaryLost(now)) {
            bringMembersInLine(now); // only while the primary answers: members are pointed at a live one
        }
    }

    private boolean primaryLost(Tracked primary) {
        if (primary.answering() && !(primary.report.isPrimary() && primary.report.epoch() >= currentEpoch)) {
            return true; // it answers, but stepped down (or was fenced by hand): it takes no writes
        }
        return policy.primaryLost(observe(primary));
    }

    /**
     * Takes the answering primary with the highest epoch as the one to watch, when none is watched
     * yet or one of a higher epoch shows up (promoted by hand): the older one is then brought in line.
     * A primary of another history (another cluster's data) is never adopted: its epochs count in another
     * cluster, and adopting it would fence this cluster's primary for a member none of ours can follow.
     */
    private void adoptPrimary() {
        learnClusterHistory();
        Tracked best = null;
        for (Tracked member : members.values()) {
            if (member.answering() && member.report.isPrimary() && !ofOtherHistory(member) && !member.implausibleEpoch
                    && (best == null || member.report.epoch() > best.report.epoch())) {
                best = member;
            }
        }
        if (best != null && clusterHistory == null && historyConflict != null) {
            return; // which history is the cluster's is unknown: a primary's epoch may count in another cluster
        }
        if (best != null && (currentPrimary == null || best.report.epoch() > currentEpoch)) {
            currentPrimary = best.address.id();
            currentEpoch = best.report.epoch();
            roundsWithoutPrimary = 0;
            lostSinceNanos = -1;
            LOG.log(Level.INFO, "primary is {0} at epoch {1}", best.address, currentEpoch);
        }
    }

    /**
     * Learns the cluster's history from the answering members that say one (an empty member has none yet).
     * A history held by more than half of all the configured members is the cluster's, for good: the silent
     * ones cannot outvote it, the data a failover must keep is there, and it overrides any earlier guess.
     * Until then the history is a guess, learnt again every round: a primary adopted of the guessed history
     * keeps it (its data is what is served, and leaving it unwatched would let its lease lapse for a stray
     * member); else, when every answering member that says one says the same, that one (the only data in
     * sight); else, when the answering primaries all say one history, theirs. Members that still disagree
     * leave it unknown, and nothing is adopted or promoted until they agree or a person removes the stray
     * data: ranking them by epoch would compare epochs of different clusters.
     */
    private void learnClusterHistory() {
        if (historySettled) {
            return;
        }
        Map<String, List<String>> holders = new LinkedHashMap<>();
        for (Tracked member : members.values()) {
            if (member.answering() && member.report.historyId() != null) {
                holders.computeIfAbsent(member.report.historyId(), history -> new ArrayList<>()).add(member.address.id());
            }
        }
        Tracked adopted = currentPrimary == null ? null : members.get(currentPrimary);
        for (Map.Entry<String, List<String>> held : holders.entrySet()) {
            if (held.getValue().size() * 2 > members.size()) {
                String majority = held.getKey();
                if (clusterHistory != null && !clusterHistory.equals(majority)) {
                    LOG.log(Level.WARNING, "history {0}, held by {1} of the {2} members, is the cluster''s: it "
                            + "overrides {3}, guessed from the members that answered earlier", majority,
                            String.join(", ", held.getValue()), members.size(), clusterHistory);
                }
                if (adopted != null && adopted.report != null && adopted.report.historyId() != null
                        && !majority.equals(adopted.report.historyId())) {
                    LOG.log(Level.WARNING, "{0} is no longer watched as the primary: its data is of history {1}",
                            adopted.address, adopted.report.historyId());
                    currentPrimary = null; // the majority's primary (or a failover among its members) replaces it
                    currentEpoch = 0;
                    lostSinceNanos = -1;
                }
                historySettled = true;
                setClusterHistory(majority, held.getValue(), "held by more than half of the " + members.size()
                        + " members");
                return;
            }
        }
        if (adopted != null && clusterHistory != null && adopted.report != null
                && (adopted.report.historyId() == null || clusterHistory.equals(adopted.report.historyId()))) {
            return; // the adopted primary's history stays the guess until a majority says otherwise
        }
        String learned = holders.size() == 1 ? holders.keySet().iterator().next() : null;
        if (learned == null) {
            List<String> served = members.values().stream().filter(member -> member.answering()
                    && member.report.isPrimary() && member.report.historyId() != null)
                    .map(member -> member.report.historyId()).distinct().toList();
            learned = served.size() == 1 ? served.get(0) : null;
        }
        if (learned != null) {
            setClusterHistory(learned, holders.get(learned), "not yet held by more than half of the " + members.size()
                    + " members: learnt again every heartbeat until it is");
            return;
        }
        if (holders.size() < 2) {
            return; // nobody in sight says a history: the last guess stands
        }
        clusterHistory = null;
        String conflict = holders.size() < 2 ? null : "the members hold data of different histories ("
                + String.join("; ", holders.entrySet().stream().map(held -> held.getKey() + ": "
                        + String.join(", ", held.getValue())).toList())
                + ") and none is held by more than half of the " + members.size() + " members, so this supervisor "
                + "cannot tell which is the cluster's; it adopts and promotes nobody until a person removes the "
                + "stray data";
        if (conflict != null && !conflict.equals(historyConflict)) {
            LOG.log(Level.WARNING, "{0}", conflict);
        }
        historyConflict = conflict;
    }

    private void setClusterHistory(String history, List<String> holders, String why) {
        if (!history.equals(clusterHistory)) {
            LOG.log(Level.INFO, "the cluster''s history is {0} (held by {1}; {2})", history, String.join(", ", holders),
                    why);
        }
        clusterHistory = history;
        historyConflict = null;
    }

    /**
     * Fence the lost primary, read every reachable member again, promote the member elected from
     * those fresh figures, repoint the others: in that order. Figures read before the fence are
     * stale: a slow primary may have acknowledged more writes since, held by another secondary.
     */
    private void failover(Tracked lost) {
        if (clusterHistory == null && historyConflict != null) {
            logRefusal(new Election.NoSafeCandidate(historyConflict)); // never elect across histories
            return;
        }
        members.values().forEach(member -> member.detachFailed = false); // each attempt tries the detach again
        // A first look, from this round's figures: with no candidate at all, the primary is left alone.
        Election election = policy.elect(candidates(lost), highestEpochSeen());
        if (election instanceof Election.NoSafeCandidate refusal) {
            logRefusal(refusal);
            return;
        }
        String failoverKey = lost == null ? null : lost.address.id() + "@" + currentEpoch;
        if (acknowledgedFailover != null && !acknowledgedFailover.equals(failoverKey)) {
            acknowledgedLsn = -1; // another failover (a primary adopted since): what the last one learned is moot
            acknowledgedFailover = null;
        }
        if (lost != null) {
            try {
                String answer = control.fence(lost.address);
                long said = FenceReport.parse(answer).map(FenceReport::acknowledgedLsn).orElse(-1L);
                LOG.log(Level.INFO, "fencing {0}: {1}", lost.address, answer);
                if (said > acknowledgedLsn) {
                    acknowledgedLsn = said;
                    acknowledgedFailover = failoverKey;
                }
            } catch (IOException | RuntimeException e) {
                // A primary that does not answer cannot take writes either, and comes back with a lower epoch.
                LOG.log(Level.INFO, "fencing {0}: it does not answer ({1}); it will be fenced if it comes back{2}",
                        lost.address, e.getMessage(), acknowledgedLsn < 0 ? ""
                                : "; it said earlier in this failover that it acknowledged up to LSN " + acknowledgedLsn
                                + ": no member behind that LSN is promoted");
            }
        }
        long acknowledged = acknowledgedLsn;
        // Also with no primary in sight: the secondaries may follow one this supervisor cannot reach.
        detachSecondaries(lost);
        probe(members.values().stream().filter(member -> member != lost).toList());
        election = policy.elect(candidates(lost), highestEpochSeen(), acknowledged);
        if (election instanceof Election.NoSafeCandidate refusal) {
            logRefusal(refusal); // the fenced primary is lost again next round: the failover is tried again
            if (lost != null && acknowledged >= 0) {
                catchUpFromFencedPrimary(lost, acknowledged);
            }
            return;
        }
        lastRefusal = null;
        Election.Promote promote = (Election.Promote) election;
        Tracked chosen = members.get(promote.member());
        long wait = promotionSafeAtNanos(lost) - System.nanoTime();
        if (wait > 0) {
            String reason = "waiting for the lease of " + (lost == null ? "a primary this supervisor cannot see"
                    : lost.address.toString()) + " to expire before promoting " + chosen.address;
            if (!reason.equals(lastLeaseWait)) {
                LOG.log(Level.INFO, "{0} ({1} ms)", reason, TimeUnit.NANOSECONDS.toMillis(wait));
                lastLeaseWait = reason;
            }
            return;
        }
        try {
            String answer = control.promote(chosen.address, promote.newEpoch(), clusterHistory);
            LOG.log(Level.INFO, "promoted {0} to primary at epoch {1} (log at lsn {2}): {3}", chosen.address,
                    promote.newEpoch(), promote.lsn(), answer);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "promoting {0} to epoch {1} failed: {2}; trying again next heartbeat",
                    chosen.address, promote.newEpoch(), e.getMessage());
            highestEpochOffered = Math.max(highestEpochOffered, promote.newEpoch()); // never offer an epoch twice
            return;
        }
        highestEpochOffered = Math.max(highestEpochOffered, promote.newEpoch());
        acknowledgedLsn = -1; // this failover is over: the new primary holds every acknowledged write
        acknowledgedFailover = null;
        currentPrimary = chosen.address.id();
        currentEpoch = promote.newEpoch();
        lostSinceNanos = -1;
        roundsWithoutPrimary = 0;
        failovers.incrementAndGet();
        chosen.report = new HeartbeatReport(HeartbeatReport.PRIMARY, promote.newEpoch(), promote.lsn(), true);
        chosen.detachedNanos = 0;
        bringMembersInLine(chosen);
    }

    /**
     * When the old primary can no longer acknowledge a write (System.nanoTime; 0: at once). It may until
     * its lease runs out: counted from the last renewal this supervisor sent, plus the probe timeout (the
     * renewal may arrive that late), and from the last detach (its secondaries' acknowledgements renew it
     * while all of them stream). With no primary in sight ({@code lost} null) and a member silent, that
     * member may be a primary renewed by an earlier supervisor and by secondaries until their detach: the
     * longest lease any primary reported (else the default) is waited out from this supervisor's start and
     * from the last detach. A primary that said it has no lease ({@code --primary-lease-ms 0}) bounds nothing.
     */
    private long promotionSafeAtNanos(Tracked lost) {
        if (lost == null) {
            if (members.values().stream().allMatch(Tracked::answering)) {
                return 0; // every member answered and none is primary: there is none to wait for
            }
            long margin = TimeUnit.MILLISECONDS.toNanos(assumedLeaseMillis() + settings.heartbeatTimeoutMillis());
            long from = lastDetachNanos() != 0 && lastDetachNanos() - startedNanos > 0 ? lastDetachNanos() : startedNanos;
            return from + margin;
        }
        long lease = lost.leaseMillis > 0 ? lost.leaseMillis : lost.everAnswered ? 0 : assumedLeaseMillis();
        if (lease == 0 || lost.leaseSentNanos == 0 && lastDetachNanos() == 0 && lost.everAnswered) {
            return 0;
        }
        long margin = TimeUnit.MILLISECONDS.toNanos(lease + settings.heartbeatTimeoutMillis());
        long safeAt = lost.everAnswered ? 0 : startedNanos + margin;
        if (lost.leaseSentNanos != 0 && lost.leaseSentNanos + margin - safeAt > 0) {
            safeAt = lost.leaseSentNanos + margin;
        }
        if (lastDetachNanos() != 0 && lastDetachNanos() + margin - safeAt > 0) {
            safeAt = lastDetachNanos() + margin;
        }
        return safeAt;
    }

    /** The longest lease a primary reported to this supervisor, else the default of {@code --primary-lease-ms}. */
    private long assumedLeaseMillis() {
        long longest = members.values().stream().mapToLong(member -> member.leaseMillis).max().orElse(0);
        return longest > 0 ? longest : DEFAULT_PRIMARY_LEASE_MILLIS;
    }

    /**
     * Detaches every answering secondary from the lost primary by fencing it: it stops following, so it
     * acknowledges no more of the old primary's records (and renews no lease of it), and its log end is
     * final. A primary cut off from the supervisor but not from its secondaries thus cannot acknowledge a
     * write the member about to be promoted would miss. One that cannot be detached counts as not
     * answering: in sync mode the election then refuses, as for any silent member that may hold writes.
     * Each member is detached once per failover; telling it to follow a primary ends that.
     */
    private void detachSecondaries(Tracked lost) {
        for (Tracked member : members.values()) {
            if (member == lost || member.detachedNanos != 0 || !member.answering()
                    || !HeartbeatReport.SECONDARY.equals(member.report.role()) || ofOtherHistory(member)) {
                continue; // a secondary of another history follows another cluster's primary: not ours to detach
            }
            try {
                String answer = control.fence(member.address);
                member.detachedNanos = System.nanoTime();
                member.detachFailed = false;
                member.followingKey = null; // it follows nobody now: whichever primary wins, it is told to follow
                LOG.log(Level.INFO, "detaching {0} from {1} before electing: {2}", member.address,
                        lost == null ? "the primary it follows" : lost.address, answer);
            } catch (IOException | RuntimeException e) {
                member.detachFailed = true;
                // The request may have reached it (only the answer was lost): it renewed the lost primary's
                // lease at most until now. Until it is read again it counts as silent.
                lastDetachAttemptNanos = System.nanoTime();
                LOG.log(Level.WARNING, "detaching {0} from {1} failed: {2}", member.address,
                        lost == null ? "the primary it follows" : lost.address, e.getMessage());
            }
        }
    }

    /**
     * The fenced primary acknowledged up to {@code acknowledged} and every candidate is behind: detached,
     * none receives anything more. The most complete one follows the fenced primary, which takes no
     * writes but still serves its final log, until it holds that LSN; the next attempt promotes it.
     */
    private void catchUpFromFencedPrimary(Tracked lost, long acknowledged) {
        MemberObservation best = policy.mostComplete(candidates(lost), highestEpochSeen()).orElse(null);
        if (best == null || best.lsn() >= acknowledged) {
            return; // refused for another reason (a silent member): pulling would not help
        }
        Tracked member = members.get(best.member());
        String key = "catch-up from " + lost.address.id() + "@" + currentEpoch;
        if (key.equals(member.followingKey)) {
            return;
        }
        try {
            LOG.log(Level.INFO, "{0} holds LSN {1} but the fenced {2} acknowledged up to LSN {3}: it takes the missing "
                    + "records from {2} before it is promoted: {4}", member.address, best.lsn(), lost.address,
                    acknowledged, control.follow(member.address, lost.address, clusterHistory));
            member.followingKey = key;
            member.detachFailed = false;
            if (member.detachedNanos == 0) {
                member.detachedNanos = System.nanoTime(); // it follows a fenced member: nothing it acks renews a lease
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "telling {0} to catch up from the fenced {1} failed: {2}; trying again next heartbeat",
                    member.address, lost.address, e.getMessage());
        }
    }

    private long lastDetachNanos() {
        long last = lastDetachAttemptNanos;
        for (Tracked member : members.values()) {
            if (member.detachedNanos != 0 && (last == 0 || member.detachedNanos - last > 0)) {
                last = member.detachedNanos;
            }
        }
        return last;
    }

    /**
     * Every answering member other than the primary must follow it: an older primary is fenced
     * first; a member not yet following this primary is told to; one whose log cannot continue from
     * the primary's (diverged, or too far behind) is rebuilt by a resync, once per primary.
     */
    private void bringMembersInLine(Tracked primary) {
        String key = primary.address.id() + "@" + currentEpoch;
        String primaryEndpoint = primary.address.host() + ":" + primary.address.port();
        for (Tracked member : members.values()) {
            if (member != primary && ofOtherHistory(member)) {
                continue; // another cluster's data: never fenced, repointed (it would refuse) or rebuilt over
            }
            if (member != primary && member.answering() && member.report.storageFailure() != null) {
                repairStorage(member, primary, key);
                continue;
            }
            if (member == primary || !member.answering() || !member.report.ready()) {
                continue; // a member starting or stopping is dealt with once it is up
            }
            HeartbeatReport report = member.report;
            if (HeartbeatReport.PRIMARY.equals(report.role())) {
                if (report.epoch() >= currentEpoch) {
                    continue; // not older than ours: promoted by someone else; never fence it blindly
                }
                try {
                    LOG.log(Level.WARNING, "{0} came back as primary of epoch {1} (current epoch {2}): fencing it: {3}",
                            member.address, report.epoch(), currentEpoch, control.fence(member.address));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "fencing {0} failed: {1}; trying again next heartbeat", member.address,
                            e.getMessage());
                    continue;
                }
                member.followingKey = null;
            } else if (report.mustResync()) {
                resync(member, primary, key);
                continue;
            }
            if (key.equals(member.followingKey)
                    || HeartbeatReport.SECONDARY.equals(report.role()) && primaryEndpoint.equals(report.following())) {
                continue;
            }
            try {
                LOG.log(Level.INFO, "repointing {0} at {1}: {2}", member.address, primary.address,
                        control.follow(member.address, primary.address, clusterHistory));
                member.followingKey = key;
                member.detachedNanos = 0;
                member.detachFailed = false;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "repointing {0} at {1} failed: {2}; trying again next heartbeat",
                        member.address, primary.address, e.getMessage());
            }
        }
    }

    /**
     * A member whose log could not be written (a full disk) serves nothing until a restart or a resync:
     * it is fenced if it still says primary, then rebuilt from the primary by a resync, which clears the
     * failure once space is back. While the disk is still full the resync fails: tried again every
     * {@link #STORAGE_REPAIR_RETRY_NANOS}.
     */
    private void repairStorage(Tracked member, Tracked primary, String key) {
        long now = System.nanoTime();
        if (member.nextRepairNanos != 0 && now - member.nextRepairNanos < 0) {
            return;
        }
        member.nextRepairNanos = now + STORAGE_REPAIR_RETRY_NANOS;
        if (member.nextRepairNanos == 0) {
            member.nextRepairNanos = 1;
        }
        try {
            if (HeartbeatReport.PRIMARY.equals(member.report.role())) {
                LOG.log(Level.WARNING, "{0} is primary of epoch {1} but its storage failed ({2}): fencing it: {3}",
                        member.address, member.report.epoch(), member.report.storageFailure(),
                        control.fence(member.address));
            }
            LOG.log(Level.WARNING, "{0}: its storage failed ({1}); rebuilding it from {2}: {3}", member.address,
                    member.report.storageFailure(), primary.address, control.resync(member.address, primary.address));
            member.followingKey = key; // a resync ends with the member following the primary
            member.resyncKey = key;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "rebuilding {0}, whose storage failed, from {1} failed: {2}; trying again in {3} ms",
                    member.address, primary.address, e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(STORAGE_REPAIR_RETRY_NANOS));
        }
    }

    /** Rebuilds a member that cannot follow: tried once per primary, then left to a person, with the command. */
    private void resync(Tracked member, Tracked primary, String key) {
        if (key.equals(member.resyncKey)) {
            return;
        }
        member.resyncKey = key;
        String why = member.report.diverged() ? "its log diverged from the history of " + primary.address
                : "it is too far behind " + primary.address;
        LOG.log(Level.WARNING, "{0} needs `dirk resync`: {1}; rebuilding it", member.address, why);
        try {
            LOG.log(Level.INFO, "resync of {0} from {1}: {2}", member.address, primary.address,
                    control.resync(member.address, primary.address));
            member.followingKey = key; // a resync ends with the member following the primary
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "resync of {0} failed: {1}; run `dirk resync ''{2}'' {3};` on it by hand",
                    member.address, e.getMessage(), primary.address.host(), primary.address.port());
        }
    }

    /**
     * Whether {@code member} last said its data belongs to a history other than the cluster's (known only
     * once learned). Logged once per history it says: a person must see to it (wrong volume, wrong address).
     */
    private boolean ofOtherHistory(Tracked member) {
        HeartbeatReport report = member.report;
        String history = report == null ? null : report.historyId();
        boolean other = history != null && clusterHistory != null && !clusterHistory.equals(history);
        if (other && !history.equals(member.otherHistoryLogged)) {
            LOG.log(Level.WARNING, "{0} holds data of history {1}, not of this cluster''s history {2}: it is never "
                    + "adopted, promoted, fenced, repointed or rebuilt by this supervisor; check its data directory "
                    + "and address", member.address, history, clusterHistory);
        }
        member.otherHistoryLogged = other ? history : null;
        return other;
    }

    private MemberObservation observe(Tracked member) {
        HeartbeatReport report = member.report;
        String role = report == null ? "" : report.ready() ? report.role() : "";
        if (member.detachedNanos != 0 && "fenced".equals(role)) {
            role = HeartbeatReport.SECONDARY; // fenced by this supervisor only to detach it: still a candidate
        }
        // A member of another history is never a candidate, like one whose log diverged.
        boolean otherHistory = ofOtherHistory(member);
        // A secondary whose detach went unanswered counts as silent: it may hold writes the others lack.
        return new MemberObservation(member.address.id(), true, member.missed + (member.detachFailed ? 1 : 0), role,
                report == null ? 0 : report.epoch(), report == null ? -1 : report.lsn(),
                report != null && report.mustResync() || otherHistory);
    }

    @Override
    public void close() {
        rounds.shutdownNow();
        try {
            rounds.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probes.shutdownNow();
        control.close();
    }
}
