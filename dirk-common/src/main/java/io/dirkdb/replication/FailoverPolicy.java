package io.dirkdb.replication;

import io.dirkdb.server.Epochs;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place that decides when a primary counts as lost and which member replaces it.
 * It is pure: the local supervisor and the operator feed it observations and act on its answer.
 *
 * <p>Safety rule in {@link ReplicationMode#SYNC}: a write is acknowledged once one secondary has it,
 * and every secondary's log is a prefix of the primary's, so the secondary with the highest LSN holds
 * every acknowledged write, but only if every secondary answered: one that did not might hold the
 * newest acknowledged writes. So in sync mode every secondary must answer, unless data loss is allowed.
 * The observations must be read after the old primary was fenced: until then it may acknowledge more
 * writes, held by a secondary that was behind when last read; and the fenced primary's answer says up
 * to which LSN it acknowledged, which the chosen member must hold.
 * In async mode the best answering secondary is promoted; writes it had not received are lost, which
 * is what async promises, but in no mode is a member with no log promoted while a silent member held data
 * when last heard from (or the old primary said it acknowledged writes), unless data loss is allowed: that
 * would lose the whole database. A fenced member is a candidate like a secondary (its log is final); a member
 * that does not answer is never one, and in sync mode it blocks the election: it may hold the newest
 * acknowledged writes.
 */
public final class FailoverPolicy {
    private final int failureThreshold;
    private final Duration failoverDelay;
    private final ReplicationMode mode;
    private final boolean allowDataLoss;

    public FailoverPolicy(int failureThreshold, Duration failoverDelay, ReplicationMode mode, boolean allowDataLoss) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1, got " + failureThreshold);
        }
        if (failoverDelay.isNegative()) {
            throw new IllegalArgumentException("failoverDelay must not be negative, got " + failoverDelay);
        }
        this.failureThreshold = failureThreshold;
        this.failoverDelay = failoverDelay;
        this.mode = Objects.requireNonNull(mode);
        this.allowDataLoss = allowDataLoss;
    }

    /** The primary is lost when its process or pod is gone, or after {@code failureThreshold} misses in a row. */
    public boolean primaryLost(MemberObservation primary) {
        return !primary.running() || primary.missedHeartbeats() >= failureThreshold;
    }

    /** A lost primary is replaced only once it has been lost for the configured delay. */
    public boolean delayElapsed(Duration lostFor) {
        return lostFor.compareTo(failoverDelay) >= 0;
    }

    /**
     * Chooses the member to promote among {@code secondaries} (every member but the lost primary).
     *
     * @param highestEpochSeen the highest epoch any member or record has shown; the new primary gets one more
     */
    public Election elect(List<MemberObservation> secondaries, long highestEpochSeen) {
        return elect(secondaries, highestEpochSeen, -1);
    }

    /**
     * The same, knowing that the old primary acknowledged writes up to {@code acknowledgedLsn} (from
     * its answer to the fence; -1 when unknown). Observations must be read after that fence: before
     * it, the primary may still have acknowledged writes that a secondary received after being read.
     * In sync mode a candidate behind {@code acknowledgedLsn} is never promoted (unless data loss is
     * allowed): it would lose writes that were acknowledged.
     */
    public Election elect(List<MemberObservation> secondaries, long highestEpochSeen, long acknowledgedLsn) {
        Optional<MemberObservation> best = mostComplete(secondaries, highestEpochSeen);
        if (best.isEmpty()) {
            return new Election.NoSafeCandidate(secondaries.isEmpty()
                    ? "there is no secondary to promote"
                    : "no secondary is answering heartbeats with a usable log ("
                    + describe(secondaries, highestEpochSeen) + ")");
        }
        if (mode == ReplicationMode.SYNC && !allowDataLoss) {
            List<String> silent = secondaries.stream()
                    .filter(m -> !m.answering() && !m.diverged())
                    .map(MemberObservation::member)
                    .toList();
            if (!silent.isEmpty()) {
                return new Election.NoSafeCandidate("sync replication: " + String.join(", ", silent)
                        + " did not answer and may hold the newest acknowledged writes; promoting "
                        + best.get().member() + " could lose them (set failover.allowDataLoss to accept that)");
            }
        }
        MemberObservation chosen = best.get();
        if (chosen.lsn() <= 0 && !allowDataLoss) {
            // In every mode: async may lose unshipped writes, never the whole database to an empty member (a
            // replaced volume) that would hand the cluster's history to an empty log and rebuild the others from it.
            List<String> holdingData = secondaries.stream()
                    .filter(m -> !m.answering() && !m.diverged() && m.lsn() > 0)
                    .map(m -> m.member() + " (LSN " + m.lsn() + ")")
                    .toList();
            if (!holdingData.isEmpty() || acknowledgedLsn > 0) {
                return new Election.NoSafeCandidate("the best candidate, " + chosen.member() + ", holds no log, but "
                        + (holdingData.isEmpty() ? "the old primary acknowledged writes up to LSN " + acknowledgedLsn
                        : String.join(", ", holdingData) + " did not answer and held data when last heard from")
                        + "; promoting it would lose the whole database (set failover.allowDataLoss to accept that)");
            }
        }
        if (mode == ReplicationMode.SYNC && !allowDataLoss) {
            // A member whose epoch is implausible is never elected, but its LSN may still be true: one ahead of the
            // chosen member may hold acknowledged writes, as a silent one may.
            List<String> ahead = secondaries.stream()
                    .filter(m -> m.answering() && !m.diverged() && !plausibleEpoch(m, highestEpochSeen)
                            && m.lsn() > chosen.lsn())
                    .map(m -> m.member() + " (epoch " + m.epoch() + ", LSN " + m.lsn() + ")")
                    .toList();
            if (!ahead.isEmpty()) {
                return new Election.NoSafeCandidate("sync replication: " + String.join(", ", ahead) + " reports an "
                        + "epoch no promotion could have given (the highest seen is " + highestEpochSeen + "), so it "
                        + "is never promoted, yet its log is ahead of the best candidate, " + chosen.member()
                        + " (LSN " + chosen.lsn() + "), and may hold acknowledged writes; repair or rebuild it (set "
                        + "failover.allowDataLoss to accept the loss)");
            }
        }
        if (mode == ReplicationMode.SYNC && !allowDataLoss && chosen.lsn() < acknowledgedLsn) {
            return new Election.NoSafeCandidate("sync replication: the old primary acknowledged writes up to LSN "
                    + acknowledgedLsn + " but the best candidate, " + chosen.member() + ", holds LSN " + chosen.lsn()
                    + "; promoting it would lose acknowledged writes (it may still catch up; set "
                    + "failover.allowDataLoss to accept the loss)");
        }
        if (highestEpochSeen < 0 || highestEpochSeen >= Epochs.MAX) {
            return new Election.NoSafeCandidate("the highest epoch seen (" + highestEpochSeen + ") leaves no next epoch "
                    + "(epochs end at " + Epochs.MAX + "); a member reported a forged epoch");
        }
        return new Election.Promote(chosen.member(), Epochs.next(highestEpochSeen), chosen.lsn());
    }

    /**
     * The answering member with the most complete log that has not diverged: the highest epoch, then the
     * highest LSN (a longer log of an older epoch is a deposed primary's tail nobody acknowledged), then
     * the lowest name, so every supervisor picks the same one. A fenced member counts: it follows nobody,
     * so its log is final (a secondary detached from the lost primary, or that primary itself when a
     * supervisor starts mid-failover).
     */
    public Optional<MemberObservation> mostComplete(List<MemberObservation> members) {
        return mostComplete(members, Epochs.MAX);
    }

    /**
     * As {@link #mostComplete(List)}, leaving out every member whose epoch no promotion could have given
     * after {@code highestEpochSeen} ({@link Epochs#plausible}): forged, or read from a member.json poisoned
     * before epochs were bounded. Ranked first by its epoch, such a member would win over the most complete log.
     */
    public Optional<MemberObservation> mostComplete(List<MemberObservation> members, long highestEpochSeen) {
        return members.stream()
                .filter(MemberObservation::answering)
                .filter(m -> !m.diverged())
                .filter(m -> plausibleEpoch(m, highestEpochSeen))
                .max(Comparator.comparingLong(MemberObservation::epoch)
                        .thenComparingLong(MemberObservation::lsn)
                        .thenComparing(MemberObservation::member, Comparator.reverseOrder()));
    }

    private static boolean plausibleEpoch(MemberObservation member, long highestEpochSeen) {
        return Epochs.plausible(member.epoch(), highestEpochSeen);
    }

    private static String describe(List<MemberObservation> members, long highestEpochSeen) {
        StringBuilder out = new StringBuilder();
        for (MemberObservation m : members) {
            if (!out.isEmpty()) {
                out.append("; ");
            }
            out.append(m.member()).append(": ");
            if (!m.running()) {
                out.append("not running");
            } else if (m.diverged()) {
                out.append("diverged, needs a resync");
            } else if (!m.answering()) {
                out.append("missed ").append(m.missedHeartbeats()).append(" heartbeats");
            } else if (!plausibleEpoch(m, highestEpochSeen)) {
                out.append("reports epoch ").append(m.epoch()).append(", which no promotion could have given");
            } else {
                out.append(m.role());
            }
        }
        return out.toString();
    }
}
