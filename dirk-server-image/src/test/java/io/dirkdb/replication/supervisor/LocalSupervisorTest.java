package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.replication.ReplicationMode;
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
        assertThat(cluster.actions).containsExactly("fence m1", "promote m2 2", "follow m3 m2");
        assertThat(supervisor.currentPrimary()).isEqualTo("m2");
        assertThat(supervisor.currentEpoch()).isEqualTo(2);
        rounds(3);
        assertThat(cluster.actions).as("nothing more to do while m1 stays away").hasSize(3);
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
        assertThat(cluster.actions).containsExactly("fence m1", "promote m3 2", "resync m2 m3");
        cluster.get("m2").diverged = true; // the resync did not help: left to a person, not retried
        rounds(3);
        assertThat(cluster.actions).hasSize(3);
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
        assertThat(cluster.actions).containsExactly("fence m1", "promote m3 2", "follow m2 m3");
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
}
