package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailoverPolicyTest {

    private static MemberObservation secondary(String name, long lsn) {
        return new MemberObservation(name, true, 0, "secondary", 3, lsn, false);
    }

    private static MemberObservation silent(String name, int misses) {
        return new MemberObservation(name, true, misses, "secondary", 3, 0, false);
    }

    private final FailoverPolicy async = new FailoverPolicy(3, Duration.ZERO, ReplicationMode.ASYNC, false);
    private final FailoverPolicy sync = new FailoverPolicy(3, Duration.ZERO, ReplicationMode.SYNC, false);

    @Test
    void primaryMissingFewerHeartbeatsThanThresholdIsNotLost() {
        assertThat(async.primaryLost(new MemberObservation("p", true, 2, "primary", 3, 10, false))).isFalse();
        assertThat(async.primaryLost(new MemberObservation("p", true, 3, "primary", 3, 10, false))).isTrue();
    }

    @Test
    void primaryWhosePodIsGoneIsLostAtOnce() {
        assertThat(async.primaryLost(new MemberObservation("p", false, 0, "primary", 3, 10, false))).isTrue();
    }

    @Test
    void failoverWaitsForTheConfiguredDelay() {
        FailoverPolicy delayed = new FailoverPolicy(3, Duration.ofSeconds(5), ReplicationMode.ASYNC, false);
        assertThat(delayed.delayElapsed(Duration.ofSeconds(4))).isFalse();
        assertThat(delayed.delayElapsed(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void promotesSecondaryWithHighestLsnAtNextEpoch() {
        Election e = async.elect(List.of(secondary("a", 10), secondary("b", 42), secondary("c", 41)), 3);
        assertThat(e).isEqualTo(new Election.Promote("b", 4, 42));
    }

    @Test
    void equalLogsPickTheLowestNameSoEverySupervisorAgrees() {
        Election e = async.elect(List.of(secondary("m3", 7), secondary("m2", 7)), 1);
        assertThat(e).isEqualTo(new Election.Promote("m2", 2, 7));
    }

    @Test
    void neverPromotesDivergedOrSilentMembers() {
        Election e = async.elect(List.of(
                new MemberObservation("diverged", true, 0, "secondary", 3, 99, true),
                silent("silent", 1),
                secondary("ok", 5)), 3);
        assertThat(e).isEqualTo(new Election.Promote("ok", 4, 5));
    }

    /**
     * A fenced member (detached from the lost primary, or the old primary itself seen by a supervisor
     * that restarted mid-failover) follows nobody: its log is final, so it is a candidate by its LSN.
     * Before, it was dropped from the candidates without counting as silent, and a member behind it
     * was promoted (hostile review A).
     */
    @Test
    void fencedMemberIsACandidateByItsLsn() {
        MemberObservation fenced = new MemberObservation("m3", true, 0, "fenced", 3, 12, false);
        assertThat(sync.elect(List.of(secondary("m2", 10), fenced), 3)).isEqualTo(new Election.Promote("m3", 4, 12));
        assertThat(async.elect(List.of(secondary("m2", 10), fenced), 3)).isEqualTo(new Election.Promote("m3", 4, 12));
    }

    /** A longer log of an older epoch is a deposed primary's unacknowledged tail: the newer epoch wins. */
    @Test
    void newerEpochWinsOverALongerLogOfAnOlderEpoch() {
        MemberObservation deposed = new MemberObservation("m1", true, 0, "fenced", 2, 30, false);
        assertThat(sync.elect(List.of(deposed, secondary("m2", 20)), 3)).isEqualTo(new Election.Promote("m2", 4, 20));
    }

    @Test
    void noCandidateExplainsWhy() {
        Election e = async.elect(List.of(
                new MemberObservation("gone", false, 0, "", 0, 0, false),
                new MemberObservation("div", true, 0, "secondary", 3, 9, true)), 3);
        assertThat(e).isInstanceOfSatisfying(Election.NoSafeCandidate.class, n ->
                assertThat(n.reason()).contains("gone: not running").contains("div: diverged"));
        assertThat(async.elect(List.of(), 3)).isInstanceOf(Election.NoSafeCandidate.class);
    }

    @Test
    void syncModeRefusesWhenASecondaryMightHoldNewerAcknowledgedWrites() {
        Election e = sync.elect(List.of(secondary("a", 10), silent("b", 3)), 3);
        assertThat(e).isInstanceOfSatisfying(Election.NoSafeCandidate.class, n ->
                assertThat(n.reason()).contains("b did not answer").contains("allowDataLoss"));
    }

    @Test
    void syncModePromotesWhenEverySecondaryAnswered() {
        assertThat(sync.elect(List.of(secondary("a", 10), secondary("b", 12)), 3))
                .isEqualTo(new Election.Promote("b", 4, 12));
    }

    @Test
    void allowDataLossLetsSyncModePromoteTheBestAnsweringSecondary() {
        FailoverPolicy lossy = new FailoverPolicy(3, Duration.ZERO, ReplicationMode.SYNC, true);
        assertThat(lossy.elect(List.of(secondary("a", 10), silent("b", 3)), 3))
                .isEqualTo(new Election.Promote("a", 4, 10));
    }

    @Test
    void rejectsNonsenseSettings() {
        assertThatThrownBy(() -> new FailoverPolicy(0, Duration.ZERO, ReplicationMode.ASYNC, false))
                .hasMessageContaining("failureThreshold");
        assertThatThrownBy(() -> ReplicationMode.parse("quorum")).hasMessageContaining("async or sync");
    }

    @Test
    void electionNeverOverflowsTheEpoch() {
        Election election = async.elect(List.of(secondary("m2", 10)), Long.MAX_VALUE, 0);
        assertThat(election).isInstanceOf(Election.NoSafeCandidate.class);
        assertThat(((Election.NoSafeCandidate) election).reason()).contains("forged epoch");
        assertThat(async.elect(List.of(secondary("m2", 10)), 7, 0)).isEqualTo(new Election.Promote("m2", 8, 10));
    }

    @Test
    void syncNeverElectsACandidateBehindTheAcknowledgedLsnOfTheFencedPrimary() {
        List<MemberObservation> secondaries = List.of(secondary("m2", 10), secondary("m3", 9));
        assertThat(sync.elect(secondaries, 3, 12)).isInstanceOf(Election.NoSafeCandidate.class)
                .extracting(e -> ((Election.NoSafeCandidate) e).reason()).asString()
                .contains("acknowledged writes up to LSN 12").contains("m2").contains("holds LSN 10");
        assertThat(sync.elect(secondaries, 3, 10)).isEqualTo(new Election.Promote("m2", 4, 10));
        // Async promises no more than the best secondary's log; allowing data loss says the same in sync.
        assertThat(async.elect(secondaries, 3, 12)).isEqualTo(new Election.Promote("m2", 4, 10));
        FailoverPolicy lossy = new FailoverPolicy(3, Duration.ZERO, ReplicationMode.SYNC, true);
        assertThat(lossy.elect(secondaries, 3, 12)).isEqualTo(new Election.Promote("m2", 4, 10));
    }

    /** An epoch no promotion could have given (forged, or a poisoned member.json) never ranks a log first. */
    @Test
    void candidateWithAnImplausibleEpochIsNeverElectedOverTheMostCompleteLog() {
        MemberObservation liar = new MemberObservation("m3", true, 0, "secondary", 1L << 60, 9, false);
        assertThat(sync.elect(List.of(secondary("m2", 12), liar), 3, -1)).isEqualTo(new Election.Promote("m2", 4, 12));
        assertThat(async.elect(List.of(secondary("m2", 12), liar), 3, -1)).isEqualTo(new Election.Promote("m2", 4, 12));
        MemberObservation farAhead = new MemberObservation("m3", true, 0, "secondary", 3 + 2_000_000, 9, false);
        assertThat(async.elect(List.of(secondary("m2", 12), farAhead), 3, -1))
                .isEqualTo(new Election.Promote("m2", 4, 12));
        assertThat(async.elect(List.of(liar), 3, -1)).isInstanceOf(Election.NoSafeCandidate.class)
                .extracting(e -> ((Election.NoSafeCandidate) e).reason()).asString()
                .contains("m3: reports epoch " + (1L << 60));
    }

    /** Its LSN may still be true: in sync mode one ahead of the best candidate may hold acknowledged writes. */
    @Test
    void syncRefusesWhileAMemberWithAnImplausibleEpochIsAheadOfTheBestCandidate() {
        MemberObservation liar = new MemberObservation("m3", true, 0, "secondary", 1L << 60, 15, false);
        assertThat(sync.elect(List.of(secondary("m2", 12), liar), 3, -1)).isInstanceOf(Election.NoSafeCandidate.class)
                .extracting(e -> ((Election.NoSafeCandidate) e).reason()).asString()
                .contains("m3 (epoch " + (1L << 60) + ", LSN 15)").contains("never promoted");
        assertThat(async.elect(List.of(secondary("m2", 12), liar), 3, -1)).isEqualTo(new Election.Promote("m2", 4, 12));
    }

    @Test
    void memberWithNoLogIsNeverElectedWhileASilentMemberHeldDataInAnyMode() {
        List<MemberObservation> members = List.of(secondary("empty", 0),
                new MemberObservation("down", true, 4, "secondary", 3, 12, false));
        assertThat(async.elect(members, 3)).isInstanceOf(Election.NoSafeCandidate.class);
        assertThat(((Election.NoSafeCandidate) async.elect(members, 3)).reason()).contains("down (LSN 12)")
                .contains("allowDataLoss");
        assertThat(sync.elect(members, 3)).isInstanceOf(Election.NoSafeCandidate.class);
        FailoverPolicy lossy = new FailoverPolicy(3, Duration.ZERO, ReplicationMode.ASYNC, true);
        assertThat(lossy.elect(members, 3)).isEqualTo(new Election.Promote("empty", 4, 0));
        // A silent member that never held data blocks nothing in async mode: a new cluster starts empty.
        assertThat(async.elect(List.of(secondary("empty", 0), silent("new", 3)), 3)).isInstanceOf(Election.Promote.class);
    }
}
