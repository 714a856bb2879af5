package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.replication.ReplicationMode;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalSupervisorTest {
    private final FakeMembers cluster = new FakeMembers()
            .add("m1", "primary", 1, 12)
            .add("m2", "secondary", 0, 12)
            .add("m3", "secondary", 0, 9);
    private LocalSupervisor supervisor;

    private LocalSupervisor supervisor(ReplicationMode mode) {
        supervisor = new LocalSupervisor(cluster.addresses(), SupervisorSettings.defaults(mode), cluster);
        return supervisor;
    }

    @AfterEach
    void stop() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    private void rounds(int count) {
        for (int i = 0; i < count; i++) {
            supervisor.round();
        }
    }

    @Test
    void startingSupervisorPointsEverySecondaryAtThePrimary() {
        supervisor(ReplicationMode.ASYNC);
        rounds(2);
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        assertThat(cluster.actions).containsExactly("follow m2 m1", "follow m3 m1");
    }

    @Test
    void primaryMissingFewerHeartbeatsThanTheThresholdIsNotFailedOver() {
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        rounds(2); // threshold 3
        cluster.get("m1").answering = true;
        rounds(3);
        assertThat(cluster.actions).isEmpty();
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        assertThat(supervisor.failovers()).isZero();
    }

    @Test
    void lostPrimaryIsFencedThenBestSecondaryPromotedThenOthersRepointed() {
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        rounds(3);
        assertThat(cluster.actions).containsExactly("fence m1", "fence m2", "fence m3", "promote m2 2", "follow m3 m2");
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
        assertThat(supervisor.currentEpoch()).isEqualTo(2);
        rounds(3);
        assertThat(cluster.actions).as("nothing more to do while m1 stays away").hasSize(5);
    }

    @Test
    void noSafeCandidateMeansNoPromotionUntilOneIsSafe() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        cluster.get("m3").answering = false; // m3 might hold the newest acknowledged write
        rounds(10);
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("promote"));
        assertThat(cluster.get("m2").role).isEqualTo("secondary");

        cluster.get("m3").answering = true;
        rounds(1);
        assertThat(cluster.actions).contains("promote m2 2");
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
    }

    @Test
    void oldPrimaryComingBackWithOlderEpochIsFencedAndToldToFollow() {
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.get("m1").answering = false;
        rounds(3);
        cluster.actions.clear();
        cluster.get("m1").answering = true; // still says primary at epoch 1
        rounds(1);
        assertThat(cluster.actions).containsExactly("fence m1", "follow m1 m2");
        assertThat(cluster.get("m1").role).isEqualTo("secondary");
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
    }

    @Test
    void divergedMemberIsNotPromotedButRebuiltFromTheNewPrimaryOnce() {
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.get("m2").diverged = true; // highest LSN, but its log is not the primary's
        cluster.get("m1").answering = false;
        cluster.actions.clear();
        rounds(3);
        assertThat(cluster.actions).containsExactly("fence m1", "fence m2", "fence m3", "promote m3 2", "resync m2 m3");
        cluster.get("m2").diverged = true; // the resync did not help: left to a person, not retried
        rounds(3);
        assertThat(cluster.actions).hasSize(5);
    }

    @Test
    void secondaryAlreadyFollowingThePrimaryIsNotToldAgain() {
        var m1 = cluster.get("m1").address;
        cluster.get("m2").following = m1.host() + ":" + m1.port();
        cluster.get("m3").following = m1.host() + ":" + m1.port();
        supervisor(ReplicationMode.SYNC);
        rounds(3);
        assertThat(cluster.actions).isEmpty();
    }

    @Test
    void failedPromotionIsRetriedWithAHigherEpoch() {
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.get("m2").highestEpochSeen = 2; // told of epoch 2 by someone else earlier
        cluster.get("m1").answering = false;
        cluster.actions.clear();
        rounds(4);
        assertThat(cluster.actions).containsSubsequence("promote m2 2", "promote m2 3", "follow m3 m2");
        assertThat(supervisor.currentEpoch()).isEqualTo(3);
    }

    @Test
    void primaryPromotedByHandAtAHigherEpochIsAdoptedAndTheOldOneBroughtInLine() {
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m3").role = "primary"; // dirk promote 5; sent to m3 by a person
        cluster.get("m3").epoch = 5;
        rounds(1);
        assertThat(supervisor.currentPrimary()).isEqualTo("m3");
        assertThat(supervisor.currentEpoch()).isEqualTo(5);
        assertThat(cluster.actions).containsExactly("fence m1", "follow m1 m3", "follow m2 m3");
    }

    @Test
    void memberOfAnotherHistoryIsNeverPromoted() {
        cluster.get("m1").historyId = "11111111-1111-1111-1111-111111111111";
        cluster.get("m2").historyId = "22222222-2222-2222-2222-222222222222"; // the longest log, of another cluster
        cluster.get("m2").lsn = 50;
        cluster.get("m3").historyId = "11111111-1111-1111-1111-111111111111";
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        rounds(4);
        assertThat(cluster.actions).contains("promote m3 2").doesNotContain("promote m2 2");
        assertThat(supervisor.currentPrimary()).isEqualTo("m3");
    }

    /**
     * Review 12: adoptPrimary takes the answering primary with the highest epoch whatever its history. A member
     * that says primary at a higher epoch of another history (a volume restored from another cluster, a member
     * pointed at the wrong data directory) is adopted, and the cluster's own primary m1 is fenced and told to
     * follow it (which it refuses: another history): the cluster is left without a writable primary.
     */
    @Test
    void primaryOfAnotherHistoryIsNeverAdoptedAndTheClustersPrimaryIsNotFencedForIt() {
        String cluster1 = "11111111-1111-1111-1111-111111111111";
        for (String id : new String[] {"m1", "m2", "m3"}) {
            cluster.get(id).historyId = cluster1;
        }
        supervisor(ReplicationMode.ASYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake m3 = cluster.get("m3");
        m3.historyId = "22222222-2222-2222-2222-222222222222";
        m3.role = HeartbeatReport.PRIMARY;
        m3.epoch = 5;
        m3.highestEpochSeen = 5;
        rounds(2);
        assertThat(cluster.actions).doesNotContain("fence m1");
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
    }

    /**
     * Review 12: a supervisor that starts with no primary in sight has no cluster history yet (it learns it only
     * from a primary's heartbeat), so observe() marks no member as of another history and the election among
     * fenced members ranks them by epoch alone: m3, of another history at a higher epoch, is promoted over m1
     * and m2, which hold this cluster's data; the proxy then sends the applications' writes to it.
     */
    @Test
    void supervisorStartingWithoutAPrimaryNeverPromotesAMemberOfAnotherHistory() {
        for (String id : new String[] {"m1", "m2"}) {
            cluster.get(id).role = HeartbeatReport.FENCED;
            cluster.get(id).epoch = 1;
            cluster.get(id).historyId = "11111111-1111-1111-1111-111111111111";
        }
        FakeMembers.Fake m3 = cluster.get("m3");
        m3.role = HeartbeatReport.FENCED;
        m3.epoch = 3;
        m3.highestEpochSeen = 3;
        m3.historyId = "22222222-2222-2222-2222-222222222222";
        supervisor(ReplicationMode.SYNC);
        rounds(4);
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("promote m3"));
    }

    @Test
    void supervisorStartingWithoutAPrimaryLearnsTheMajoritysHistoryAndPromotesWithItsHistoryClause() {
        String cluster1 = "11111111-1111-1111-1111-111111111111";
        for (String id : new String[] {"m1", "m2"}) {
            cluster.get(id).role = HeartbeatReport.FENCED;
            cluster.get(id).epoch = 1;
            cluster.get(id).historyId = cluster1;
        }
        FakeMembers.Fake m3 = cluster.get("m3");
        m3.role = HeartbeatReport.FENCED;
        m3.epoch = 3;
        m3.highestEpochSeen = 3;
        m3.historyId = "22222222-2222-2222-2222-222222222222";
        supervisor(ReplicationMode.ASYNC);
        rounds(4);
        assertThat(cluster.promotedWithHistory).containsExactly("m1 " + cluster1);
        assertThat(cluster.actions).doesNotContain("follow m3 m1");
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
    }

    @Test
    void membersOfDifferentHistoriesWithNoMajorityAndNoPrimaryAreNeverPromoted() {
        cluster.get("m1").role = HeartbeatReport.FENCED;
        cluster.get("m1").historyId = "11111111-1111-1111-1111-111111111111";
        cluster.get("m2").role = HeartbeatReport.FENCED;
        cluster.get("m2").epoch = 4;
        cluster.get("m2").highestEpochSeen = 4;
        cluster.get("m2").historyId = "22222222-2222-2222-2222-222222222222";
        cluster.get("m3").lsn = 0; // empty: no history yet
        supervisor(ReplicationMode.ASYNC);
        rounds(4);
        assertThat(cluster.actions).isEmpty();
        assertThat(supervisor.currentPrimary()).isNull();
    }

    @Test
    void primaryServingWithAStrayMemberOfAnotherHistoryAndNoMajorityIsStillWatched() {
        cluster.get("m1").historyId = "11111111-1111-1111-1111-111111111111";
        cluster.get("m2").role = HeartbeatReport.FENCED;
        cluster.get("m2").epoch = 4;
        cluster.get("m2").highestEpochSeen = 4;
        cluster.get("m2").historyId = "22222222-2222-2222-2222-222222222222";
        cluster.get("m3").lsn = 0; // empty: no history yet
        supervisor(ReplicationMode.ASYNC);
        rounds(2);
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        assertThat(cluster.actions).containsExactly("follow m3 m1");
    }

    @Test
    void promotesFromLsnsReadAfterTheFenceNotBefore() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        // m1 is slow, not dead: its heartbeats time out, yet it acknowledges writes that m3 holds (up to 12)
        // between the round's probes and the fence; m2 was ahead when last read.
        cluster.get("m2").lsn = 10;
        FakeMembers.Fake m1 = cluster.get("m1");
        m1.heartbeatsAnswered = false;
        m1.whileFencing = () -> cluster.get("m3").lsn = 12;
        rounds(3);
        assertThat(cluster.actions).containsExactly("fence m1", "fence m2", "fence m3", "promote m3 2", "follow m2 m3");
    }

    @Test
    void syncFailoverNeverPromotesACandidateBehindTheFencedPrimarysAcknowledgedLsn() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m2").lsn = 10;
        FakeMembers.Fake m1 = cluster.get("m1");
        m1.heartbeatsAnswered = false;
        m1.acknowledgedLsn = 12; // a secondary held 12 when it was acknowledged: none of these does now
        rounds(6);
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("promote"));
        // Once a candidate catches up (it streams the fenced member's final log), it is promoted.
        cluster.get("m2").lsn = 12;
        rounds(1);
        assertThat(cluster.actions).contains("promote m2 2");
    }

    /**
     * m1 is cut off from the supervisor, not from m3, which keeps following it and acknowledging its
     * writes. Before the detach, m2 was promoted while m1 went on acknowledging writes through m3 that m2
     * never got; now every secondary stops following m1 first, and the most complete final log wins.
     */
    @Test
    void secondariesAreDetachedFromAPrimaryCutOffFromTheSupervisorBeforeTheMostCompleteIsPromoted() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake m1 = cluster.get("m1");
        FakeMembers.Fake m3 = cluster.get("m3");
        String m1Endpoint = m1.address.host() + ":" + m1.address.port();
        m1.answering = false;
        m3.lsn = 12;
        // While m3 follows m1, m1 acknowledges one more write, held by m3, between any two heartbeats.
        m3.beforeHeartbeat = () -> {
            if (HeartbeatReport.SECONDARY.equals(m3.role) && m1Endpoint.equals(m3.following)) {
                m3.lsn++;
            }
        };
        rounds(3);
        assertThat(cluster.actions).containsExactly("fence m1", "fence m2", "fence m3", "promote m3 2", "follow m2 m3");
        long promotedAt = m3.lsn;
        rounds(3);
        assertThat(m3.lsn).as("no write of m1 reached m3 after it was detached").isEqualTo(promotedAt);
        assertThat(supervisor.currentPrimary()).isEqualTo("m3");
    }

    @Test
    void syncFailoverWaitsWhileASecondaryCannotBeDetachedFromTheLostPrimary() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        cluster.get("m3").fenceTimesOut = true; // it may still be acknowledging m1's writes
        rounds(6);
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("promote"));
        cluster.get("m3").fenceTimesOut = false;
        rounds(2);
        assertThat(cluster.actions).contains("promote m2 2");
    }

    /**
     * The old primary, fenced once its heartbeats time out, answers again as fenced: the lease
     * renewals the supervisor then sends it renew nothing. Before, each counted as one, and the
     * promotion waited for a lease that never ran out.
     */
    @Test
    void fencedOldPrimaryAnsweringAgainDoesNotHoldThePromotionBackForItsLease() {
        cluster.get("m1").leaseMillis = 200;
        supervisor(ReplicationMode.SYNC);
        rounds(2); // the second round renews m1's lease
        cluster.actions.clear();
        FakeMembers.Fake m1 = cluster.get("m1");
        m1.heartbeatsAnswered = false;
        rounds(3);
        assertThat(cluster.actions).startsWith("fence m1").noneMatch(action -> action.startsWith("promote"));
        m1.heartbeatsAnswered = true; // it answers again, as fenced
        // One round per poll: the promotion comes once the lease last renewed while m1 was primary is out.
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            supervisor.round();
            return supervisor.failovers() > 0;
        });
        assertThat(cluster.actions).contains("promote m2 2");
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
    }

    /**
     * Hostile review A: m3 holds the newest acknowledged write; its detach is carried out but the answer
     * is lost. Before, the next attempt saw m3 "fenced", dropped it from the candidates without counting
     * it as silent, and promoted m2, which lacks that write.
     */
    @Test
    void secondaryWhoseDetachAnswerWasLostStaysACandidateByItsLsn() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        cluster.get("m2").lsn = 10;
        cluster.get("m3").lsn = 12;
        cluster.get("m1").answering = false;
        cluster.get("m3").fenceAnswerLost = true;
        rounds(6);
        assertThat(cluster.actions).doesNotContain("promote m2 2").contains("promote m3 2");
        assertThat(supervisor.currentPrimary()).isEqualTo("m3");
    }

    /**
     * Review 12: the fenced m1 said it acknowledged up to LSN 12 while every candidate holds at most 10, so m2
     * is told to pull the tail from m1. m1 then dies before m2 got it. The supervisor must still refuse to
     * promote a member behind LSN 12 (it learned that LSN 12 was acknowledged); on main the next fence goes
     * unanswered, the acknowledged LSN reads as unknown (-1) and m2 is promoted at LSN 10.
     */
    @Test
    void acknowledgedLsnLearnedFromTheFenceIsKeptWhenTheFencedPrimaryDiesMidCatchUp() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake m1 = cluster.get("m1");
        cluster.get("m2").lsn = 10;
        m1.heartbeatsAnswered = false; // slow, not dead: it answers its fence
        m1.acknowledgedLsn = 12;
        rounds(3);
        assertThat(cluster.actions).contains("follow m2 m1").noneMatch(action -> action.startsWith("promote"));
        m1.answering = false; // SIGKILL before m2 pulled records 11 and 12
        rounds(6);
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("promote"));
    }

    /**
     * Hostile review B: the fenced primary acknowledged up to 12, every detached candidate is behind, and
     * nothing ships to them any more. The most complete one takes the missing tail from the fenced
     * primary (which still serves its final log), then is promoted. Before, the failover never resolved.
     */
    @Test
    void mostCompleteCandidatePullsTheFencedPrimarysTailThenIsPromoted() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake m1 = cluster.get("m1");
        FakeMembers.Fake m2 = cluster.get("m2");
        m2.lsn = 10;
        m1.heartbeatsAnswered = false; // slow, not dead: it answers its fence
        String m1Endpoint = m1.address.host() + ":" + m1.address.port();
        // Once detached, m2 gets records only by following m1 again; then it streams m1's final log.
        m2.whileFencing = () -> m2.beforeHeartbeat = () -> {
            if (HeartbeatReport.SECONDARY.equals(m2.role) && m1Endpoint.equals(m2.following)) {
                m2.lsn = m1.lsn;
            }
        };
        rounds(8);
        assertThat(cluster.actions).containsSubsequence("fence m1", "fence m2", "follow m2 m1", "promote m2 2",
                "follow m3 m2");
        assertThat(m2.lsn).isEqualTo(12);
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
    }

    /**
     * Hostile review B: a supervisor (re)started mid-failover finds every member fenced. It elects by
     * epoch then LSN among them, the old primary with the most complete log included. Before, fenced
     * members were no candidates, and it never resolved.
     */
    @Test
    void supervisorFindingEveryMemberFencedPromotesTheMostCompleteLog() {
        for (String id : new String[] {"m1", "m2", "m3"}) {
            cluster.get(id).role = HeartbeatReport.FENCED;
            cluster.get(id).epoch = 1;
        }
        cluster.get("m2").lsn = 10;
        supervisor(ReplicationMode.SYNC);
        rounds(4);
        assertThat(cluster.actions).containsExactly("promote m1 2", "follow m2 m1", "follow m3 m1");
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
    }

    /**
     * Hostile review E: a supervisor that starts while the primary m1 is cut off from it finds no primary.
     * m1 may still take writes, its lease renewed by an earlier supervisor and by the secondaries that
     * still follow it. Before promoting, it detaches them and waits out a lease (the longest any primary
     * reported, else the default 2000 ms) plus the probe timeout. Before, it promoted at once and
     * detached nothing: the split brain had no bound.
     */
    @Test
    void supervisorFindingNoPrimaryDetachesItsSecondariesAndWaitsOutALeaseBeforePromoting() {
        FakeMembers.Fake m1 = cluster.get("m1");
        m1.answering = false;
        String m1Endpoint = m1.address.host() + ":" + m1.address.port();
        cluster.get("m2").following = m1Endpoint;
        cluster.get("m3").following = m1Endpoint;
        supervisor(ReplicationMode.ASYNC);
        long started = System.nanoTime();
        rounds(3);
        assertThat(cluster.actions).containsExactly("fence m2", "fence m3");
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            supervisor.round();
            return supervisor.failovers() > 0;
        });
        assertThat(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                .as("the promotion waited out a default lease").isGreaterThanOrEqualTo(2000);
        assertThat(cluster.actions).containsExactly("fence m2", "fence m3", "promote m2 1", "follow m3 m2");
    }

    /**
     * A primary whose disk filled says ready:false and serves nothing: the supervisor fails over away
     * from it, and once space is back rebuilds it from the new primary by a resync (retried while the
     * disk is still full). Before, a member not ready was skipped for good, and nothing rebuilt it.
     */
    @Test
    void primaryWhoseDiskFilledIsReplacedThenRebuiltOnceSpaceIsBack() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake m1 = cluster.get("m1");
        m1.storageFailure = "No space left on device";
        m1.diskFull = true;
        rounds(2);
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
        assertThat(cluster.actions).contains("promote m2 2");
        m1.diskFull = false;
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            supervisor.round();
            return m1.storageFailure == null;
        });
        assertThat(cluster.actions).contains("resync m1 m2");
        assertThat(m1.role).isEqualTo("secondary");
    }

    /** The same for a secondary: rebuilt from the primary once space is back; the primary stays. */
    @Test
    void secondaryWhoseDiskFilledIsRebuiltOnceSpaceIsBack() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake m3 = cluster.get("m3");
        m3.storageFailure = "No space left on device";
        m3.diskFull = true;
        rounds(2);
        m3.diskFull = false;
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            supervisor.round();
            return m3.storageFailure == null;
        });
        assertThat(cluster.actions).contains("resync m3 m1").noneMatch(action -> action.startsWith("promote"));
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
    }

    /**
     * A member whose heartbeat says primary at an epoch no promotion could have given (beyond {@code Epochs.MAX}:
     * forged, or a member.json poisoned before epochs were bounded) is never adopted: adopting it fenced the
     * cluster's real primary for it (review 12b).
     */
    @Test
    void primaryReportingAnImplausibleEpochIsNotAdoptedOverTheRealPrimary() {
        supervisor(ReplicationMode.SYNC);
        rounds(2);
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        cluster.actions.clear();
        FakeMembers.Fake liar = cluster.get("m3");
        liar.role = HeartbeatReport.PRIMARY;
        liar.epoch = 1L << 60; // what its heartbeat says
        rounds(3);
        assertThat(supervisor.currentPrimary()).as("the primary the supervisor holds").isEqualTo("m1");
        assertThat(cluster.actions).as("actions after m3's forged epoch").doesNotContain("fence m1");
    }

    /**
     * Sync mode, the primary dies without answering its fence; m2 holds every acknowledged write (LSN 12), m3 only
     * LSN 9 but says an epoch beyond any bound. Ranked by that epoch first, m3 was promoted and writes 10..12 lost
     * (review 12b).
     */
    @Test
    void secondaryReportingAnImplausibleEpochDoesNotWinTheElectionOverTheMostCompleteLog() {
        supervisor(ReplicationMode.SYNC);
        rounds(1);
        cluster.actions.clear();
        FakeMembers.Fake liar = cluster.get("m3");
        liar.epoch = 1L << 60; // only its heartbeat says so: its member.json saw epoch 0
        liar.highestEpochSeen = 0;
        cluster.get("m1").answering = false;
        rounds(4);
        assertThat(cluster.actions).as("a promotion happens").anyMatch(action -> action.startsWith("promote"));
        assertThat(cluster.actions).as("m2 holds LSN 12, m3 only 9").contains("promote m2 2")
                .doesNotContain("promote m3 2");
    }

    /** A stray member's epochs count in its own cluster: the next epoch of this one does not jump past them. */
    @Test
    void epochsOfAMemberOfAnotherHistoryDoNotRaiseTheNextEpoch() {
        String h1 = "11111111-1111-1111-1111-111111111111";
        cluster.get("m1").historyId = h1;
        cluster.get("m2").historyId = h1;
        FakeMembers.Fake stray = cluster.get("m3");
        stray.historyId = "22222222-2222-2222-2222-222222222222";
        stray.epoch = 40;
        stray.following = "127.0.0.1:5999"; // its own cluster's primary
        supervisor(ReplicationMode.ASYNC);
        rounds(2);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        rounds(4);
        assertThat(cluster.actions).contains("promote m2 2").noneMatch(action -> action.startsWith("promote m2 41"));
    }

    /**
     * The supervisor starts while the cluster's members m1 (primary) and m2 are still recovering (silent); only m3
     * answers, with data of another history (a wrong volume). The history guessed from it was kept for good, so
     * when m1 and m2 (2 of 3, with a primary) answered they counted as "of another history" and m3 was promoted
     * (review 12b): a majority overrides a guess.
     */
    @Test
    void strayMemberSeenFirstNeverOutvotesTheMajorityHistoryThatAnswersLater() {
        String h1 = "11111111-1111-1111-1111-111111111111";
        for (String id : new String[] {"m1", "m2"}) {
            cluster.get(id).historyId = h1;
            cluster.get(id).epoch = 3;
            cluster.get(id).highestEpochSeen = 3;
            cluster.get(id).answering = false;
        }
        FakeMembers.Fake stray = cluster.get("m3");
        stray.role = HeartbeatReport.FENCED;
        stray.historyId = "22222222-2222-2222-2222-222222222222";
        stray.lsn = 50;
        supervisor(ReplicationMode.SYNC);
        rounds(3); // only the stray answers: nothing may be promoted (m1 and m2 are silent)
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("promote"));
        cluster.get("m1").answering = true;
        cluster.get("m2").answering = true;
        rounds(4);
        assertThat(cluster.actions).as("m1 and m2 (history %s, 2 of 3) answer, m1 as primary", h1)
                .noneMatch(action -> action.startsWith("promote m3"));
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
    }

    /**
     * A primary adopted while its history was only a guess (the only data in sight) is dropped once a majority
     * of the members holds another history: the majority's primary is watched (and renewed) instead.
     */
    @Test
    void primaryAdoptedOnAGuessedHistoryGivesWayToTheMajoritysPrimary() {
        String h1 = "11111111-1111-1111-1111-111111111111";
        for (String id : new String[] {"m1", "m2"}) {
            cluster.get(id).historyId = h1;
            cluster.get(id).answering = false;
        }
        FakeMembers.Fake stray = cluster.get("m3");
        stray.role = HeartbeatReport.PRIMARY;
        stray.epoch = 7;
        stray.highestEpochSeen = 7;
        stray.historyId = "22222222-2222-2222-2222-222222222222";
        supervisor(ReplicationMode.ASYNC);
        rounds(2);
        assertThat(supervisor.currentPrimary()).as("the only data in sight").isEqualTo("m3");
        cluster.get("m1").answering = true;
        cluster.get("m2").answering = true;
        rounds(3);
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        assertThat(cluster.actions).noneMatch(action -> action.startsWith("fence m1") || action.startsWith("promote")
                || action.endsWith(" m3"));
    }

    /**
     * The log line of a member of another history promises it is "never adopted, promoted, fenced, repointed or
     * rebuilt", but the detach before an election fenced every answering secondary without asking its history
     * (review 12b): a stray secondary of another cluster stopped following its own primary.
     */
    @Test
    void failoverNeverFencesASecondaryOfAnotherHistory() {
        String h1 = "11111111-1111-1111-1111-111111111111";
        cluster.get("m1").historyId = h1;
        cluster.get("m2").historyId = h1;
        FakeMembers.Fake stray = cluster.get("m3");
        stray.historyId = "22222222-2222-2222-2222-222222222222";
        stray.following = "127.0.0.1:5999"; // its own cluster's primary
        supervisor(ReplicationMode.ASYNC);
        rounds(2);
        cluster.actions.clear();
        cluster.get("m1").answering = false;
        rounds(4);
        assertThat(cluster.actions).contains("promote m2 2").doesNotContain("fence m3");
    }

    /**
     * m3 is fresh (a replaced volume: no log, no history), m2 goes down, then the primary m1 is lost: in async mode
     * too the empty m3 is never promoted over the silent m2, which held the cluster's 12 records when last heard
     * from; it would hand the cluster's history to an empty log and get the others rebuilt (wiped) from it.
     */
    @Test
    void emptyMemberIsNeverPromotedWhileSilentMembersHoldTheClustersData() {
        String history = "11111111-1111-1111-1111-111111111111";
        cluster.get("m2").epoch = 1;
        cluster.get("m3").lsn = 0;
        cluster.get("m1").historyId = history;
        cluster.get("m2").historyId = history;
        supervisor(ReplicationMode.ASYNC);
        rounds(2);
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        cluster.actions.clear();
        cluster.get("m2").answering = false;
        cluster.get("m1").answering = false;
        rounds(6);
        assertThat(cluster.actions).as("promoted with: %s", cluster.promotedWithHistory)
                .noneMatch(action -> action.startsWith("promote m3"));
    }
}
