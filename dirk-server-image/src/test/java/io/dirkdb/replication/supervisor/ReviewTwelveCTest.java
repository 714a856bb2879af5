package io.dirkdb.replication.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.replication.ReplicationMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Review 12c (hostile review of d-rev): the history rule and an empty member in a failover. */
class ReviewTwelveCTest {
    private static final String HISTORY = "11111111-1111-1111-1111-111111111111";
    private final FakeMembers cluster = new FakeMembers()
            .add("m1", "primary", 1, 12)
            .add("m2", "secondary", 1, 12)
            .add("m3", "secondary", 0, 0); // a fresh member (a replaced volume): no data, no history yet
    private LocalSupervisor supervisor;

    @AfterEach
    void stop() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    /**
     * Three members, m2 down, m3 fresh and empty; then the primary m1 is lost. The supervisor saw m1 and m2 hold
     * 12 records of the cluster's history (2 of 3: a majority) yet promotes the empty m3, giving it that history:
     * every record is gone, and m2 and m1, when they return, are "diverged" from an empty primary of their own
     * history and get rebuilt from it (wiped). Issue 12: an empty member never becomes primary over peers that hold
     * data; async mode accepts losing unshipped writes, not the whole database.
     */
    @Test
    void emptyMemberIsNeverPromotedWhileSilentMembersHoldTheClustersData() {
        cluster.get("m1").historyId = HISTORY;
        cluster.get("m2").historyId = HISTORY;
        supervisor = new LocalSupervisor(cluster.addresses(), SupervisorSettings.defaults(ReplicationMode.ASYNC),
                cluster);
        for (int i = 0; i < 2; i++) {
            supervisor.round();
        }
        assertThat(supervisor.currentPrimary()).isEqualTo("m1");
        cluster.actions.clear();
        cluster.get("m2").answering = false; // down (a node restart)
        cluster.get("m1").answering = false; // then the primary is lost too
        for (int i = 0; i < 6; i++) {
            supervisor.round();
        }
        assertThat(cluster.actions).as("m1 and m2 hold LSN 12 of history %s; m3 holds nothing (promoted with: %s)",
                HISTORY, cluster.promotedWithHistory).noneMatch(action -> action.startsWith("promote m3"));
    }
}
