package io.dirkdb.faults;

import static io.dirkdb.faults.FaultInjectionTest.assertPromisesHold;
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
 * Fault runs of issue 12, judged by the same checker as the short run: those tagged pending break a
 * promise on today's code, and each test's comment says what the checker reported before its fix. Run with
 * {@code ./mvnw -o -pl dirk-server-image -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=PendingFaultScenariosTest -Ddirk.faults.pending=true}.
 */
class PendingFaultScenariosTest {
    private static String namespacesMissing;

    @TempDir
    Path directory;

    @BeforeAll
    static void probeNamespaces() {
        namespacesMissing = Namespaces.unavailableReason();
    }

    private static void needNamespaces() {
        assumeTrue(namespacesMissing == null, () -> "partitions and tmpfs need root and network namespaces: "
                + namespacesMissing);
    }

    private void runOne(String name, Kind kind, Role role, long holdMillis, long tmpfsBytes) throws Exception {
        needNamespaces();
        FaultSchedule schedule = new FaultSchedule(0, List.of(new Step(kind, role, 0, holdMillis, 3000)));
        FaultRun.Plan plan = new FaultRun.Plan(name, ReplicationMode.SYNC, schedule);
        assertPromisesHold(FaultRun.run(directory, tmpfsBytes > 0 ? plan.onTmpfs(tmpfsBytes) : plan, true));
    }

    /**
     * Today (seed 0, three runs): "5 (9, 5) acknowledged writes are not on the final primary ...
     * acknowledged {by m1 at epoch 1=1, through the proxy=4}", and m1 goes on saying primary for 1.3 to
     * 4.1 s next to the new one: the supervisor cannot fence m1 and promotes the secondary whose LSN it
     * read, while m1, still reachable by clients, acknowledges writes the other secondary (still
     * streaming from it) confirms; that secondary is then resynced from the new primary and the writes
     * are gone (items 1, 3 and 4 of the issue: no lease, promotion from LSNs read before the fence, no
     * catch-up). Since d-detach (the supervisor detaches every secondary from m1 before electing by
     * their final LSNs): "lost 0 ... failover gaps (ms) [2686], two members saying primary for 0 ms";
     * no longer pending.
     */
    @Test
    void primaryCutOffFromTheSupervisorStopsAcknowledgingOnceReplaced() throws Exception {
        runOne("primary cut off from the supervisor", Kind.PARTITION_FROM_SUPERVISOR, Role.PRIMARY, 5000, 0);
    }

    /**
     * Before the full-disk fix of d-limits: "member m2 (secondary, epoch 1, lsn 91) did not converge
     * with primary m1 (lsn 94): 89 rows against 92, 3 missing", the primary refusing every later
     * write while its heartbeat said ready. Since: the primary fails over with no write lost, but
     * "member m1 (fenced) could not be read at the end: this member's storage failed (no space left
     * ...); it serves nothing until it restarts and recovers from its log, or is rebuilt by a resync":
     * the local supervisor skipped members that say ready:false, so nothing rebuilt it (item 7). Since
     * d-supervisor (the supervisor fences it and rebuilds it by a resync once space is back): lost 0,
     * converged, three runs out of three; no longer pending.
     */
    @Test
    void primaryWhoseDiskFillsLosesNoAcknowledgedWriteAndConverges() throws Exception {
        runOne("primary's disk full", Kind.DISK_FULL, Role.PRIMARY, 3000, 64L << 20);
    }

    /**
     * Before d-limits: "member m2 (secondary, epoch 1, lsn 92) did not converge with primary m1 (lsn
     * 10992)", its heartbeat still ready. Since: "member m2 (secondary) could not be read at the end:
     * this member's storage failed (no space left ...)": it says ready:false and waits for a restart
     * or a resync, which the local supervisor did not give to a member that is not ready (item 7).
     * Since d-supervisor: rebuilt once space is back, lost 0, converged, three runs out of three.
     */
    @Test
    void secondaryWhoseDiskFillsCatchesUpOnceFreed() throws Exception {
        runOne("secondary's disk full", Kind.DISK_FULL, Role.SECONDARY, 3000, 64L << 20);
    }

    /**
     * Every fsync of the primary's log takes 1.5 s for 4 s (the storage's test-only slow-fsync seam): writes
     * stall, heartbeats still answer. No acknowledged write may be lost, and the members converge.
     */
    @Test
    void primaryWithASlowDiskLosesNoAcknowledgedWriteAndConverges() throws Exception {
        runOne("primary's fsync slow", Kind.SLOW_FSYNC, Role.PRIMARY, 4000, 0);
    }

    /** The same for a secondary: in sync mode the primary's acknowledgements wait on the other secondary. */
    @Test
    void secondaryWithASlowDiskLosesNoAcknowledgedWriteAndConverges() throws Exception {
        runOne("secondary's fsync slow", Kind.SLOW_FSYNC, Role.SECONDARY, 4000, 0);
    }

    /**
     * Every kind of fault, the full-disk and supervisor partitions included, drawn from the seed:
     * breaks whenever the draw includes a fault of the tests above. Seed 5812697418207473832: "8
     * acknowledged writes are not on the final primary m2 ... {by m1 at epoch 3=2, through the proxy=6}"
     * after PARTITION_FROM_SUPERVISOR of the primary; seed 2247117193244305979 happened to pass. Since
     * d-supervisor: seeds 860887788329201611, -8399930389958785471, 1630884480014392214 (drawing full
     * disks and supervisor partitions among others) and 5812697418207473832 pass, lost 0; no longer pending.
     */
    @Test
    void everyKindOfFaultAtRandom() throws Exception {
        needNamespaces();
        FaultSchedule schedule = FaultSchedule.draw(FaultSchedule.seedFromProperty(), List.of(Kind.values()), 6, 1500,
                4000, 1500, 3000);
        assertPromisesHold(FaultRun.run(directory, new FaultRun.Plan("every kind of fault", ReplicationMode.SYNC,
                schedule).onTmpfs(64L << 20), true));
    }
}
