package io.dirkdb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendTableTest {
    private final MemberAddress m1 = new MemberAddress("m1", "127.0.0.2", 3948);
    private final MemberAddress m2 = new MemberAddress("m2", "127.0.0.3", 3948);
    private final MemberAddress m3 = new MemberAddress("m3", "127.0.0.4", 3948);
    private final BackendTable table = new BackendTable(List.of(m1, m2, m3), 100);

    private static HeartbeatReport primary(long epoch, long lsn) {
        return new HeartbeatReport("primary", epoch, lsn, true);
    }

    private static HeartbeatReport secondary(long epoch, long lsn) {
        return new HeartbeatReport("secondary", epoch, lsn, true);
    }

    @Test
    void writesGoToThePrimaryWithTheHighestEpoch() {
        table.recordHeartbeat(m1, primary(1, 10), 1);
        table.recordHeartbeat(m2, primary(2, 5), 1);
        table.recordHeartbeat(m3, secondary(2, 5), 1);

        assertThat(table.writeTarget()).contains(m2);
    }

    @Test
    void aFencedMemberNeverGetsWrites() {
        table.recordHeartbeat(m1, primary(3, 10), 1);
        table.recordHeartbeat(m1, new HeartbeatReport("fenced", 3, 10, true), 2);
        table.recordHeartbeat(m2, secondary(3, 10), 2);

        assertThat(table.writeTarget()).isEmpty();
        assertThat(table.view("m1").health()).isEqualTo(MemberHealth.FENCED);
    }

    @Test
    void anUnreachableOrNotReadyPrimaryGetsNoWrites() {
        table.recordHeartbeat(m1, primary(1, 10), 1);
        table.recordUnreachable(m1, "connection refused", 2);
        assertThat(table.writeTarget()).isEmpty();

        table.recordHeartbeat(m2, new HeartbeatReport("primary", 2, 10, false), 3);
        assertThat(table.writeTarget()).isEmpty();
    }

    @Test
    void readsGoRoundRobinOverServingSecondariesAndThePrimary() {
        table.recordHeartbeat(m1, primary(1, 10), 1);
        table.recordHeartbeat(m2, secondary(1, 10), 1);
        table.recordHeartbeat(m3, secondary(1, 10), 1);

        List<MemberAddress> targets = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            targets.add(table.readTarget(new ReadYourWrites()).orElseThrow());
        }
        assertThat(targets).containsExactly(m1, m2, m3, m1, m2, m3);
    }

    @Test
    void aLaggingSecondaryGetsNoReads() {
        table.recordHeartbeat(m1, primary(1, 1000), 1);
        table.recordHeartbeat(m2, secondary(1, 500), 1);
        table.recordHeartbeat(m3, secondary(1, 950), 1);

        assertThat(table.view("m2").health()).isEqualTo(MemberHealth.LAGGING);
        for (int i = 0; i < 4; i++) {
            assertThat(table.readTarget(new ReadYourWrites()).orElseThrow()).isNotEqualTo(m2);
        }
    }

    @Test
    void aDivergedSecondaryGetsNoReadsEvenWithAnEqualLsn() {
        table.recordHeartbeat(m1, primary(2, 100), 1);
        table.recordHeartbeat(m2, new HeartbeatReport("secondary", 2, 100, true, true, false, "127.0.0.2:3948"), 1);
        table.recordHeartbeat(m3, secondary(2, 100), 1);

        assertThat(table.view("m2").health()).isEqualTo(MemberHealth.LAGGING);
        for (int i = 0; i < 4; i++) {
            assertThat(table.readTarget(new ReadYourWrites()).orElseThrow()).isNotEqualTo(m2);
        }
    }

    @Test
    void heartbeatsSayingDivergedOrNeedsResyncMarkTheReport() {
        assertThat(HeartbeatReport.parse("{\"role\":\"secondary\",\"epoch\":2,\"lsn\":9,\"ready\":true,\"diverged\":true}")
                .diverged()).isTrue();
        assertThat(HeartbeatReport.parse("{\"role\":\"secondary\",\"epoch\":2,\"lsn\":9,\"ready\":true,\"needsResync\":true}")
                .needsResync()).isTrue();
        HeartbeatReport healthy = HeartbeatReport.parse("{\"role\":\"secondary\",\"epoch\":2,\"lsn\":9,\"ready\":true}");
        assertThat(healthy.diverged() || healthy.needsResync()).isFalse();
    }

    @Test
    void aSessionThatWroteReadsFromThePrimaryUntilAHeartbeatAfterTheWrite() {
        table.recordHeartbeat(m1, primary(1, 10), 100);
        table.recordHeartbeat(m2, secondary(1, 10), 100);
        table.recordHeartbeat(m3, secondary(1, 10), 100);
        ReadYourWrites session = new ReadYourWrites();
        session.recordWrite(200);

        for (int i = 0; i < 4; i++) {
            assertThat(table.readTarget(session)).contains(m1);
        }

        // The first heartbeat after the write says the primary is at 11: only members at 11 hold the write.
        table.recordHeartbeat(m1, primary(1, 11), 300);
        table.recordHeartbeat(m2, secondary(1, 10), 300);
        table.recordHeartbeat(m3, secondary(1, 11), 300);
        List<MemberAddress> targets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            targets.add(table.readTarget(session).orElseThrow());
        }
        assertThat(targets).containsOnly(m1, m3).contains(m1, m3);
    }

    @Test
    void aWriteWaitsForAPrimaryThatAppearsWithinTheWait() throws Exception {
        table.recordHeartbeat(m1, secondary(1, 10), 1);
        Thread promoter = new Thread(() -> table.recordHeartbeat(m2, primary(2, 10), 2));
        promoter.start();

        Optional<MemberAddress> target = table.awaitWriteTarget(10_000);

        promoter.join();
        assertThat(target).contains(m2);
    }

    @Test
    void aWriteWithNoPrimaryGivesUpAfterTheWait() throws Exception {
        table.recordHeartbeat(m1, secondary(1, 10), 1);
        long start = System.nanoTime();

        assertThat(table.awaitWriteTarget(200)).isEmpty();
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(200);
    }

    @Test
    void monitoringLogsConnectionErrorsOncePerTransition() {
        MonitoringLog.Line first = MonitoringLog.lineFor(table.recordUnreachable(m2, "connection refused", 1));
        MonitoringLog.Line second = MonitoringLog.lineFor(table.recordUnreachable(m2, "connection refused", 2));

        assertThat(first.text()).isEqualTo("Erreur connexion à m2 (127.0.0.3:3948): connection refused");
        assertThat(second).isNull();
    }

    @Test
    void monitoringLogsReplicationErrorsForALaggingSecondary() {
        table.recordHeartbeat(m1, primary(1, 1000), 1);
        MonitoringLog.Line line = MonitoringLog.lineFor(table.recordHeartbeat(m2, secondary(1, 100), 1));

        assertThat(line.text()).startsWith("Erreur réplication sur m2 (127.0.0.3:3948)");
    }

    @Test
    void parsesTheMembersHeartbeatJson() {
        HeartbeatReport report = HeartbeatReport.parse("{\"id\":\"m1\",\"role\":\"primary\",\"epoch\":3,\"lsn\":120,\"ready\":true}");

        assertThat(report).isEqualTo(new HeartbeatReport("primary", 3, 120, true));
    }

    @Test
    void aHeldFenceIsReadFromTheHeartbeatAndAnOlderMemberSayingNothingIsNotHeld() {
        assertThat(HeartbeatReport.parse("{\"role\":\"fenced\",\"epoch\":3,\"lsn\":9,\"fenceHeld\":true}")
                .isHeldFenced()).isTrue();
        assertThat(HeartbeatReport.parse("{\"role\":\"fenced\",\"epoch\":3,\"lsn\":9,\"fenceHeld\":false}")
                .isHeldFenced()).isFalse();
        HeartbeatReport old = HeartbeatReport.parse("{\"role\":\"fenced\",\"epoch\":3,\"lsn\":9}");
        assertThat(old.fenceHeld()).isFalse();
        assertThat(old).isEqualTo(new HeartbeatReport("fenced", 3, 9, true));
    }

    @Test
    void aChangeOfMembersKeepsWhatKeptMembersSaidAndDropsTheOthers() {
        table.recordHeartbeat(m1, primary(1, 10), 1);
        table.recordHeartbeat(m2, secondary(1, 10), 1);
        MemberAddress m4 = new MemberAddress("m4", "127.0.0.5", 3948);

        table.replaceMembers(List.of(m1, m4));

        assertThat(table.members()).containsExactly(m1, m4);
        assertThat(table.writeTarget()).contains(m1);
        assertThat(table.view("m4").health()).isEqualTo(MemberHealth.UNKNOWN);
        assertThat(table.view("m2")).isNull();
        assertThat(table.recordHeartbeat(m2, secondary(1, 10), 2)).isNull();
        for (int i = 0; i < 3; i++) {
            assertThat(table.readTarget(new ReadYourWrites())).contains(m1);
        }
    }

    @Test
    void aMemberThatMovedToAnotherAddressIsUnknownUntilProbedThere() {
        table.recordHeartbeat(m1, primary(1, 10), 1);
        MemberAddress moved = new MemberAddress("m1", "127.0.0.9", 3948);

        table.replaceMembers(List.of(moved, m2, m3));

        assertThat(table.writeTarget()).isEmpty();
        assertThat(table.recordHeartbeat(m1, primary(1, 10), 2)).isNull();
        table.recordHeartbeat(moved, primary(1, 10), 3);
        assertThat(table.writeTarget()).contains(moved);
    }

    @Test
    void aSessionWhoseWriteNoMemberHoldsAfterAFailoverReadsFromTheNewPrimary() {
        table.recordHeartbeat(m1, primary(1, 11), 100);
        ReadYourWrites session = new ReadYourWrites();
        session.recordWrite(50);
        assertThat(table.readTarget(session)).contains(m1);

        table.recordUnreachable(m1, "connection refused", 200);
        table.recordHeartbeat(m2, primary(2, 10), 200);
        table.recordHeartbeat(m3, secondary(2, 10), 200);

        assertThat(table.readTarget(session)).contains(m2);
    }
}
