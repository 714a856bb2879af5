package io.dirkdb.proxy;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's routing state: every member with what its last heartbeat said, and the decisions
 * made from it. Writes go to the member that says primary with the highest epoch (a fenced,
 * unreachable or not-ready member never qualifies); reads go round-robin over the serving
 * secondaries and that primary, honouring a session's {@link ReadYourWrites}.
 * Thread-safe: heartbeats update it while client sessions read it.
 */
public final class BackendTable {

    /** One member as last seen. {@code report} is null until it first answers and after it stops answering. */
    public record MemberView(MemberAddress address, HeartbeatReport report, MemberHealth health,
                             String failure, long probedAtNanos, long lagLsn) {}

    /** A member's health before and after a heartbeat, for the monitoring log. */
    public record HealthChange(MemberView previous, MemberView current) {
        public boolean changed() {
            return previous.health() != current.health();
        }
    }

    /**
     * What requests are routed by: the primary and the members that may serve reads (in
     * configuration order), rebuilt on every change so that routing a request takes no lock.
     */
    private record Routing(MemberView primary, List<MemberView> readable) {}

    private List<MemberAddress> members;
    private final Map<String, MemberView> views = new LinkedHashMap<>();
    private volatile Routing routing;
    private final long maxReadLagLsn;
    private final AtomicLong readTurn = new AtomicLong();

    /**
     * @param maxReadLagLsn a secondary whose LSN is more than this behind the primary's gets no reads
     */
    public BackendTable(List<MemberAddress> members, long maxReadLagLsn) {
        this.maxReadLagLsn = maxReadLagLsn;
        replaceMembers(members);
    }

    /** The members now, in configuration order. */
    public synchronized List<MemberAddress> members() {
        return members;
    }

    /**
     * Changes the members (the configuration was edited, e.g. a secondary added): a member kept at
     * the same address keeps what its heartbeats said, a new one is unknown until probed, a removed
     * one gets no more traffic.
     */
    public synchronized void replaceMembers(List<MemberAddress> next) {
        if (next.isEmpty()) {
            throw new IllegalArgumentException("a proxy needs at least one member");
        }
        Map<String, MemberView> kept = new LinkedHashMap<>();
        for (MemberAddress member : next) {
            MemberView previous = views.get(member.id());
            MemberView view = previous != null && previous.address().equals(member) ? previous
                    : new MemberView(member, null, MemberHealth.UNKNOWN, null, 0, 0);
            if (kept.put(member.id(), view) != null) {
                throw new IllegalArgumentException("member id " + member.id() + " appears twice");
            }
        }
        views.clear();
        views.putAll(kept);
        members = List.copyOf(next);
        publishRouting();
        notifyAll();
    }

    public synchronized MemberView view(String memberId) {
        return views.get(memberId);
    }

    public synchronized List<MemberView> views() {
        return List.copyOf(views.values());
    }

    /**
     * Records a heartbeat answer.
     *
     * @param probedAtNanos {@link System#nanoTime()} when the heartbeat request was sent
     * @return the change, or null when {@code member} is no longer a member
     */
    public HealthChange recordHeartbeat(MemberAddress member, HeartbeatReport report, long probedAtNanos) {
        synchronized (this) {
            MemberView previous = existing(member);
            if (previous == null) {
                return null;
            }
            MemberView current = new MemberView(member, report, MemberHealth.SERVING, null, probedAtNanos, 0);
            views.put(member.id(), current);
            current = reassess(current);
            views.put(member.id(), current);
            publishRouting();
            notifyAll();
            return new HealthChange(previous, current);
        }
    }

    /**
     * Records that a member did not answer its heartbeat (refused, timed out, closed).
     *
     * @return the change, or null when {@code member} is no longer a member
     */
    public HealthChange recordUnreachable(MemberAddress member, String failure, long probedAtNanos) {
        synchronized (this) {
            MemberView previous = existing(member);
            if (previous == null) {
                return null;
            }
            MemberView current = new MemberView(member, null, MemberHealth.DOWN, failure, probedAtNanos, 0);
            views.put(member.id(), current);
            publishRouting();
            notifyAll();
            return new HealthChange(previous, current);
        }
    }

    /** The member writes go to now, if any: the ready primary with the highest epoch. */
    public Optional<MemberAddress> writeTarget() {
        MemberView primary = routing.primary();
        return primary == null ? Optional.empty() : Optional.of(primary.address());
    }

    /**
     * Waits up to {@code waitMillis} for a write target: during a failover there is briefly no
     * primary, and a write that waits for the new one is better than one that fails at once.
     */
    public Optional<MemberAddress> awaitWriteTarget(long waitMillis) throws InterruptedException {
        Optional<MemberAddress> known = writeTarget();
        return known.isPresent() ? known : awaitChangedWriteTarget(waitMillis);
    }

    private synchronized Optional<MemberAddress> awaitChangedWriteTarget(long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (true) {
            MemberView primary = primaryView();
            if (primary != null) {
                return Optional.of(primary.address());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Waits up to {@code waitMillis} for the next heartbeat answer or miss to be recorded (or the members to change). */
    public synchronized void awaitNextRecord(long waitMillis) throws InterruptedException {
        TimeUnit.MILLISECONDS.timedWait(this, waitMillis);
    }

    /** The member the next read of this session goes to, or empty when no member can serve it. */
    public Optional<MemberAddress> readTarget(ReadYourWrites session) {
        Routing now = routing;
        MemberView primary = now.primary();
        List<MemberView> candidates = now.readable();
        if (session != null && session.hasWritten()) {
            candidates = holdingLastWrite(session, primary, candidates);
        }
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        int index = (int) Math.floorMod(readTurn.getAndIncrement(), (long) candidates.size());
        return Optional.of(candidates.get(index).address());
    }

    private List<MemberView> holdingLastWrite(ReadYourWrites session, MemberView primary, List<MemberView> candidates) {
        if (session.requiredLsn() < 0 && primary != null && primary.probedAtNanos() - session.lastWriteNanos() > 0
                && primary.report().lsn() >= 0) {
            session.learnRequiredLsn(primary.report().lsn());
        }
        if (session.requiredLsn() >= 0) {
            List<MemberView> holding = candidates.stream()
                    .filter(v -> v.report().lsn() >= session.requiredLsn()).toList();
            if (!holding.isEmpty()) {
                return holding;
            }
            // None has it: after a failover in async mode the write may be lost; the primary is the truth now.
        }
        if (primary != null) {
            return List.of(primary);
        }
        // No primary (failover under way) and the write's LSN unknown: the most advanced member is the best bet.
        return candidates.stream().max((a, b) -> Long.compare(a.report().lsn(), b.report().lsn()))
                .map(List::of).orElse(List.of());
    }

    /** Rebuilds what routing reads; call with the lock held after every change of {@code views}. */
    private void publishRouting() {
        MemberView primary = primaryView();
        List<MemberView> readable = new ArrayList<>();
        for (MemberView view : views.values()) {
            if (view == primary || (view.health() == MemberHealth.SERVING && view.report().isSecondary())) {
                readable.add(view);
            }
        }
        routing = new Routing(primary, List.copyOf(readable));
    }

    /** The view of this member at this address, or null when it has left (a probe may race its removal). */
    private MemberView existing(MemberAddress member) {
        MemberView view = views.get(member.id());
        return view == null || !view.address().equals(member) ? null : view;
    }

    private MemberView primaryView() {
        MemberView best = null;
        for (MemberView view : views.values()) {
            if (view.health() == MemberHealth.SERVING && view.report().isPrimary()
                    && (best == null || view.report().epoch() > best.report().epoch())) {
                best = view;
            }
        }
        return best;
    }

    /** Health of a member that answered, which for a secondary depends on the primary's LSN. */
    private MemberView reassess(MemberView view) {
        HeartbeatReport report = view.report();
        MemberHealth health;
        long lag = 0;
        if (!report.ready()) {
            health = MemberHealth.NOT_READY;
        } else if (HeartbeatReport.PRIMARY.equals(report.role())) {
            health = MemberHealth.SERVING;
        } else if (HeartbeatReport.SECONDARY.equals(report.role())) {
            MemberView primary = primaryView();
            lag = primary == null || report.lsn() < 0 ? 0 : Math.max(0, primary.report().lsn() - report.lsn());
            // A diverged secondary may hold writes the current history never had: no reads for it.
            health = report.diverged() || report.needsResync() || lag > maxReadLagLsn ? MemberHealth.LAGGING : MemberHealth.SERVING;
        } else if (HeartbeatReport.FENCED.equals(report.role())) {
            health = MemberHealth.FENCED;
        } else {
            health = MemberHealth.NOT_READY;
        }
        return new MemberView(view.address(), report, health, view.failure(), view.probedAtNanos(), lag);
    }
}
