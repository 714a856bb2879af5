package io.dirkdb.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dirkdb.faults.FaultSchedule.Kind;
import io.dirkdb.faults.FaultSchedule.Role;
import io.dirkdb.faults.FaultSchedule.Step;
import io.dirkdb.replication.ReplicationMode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short fault run of the normal build: real members, proxy and supervisor, clients writing
 * unique values, seeded faults, and the history checker as the judge. Only scenarios that hold on
 * today's code are here; those that break a promise today are in {@link PendingFaultScenariosTest}.
 * Members sit in network namespaces of their own where this runs as root; elsewhere the kill and
 * pause scenarios run on loopback and the partition scenario reports itself skipped. Replay a
 * seeded run with {@code -Ddirk.faults.seed=SEED} (the seed is printed first).
 */
class FaultInjectionTest {
    private static String namespacesMissing;

    @TempDir
    Path directory;

    @BeforeAll
    static void probeNamespaces() {
        namespacesMissing = Boolean.getBoolean("dirk.faults.loopback")
                ? "-Ddirk.faults.loopback=true asks for loopback" : Namespaces.unavailableReason();
        if (namespacesMissing != null) {
            System.out.println("[dirk faults] no network namespaces (" + namespacesMissing
                    + "): members run on loopback and partition scenarios are skipped");
        }
    }

    static boolean inNamespaces() {
        return namespacesMissing == null;
    }

    static void assertPromisesHold(FaultRun.Outcome outcome) {
        assertThat(outcome.verdict().violations()).as("%s\nhistory: %s\nlogs:%s", outcome.report(),
                outcome.history(), outcome.logs()).isEmpty();
        assertThat(outcome.verdict().acknowledged()).as("writes acknowledged during the run; %s", outcome.report())
                .isPositive();
    }

    @Test
    void syncClusterKeepsEveryAcknowledgedWriteThroughKillsAndPausesOfMembersAndProxy() throws Exception {
        FaultSchedule schedule = FaultSchedule.draw(FaultSchedule.seedFromProperty(),
                List.of(Kind.KILL, Kind.PAUSE, Kind.KILL_PROXY, Kind.PAUSE_PROXY), 4, 1500, 3000, 2000, 3000);
        assertPromisesHold(FaultRun.run(directory, new FaultRun.Plan("sync kills and pauses", ReplicationMode.SYNC,
                schedule), inNamespaces()));
    }

    @Test
    void asyncClusterConvergesWithoutDuplicatesOrStaleAcknowledgementsThroughKillsAndPauses() throws Exception {
        FaultSchedule schedule = FaultSchedule.draw(FaultSchedule.seedFromProperty(), List.of(Kind.KILL, Kind.PAUSE), 3, 1500,
                3000, 2000, 3000);
        assertPromisesHold(FaultRun.run(directory, new FaultRun.Plan("async kills and pauses", ReplicationMode.ASYNC,
                schedule), inNamespaces()));
    }

    @Test
    void partitionedSecondaryCatchesUpAndAnIsolatedOrCutOffPrimaryLosesNoAcknowledgedWrite() throws Exception {
        assumeTrue(inNamespaces(), () -> "partitions need network namespaces: " + namespacesMissing);
        FaultSchedule schedule = new FaultSchedule(0, List.of(
                new Step(Kind.PARTITION_FROM_MEMBERS, Role.SECONDARY, 0, 3000, 2000),
                new Step(Kind.ISOLATE, Role.PRIMARY, 0, 4000, 2000),
                new Step(Kind.PARTITION_FROM_MEMBERS, Role.PRIMARY, 0, 3000, 2000)));
        assertPromisesHold(FaultRun.run(directory, new FaultRun.Plan("partitions", ReplicationMode.SYNC, schedule),
                true));
    }
}
