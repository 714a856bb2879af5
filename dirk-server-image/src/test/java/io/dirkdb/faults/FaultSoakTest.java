package io.dirkdb.faults;

import static io.dirkdb.faults.FaultInjectionTest.assertPromisesHold;

import io.dirkdb.faults.FaultSchedule.Kind;
import io.dirkdb.replication.ReplicationMode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long fault run, on demand: one cluster under seeded faults for {@code -Ddirk.faults.minutes}
 * (default 10), then the checker. Prints the seed, every cycle (one fault and its healing), and at
 * the end cycles, faults, writes acknowledged, lost (must be 0), duplicated and the failover gaps.
 * {@code -Ddirk.faults.mode=async} runs async members; {@code -Ddirk.faults.kinds=KILL,PAUSE,...}
 * or {@code all} picks the faults (default: those that hold on today's code).
 */
@EnabledIfSystemProperty(named = "dirk.faults.long", matches = "true",
        disabledReason = "the long fault run is on demand: -Ddirk.faults.long=true")
class FaultSoakTest {
    static final List<Kind> HOLDING_TODAY = List.of(Kind.KILL, Kind.PAUSE, Kind.KILL_PROXY, Kind.PAUSE_PROXY,
            Kind.PARTITION_FROM_MEMBERS, Kind.ISOLATE);

    @TempDir
    Path directory;

    @Test
    void everyPromiseHoldsThroughALongSeededFaultRun() throws Exception {
        String missing = Namespaces.unavailableReason();
        boolean inNamespaces = missing == null;
        if (!inNamespaces) {
            System.out.println("[dirk faults] no network namespaces (" + missing + "): kills and pauses only, on loopback");
        }
        String kindsProperty = System.getProperty("dirk.faults.kinds", "");
        List<Kind> kinds = kindsProperty.isBlank() ? HOLDING_TODAY
                : kindsProperty.equals("all") ? List.of(Kind.values())
                : Arrays.stream(kindsProperty.split(",")).map(k -> Kind.valueOf(k.strip())).toList();
        kinds = FaultRun.possible(kinds, inNamespaces);
        boolean tmpfs = inNamespaces && kinds.contains(Kind.DISK_FULL);
        if (!inNamespaces) {
            kinds = kinds.stream().filter(k -> !k.needsTmpfs()).toList();
        }
        double minutes = Double.parseDouble(System.getProperty("dirk.faults.minutes", "10"));
        ReplicationMode mode = ReplicationMode.parse(System.getProperty("dirk.faults.mode", "sync"));
        long averageCycleMillis = (1500 + 5000) / 2 + (2000 + 4000) / 2;
        int cycles = Math.max(1, (int) (minutes * 60_000 / averageCycleMillis));
        FaultSchedule schedule = FaultSchedule.draw(FaultSchedule.seedFromProperty(), kinds, cycles, 1500, 5000, 2000,
                4000);
        FaultRun.Plan plan = new FaultRun.Plan("long run (" + minutes + " min, " + kinds + ")", mode, schedule);
        FaultRun.Outcome outcome = FaultRun.run(directory, tmpfs ? plan.onTmpfs(256L << 20) : plan, inNamespaces);
        HistoryChecker.Verdict v = outcome.verdict();
        List<Long> gaps = v.failoverGapsMillis().stream().sorted().toList();
        System.out.println("[dirk faults] long run: seed " + schedule.seed() + ", cycles " + cycles + ", faults "
                + cycles + ", writes acknowledged " + v.acknowledged() + " (of " + v.writes() + "; " + v.unknown()
                + " unknown), lost " + v.lost() + " (must be 0), lost by async failovers (allowed) "
                + v.lostInAsyncFailovers() + ", duplicated " + v.duplicated() + ", stale-epoch acks "
                + v.staleEpochAcks() + ", failover gaps over " + HistoryChecker.GAP_MILLIS + " ms: " + gaps.size()
                + (gaps.isEmpty() ? "" : " (median " + gaps.get(gaps.size() / 2) + " ms, max " + v.maxGapMillis()
                + " ms)") + ", two members saying primary for " + v.twoPrimariesMillis() + " ms in all");
        assertPromisesHold(outcome);
    }
}
